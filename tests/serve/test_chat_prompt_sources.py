"""``"tuneloop": {"prompt": …}`` on /v1/chat/completions, through the official SDK over HTTP: the
answer comes through the registered prompt and carries the sources it was given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from fixtures.server import LiveServer, create_key, make_project, run_server
from tuneloop.knowledge import build_index, resolve_documents
from tuneloop.registry import Store
from tuneloop.serve.app import create_app

PROMPT = """\
name: {name}
system: 당신은 서울 여행 안내원입니다.
params: {{temperature: 0, max_tokens: 40}}
context:
  - name: 관광 자료
    retrieve: {{index: {index}, k: 2}}
variables:
  question: {{required: true}}
user: "{{{{ question }}}}"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("grounded-server")
    docs = folder / "docs"
    docs.mkdir()
    (docs / "gyeongbokgung.md").write_text(
        "# 경복궁\n\n경복궁은 화요일에 쉽니다. 관람료는 3,000원입니다.\n", encoding="utf-8"
    )
    (docs / "namsan.md").write_text(
        "# 남산서울타워\n\n남산서울타워 전망대는 오전 10시에 문을 엽니다.\n", encoding="utf-8"
    )
    settings = make_project(folder)
    store = Store.from_settings(settings)
    store.registrations.register("echo", "echo", {})
    store.prompts.push("guide", PROMPT.format(name="guide", index="../docs"), author="t")
    build_index(store, "seoul-docs", resolve_documents(["docs"], folder, where="t"), author="t")
    store.prompts.push(
        "indexed", PROMPT.format(name="indexed", index="seoul-docs@latest"), author="t"
    )
    store.prompts.set_alias("indexed", "production", 1, by="t", force=True, reason="test")
    key = create_key(store, "all")
    with run_server(create_app(settings, store=store)) as url:
        yield LiveServer(url=url, api_key=key, store=store, settings=settings)
    store.close()


@pytest.fixture
def client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)


QUESTION = [{"role": "user", "content": "경복궁은 언제 쉬나요?"}]


@pytest.mark.parametrize("prompt", ["guide", "guide@1", "indexed@production"])
def test_an_answer_through_a_prompt_carries_its_sources(client, prompt) -> None:
    resp = client.chat.completions.create(
        model="echo", messages=QUESTION, extra_body={"tuneloop": {"prompt": prompt}}
    )
    assert resp.choices[0].message.content == "경복궁은 언제 쉬나요?"
    ext = resp.model_extra["tuneloop"]
    assert ext["prompt"] == prompt.split("@")[0] + "@1"
    [source] = ext["sources"]
    assert source["id"] == 1 and source["source"] == "docs/gyeongbokgung.md"
    assert source["line"] == 1 and source["score"] > 0 and "화요일" in source["text"]
    plain = client.chat.completions.create(model="echo", messages=QUESTION)
    # the prompt's system text and passages were sent too
    assert resp.usage.prompt_tokens > plain.usage.prompt_tokens
    assert "tuneloop" not in (plain.model_extra or {})


def test_a_stream_sends_the_sources_in_its_first_chunk(client) -> None:
    stream = client.chat.completions.create(
        model="echo",
        messages=QUESTION,
        stream=True,
        extra_body={"tuneloop": {"prompt": "indexed@production"}},
    )
    chunks = list(stream)
    first = chunks[0].model_extra["tuneloop"]
    assert [s["source"] for s in first["sources"]] == ["docs/gyeongbokgung.md"]
    assert all("tuneloop" not in (c.model_extra or {}) for c in chunks[1:])
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "경복궁은 언제 쉬나요?"


def test_no_passage_found_gives_an_empty_source_list(client) -> None:
    resp = client.chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "quantum chromodynamics"}],
        extra_body={"tuneloop": {"prompt": "guide"}},
    )
    assert resp.model_extra["tuneloop"] == {"prompt": "guide@1", "sources": []}


@pytest.mark.parametrize("ref", ["../docs/namsan.md", "/etc/passwd", "nope@production"])
def test_a_client_can_name_only_a_registered_prompt(client, ref) -> None:
    with pytest.raises((openai.BadRequestError, openai.NotFoundError)):
        client.chat.completions.create(
            model="echo", messages=QUESTION, extra_body={"tuneloop": {"prompt": ref}}
        )


def test_unknown_extension_fields_are_rejected(client) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="echo",
            messages=QUESTION,
            extra_body={"tuneloop": {"prompt": "guide", "index": "/etc"}},
        )
    assert "index" in str(info.value)


def test_earlier_turns_are_kept_between_the_prompt_and_the_question(
    client, server: LiveServer
) -> None:
    turns = [
        {"role": "system", "content": "ignored: the prompt has its own"},
        {"role": "user", "content": "안녕하세요"},
        {"role": "assistant", "content": "안녕하세요!"},
        {"role": "user", "content": "남산서울타워 전망대"},
    ]
    resp = client.chat.completions.create(
        model="echo", messages=turns, extra_body={"tuneloop": {"prompt": "guide"}}
    )
    assert resp.choices[0].message.content == "남산서울타워 전망대"
    assert [s["source"] for s in resp.model_extra["tuneloop"]["sources"]] == ["docs/namsan.md"]


def test_prompt_params_fill_what_the_request_leaves_out(tmp_path: Path) -> None:
    from tuneloop.prompts.template import PromptParams
    from tuneloop.serve.routes.chat import _params
    from tuneloop.serve.schemas import ChatCompletionRequest

    req = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "x"}])
    defaults = PromptParams(temperature=0.0, max_tokens=40)
    assert (_params(req, defaults).temperature, _params(req, defaults).max_tokens) == (0.0, 40)
    req = ChatCompletionRequest(
        model="m", messages=[{"role": "user", "content": "x"}], temperature=0.5, max_tokens=9
    )
    assert (_params(req, defaults).temperature, _params(req, defaults).max_tokens) == (0.5, 9)
