"""A conversation through a prompt: what the server and `chat --prompt` send to the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneloop.errors import PromptError, TuneloopError
from tuneloop.knowledge import index_resolver
from tuneloop.models.types import Message
from tuneloop.prompts.chat import input_variable, registered_prompt
from tuneloop.prompts.chat import prompted_messages as prompted_only
from tuneloop.prompts.template import load_prompt
from tuneloop.registry import Store

PROMPT = """\
name: guide
system: 당신은 서울 여행 안내원입니다.
context:
  - name: 관광 자료
    retrieve: {index: ../docs, k: 1}
examples:
  - {user: 안녕, assistant: 안녕하세요!}
variables:
  city: {default: 서울}
  question: {required: true}
user: "{{ city }}: {{ question }}"
"""


@pytest.fixture
def prompt_path(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "namsan.md").write_text(
        "# 남산서울타워\n\n남산서울타워 전망대는 오전 10시에 문을 엽니다.\n", encoding="utf-8"
    )
    (tmp_path / "prompts").mkdir()
    path = tmp_path / "prompts" / "guide.yaml"
    path.write_text(PROMPT, encoding="utf-8")
    return path


def prompted_messages(prompt, conversation, *, store=None, **kwargs):
    """As the server and ``chat --prompt`` call it: with the knowledge component's resolver."""
    return prompted_only(
        prompt, conversation, indexes=index_resolver(prompt.base_dir, store), **kwargs
    )


def test_the_prompt_wraps_the_conversation_and_the_last_turn_is_rendered(prompt_path) -> None:
    conversation = [
        Message("system", "client instructions are dropped"),
        Message("user", "안녕하세요"),
        Message("assistant", "네, 무엇을 도와드릴까요?"),
        Message("user", "남산서울타워 전망대는 언제 열어요?"),
    ]
    chat = prompted_messages(load_prompt(prompt_path), conversation)
    roles = [m.role for m in chat.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "(docs/namsan.md:1)" in chat.messages[0].content
    assert "client instructions" not in " ".join(m.content for m in chat.messages)
    assert chat.messages[1].content == "안녕"  # the prompt's few-shot pair comes first
    assert chat.messages[3].content == "안녕하세요"  # then the earlier turns
    assert chat.messages[-1].content == "서울: 남산서울타워 전망대는 언제 열어요?"
    assert [h.passage.source for h in chat.rendered.sources] == ["docs/namsan.md"]


def test_other_variables_come_from_the_caller(prompt_path) -> None:
    chat = prompted_messages(
        load_prompt(prompt_path), [Message("user", "전망대")], variables={"city": "부산"}
    )
    assert chat.messages[-1].content == "부산: 전망대"


def test_the_input_variable_is_question_or_the_only_one_left(prompt_path) -> None:
    prompt = load_prompt(prompt_path)
    assert input_variable(prompt, {}) == "question"
    assert input_variable(prompt, {"question": "x"}) == "city"
    with pytest.raises(PromptError) as info:
        input_variable(prompt, {"question": "x", "city": "y"})
    assert "question" in (info.value.hint or "")


def test_a_conversation_must_end_with_the_user(prompt_path) -> None:
    with pytest.raises(PromptError, match="user message"):
        prompted_messages(load_prompt(prompt_path), [Message("assistant", "hi")])


def test_registered_prompt_reads_pushed_versions_only(prompt_path, store: Store) -> None:
    store.prompts.push("guide", PROMPT, author="t")
    prompt, ref = registered_prompt("guide", store, prompt_path.parent)
    assert ref == "guide@1" and prompt.template.name == "guide"
    assert prompt.path == prompt_path.parent / "guide@v1.yaml"  # ../docs resolves as in the file
    chat = prompted_messages(prompt, [Message("user", "남산서울타워")], store=store)
    assert chat.rendered.sources
    with pytest.raises(TuneloopError) as info:  # a file path is not a registered prompt
        registered_prompt(str(prompt_path), store, prompt_path.parent)
    assert info.value.http_status in {400, 404}
