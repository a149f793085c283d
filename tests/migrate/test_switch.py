"""``migrate openai switch``: the old ``ft:`` id, sent through the official ``openai`` SDK to a
real tuneloop server, answers from whatever ``NAME@production`` is at that moment."""

from __future__ import annotations

import openai
import pytest

from fixtures.server import create_key, run_server
from tuneloop.config import Settings
from tuneloop.errors import InvalidRequest, UnknownReference
from tuneloop.migrate.switch import check_switch, switch
from tuneloop.models.catalog import Catalog
from tuneloop.serve.app import create_app

from .sources import FT_ID, NAME, parrot_backend, register_local, seed_source

QUESTION = "경복궁은 언제 쉬나요?"


@pytest.fixture
def project(store, tmp_path):
    with parrot_backend():
        seed_source(store, tmp_path)
        settings = Settings(project_dir=tmp_path)
        yield settings, store, Catalog(settings, store)


def _ask(client: openai.OpenAI) -> tuple[str, str]:
    reply = client.chat.completions.create(
        model=FT_ID, messages=[{"role": "user", "content": QUESTION}], temperature=0
    )
    return reply.choices[0].message.content or "", reply.model


def test_the_old_ft_id_follows_production_through_promote_and_rollback_without_restart(project):
    settings, store, catalog = project
    v2 = register_local(store, answers={QUESTION: "화요일에 쉽니다."}, tag="v2")
    v3 = register_local(store, answers={QUESTION: "월요일에 쉽니다."}, tag="v3")
    store.models.promote(v2.ref, "production", by="t", force=True, reason="parity passed")

    with run_server(create_app(settings, store=store)) as url:
        done = switch(settings, catalog, NAME, server_url=url, by="kim")
        key = create_key(store, "chat")
        client = openai.OpenAI(base_url=done.base_url, api_key=key, max_retries=0)

        assert done.base_url == url + "/v1" and done.target == f"{NAME}@production"
        assert f'base_url="{url}/v1"' in done.line and "os.environ" in done.line
        assert _ask(client) == ("화요일에 쉽니다.", FT_ID)
        assert client.models.retrieve(FT_ID).id == FT_ID
        assert FT_ID in {m.id for m in client.models.list()}

        store.models.promote(v3.ref, "production", by="t", force=True, reason="newer")
        assert _ask(client)[0] == "월요일에 쉽니다."
        store.models.rollback(NAME, "production", by="t", reason="back")
        assert _ask(client)[0] == "화요일에 쉽니다."

        checked = check_switch(done.base_url, key, FT_ID, question=QUESTION)
        assert checked.listed and checked.answer == "화요일에 쉽니다." and checked.model == FT_ID
        assert checked.owned_by == "parrot"


def test_switching_while_production_is_the_source_says_requests_still_go_to_openai(project):
    settings, store, catalog = project
    done = switch(settings, catalog, FT_ID, by="kim")
    assert done.resolves_to == f"{NAME}@1"
    assert any("forwarded to OpenAI" in note for note in done.notes)
    assert done.base_url == "http://127.0.0.1:8000/v1"
    again = switch(settings, catalog, NAME, by="kim")
    assert not again.changed and done.changed
    assert [r.target for r in store.model_routes.list()] == [f"{NAME}@production"]


def test_switch_refuses_an_unset_alias_and_an_unpulled_source(project):
    settings, _, catalog = project
    with pytest.raises(InvalidRequest, match="is not set") as unset:
        switch(settings, catalog, NAME, alias="staging", by="kim")
    assert "tuneloop models promote" in (unset.value.hint or "")
    with pytest.raises(UnknownReference):
        switch(settings, catalog, "ft:gpt-4o:other:x:y", by="kim")
