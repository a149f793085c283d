"""Routes in the catalog: a routed ``ft:`` id answers with whatever its target alias points at
now (not the source version that has that model_id), and ``set_route`` refuses what would break."""

from __future__ import annotations

import pytest

from migrate.sources import FT_ID, NAME, parrot_backend, register_local, seed_source
from tuneloop.config import Settings
from tuneloop.errors import BadReference, ModelNotFound
from tuneloop.models.catalog import Catalog
from tuneloop.models.routes import set_route
from tuneloop.models.types import Message, SamplingParams

ASK = [Message("user", "경복궁은 언제 쉬나요?")]


@pytest.fixture
def catalog(store, tmp_path):
    with parrot_backend():
        seed_source(store, tmp_path)
        yield Catalog(Settings(project_dir=tmp_path), store)


def _answer(catalog, name):
    return catalog.get(name).generate(ASK, SamplingParams(temperature=0)).text


def test_a_routed_ft_id_follows_its_target_alias_on_every_call(catalog, store):
    v2 = register_local(store, default="화요일에 쉽니다.", tag="v2")
    v3 = register_local(store, default="월요일에 쉽니다.", tag="v3")
    assert catalog.spec(FT_ID).backend == "openai"  # without a route: the OpenAI source version

    store.models.set_alias(NAME, "production", v2.version, by="t", force=True, reason="test")
    set_route(catalog, FT_ID, f"{NAME}@production", by="t")

    assert _answer(catalog, FT_ID) == "화요일에 쉽니다."
    store.models.set_alias(NAME, "production", v3.version, by="t", force=True, reason="test")
    assert _answer(catalog, FT_ID) == "월요일에 쉽니다."
    store.models.rollback(NAME, "production", by="t", reason="test")
    assert _answer(catalog, FT_ID) == "화요일에 쉽니다."

    resolved = catalog.resolve(FT_ID)
    assert (resolved.requested, resolved.version_ref) == (FT_ID, f"{NAME}@{v2.version}")
    spec = catalog.spec(FT_ID)
    assert (spec.name, spec.source, spec.backend) == (FT_ID, "routed", "parrot")
    listed = {s.name: s for s in catalog.specs()}
    assert listed[FT_ID].source == "routed"


def test_a_route_whose_target_is_gone_is_a_not_found_naming_the_route(catalog, store):
    register_local(store, default="안녕하세요", tag="v2")
    store.models.set_alias(NAME, "staging", 2, by="t")
    set_route(catalog, FT_ID, f"{NAME}@staging", by="t")
    store.models.remove_alias(NAME, "staging", by="t")

    with pytest.raises(ModelNotFound, match="routed to"):
        catalog.get(FT_ID)
    assert FT_ID not in {s.name for s in catalog.specs()}


def test_set_route_refuses_unresolvable_chained_ad_hoc_and_shadowing_routes(catalog, store):
    with pytest.raises(ModelNotFound):
        set_route(catalog, FT_ID, f"{NAME}@staging", by="t")
    set_route(catalog, FT_ID, f"{NAME}@production", by="t")
    with pytest.raises(BadReference, match="one hop"):
        set_route(catalog, "ft:another", FT_ID, by="t")
    with pytest.raises(BadReference, match="ad-hoc"):
        set_route(catalog, "ft:another", "echo:x", by="t")
    with pytest.raises(BadReference, match="built-in"):
        set_route(catalog, "smollm2-135m", f"{NAME}@production", by="t")
