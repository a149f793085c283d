"""LLM-made Q/A pairs: tolerant parsing, failures counted per chunk, ungrounded pairs flagged."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

import pytest

from tuneloop.data.qa.llm import generate_qa, packaged_prompt, parse_pairs, prompt_ref
from tuneloop.data.records import Document, Source
from tuneloop.errors import AuthError, BackendError, PromptError
from tuneloop.models.testing import ScriptedModel
from tuneloop.models.types import Message, SamplingParams
from tuneloop.prompts.template import load_prompt

GYEONGBOKGUNG = Document(
    "# 경복궁\n- 관람 시간: 09:00~18:00\n- 휴무일: 매주 화요일\n- 입장료: 3,000원",
    Source("docs/gyeongbokgung.md", 1),
    title="경복궁",
)
NAMSAN = Document(
    "# 남산서울타워\n남산 정상의 전망대로 야경이 유명합니다. 명동역에서 케이블카로 갑니다.",
    Source("docs/namsan.md", 1),
)


def reply(*pairs: tuple[str, str]) -> str:
    return json.dumps(
        {"pairs": [{"question": q, "answer": a} for q, a in pairs]}, ensure_ascii=False
    )


GOOD = reply(
    ("경복궁은 언제 쉬나요?", "경복궁의 휴무일은 매주 화요일입니다."),
    ("경복궁 입장료는 얼마인가요?", "경복궁의 입장료는 3,000원입니다."),
)


class ByChunk(ScriptedModel):
    """Answers according to which document is in the prompt; records each prompt and params."""

    def __init__(self, replies: dict[str, str], name: str = "by-chunk") -> None:
        super().__init__(list(replies.values()), name=name)
        self.by_marker = replies
        self.prompts: list[list[Message]] = []
        self.params: list[SamplingParams] = []
        self._seen = threading.Lock()

    def generate(self, messages: Sequence[Message], params: SamplingParams):
        with self._seen:
            self.prompts.append(list(messages))
            self.params.append(params)
        return super().generate(messages, params)

    def _reply(self, messages: Sequence[Message]) -> str:
        with self._lock:
            self.calls += 1
        last = messages[-1].content
        return next(r for marker, r in self.by_marker.items() if marker in last)


def test_valid_json_reply_gives_grounded_examples_with_provenance():
    model = ScriptedModel([GOOD], name="seoul-writer")
    result = generate_qa([GYEONGBOKGUNG], model)
    assert result.failures == []
    assert [e.first("user") for e in result.kept] == [
        "경복궁은 언제 쉬나요?",
        "경복궁 입장료는 얼마인가요?",
    ]
    for example in result.kept:
        assert example.source == GYEONGBOKGUNG.source
        assert example.meta["generator"] == "llm:seoul-writer"
        assert example.meta["prompt"] == prompt_ref(packaged_prompt())
        assert example.meta["prompt"].startswith("qa-generate@sha256:")
        assert example.meta["grounding"] == 1.0
        assert example.tags == ["경복궁"]


def test_the_chunk_and_pair_count_reach_the_model_through_the_packaged_prompt():
    model = ByChunk({"경복궁": GOOD})
    generate_qa([GYEONGBOKGUNG], model, pairs_per_chunk=5, seed=7)
    prompt = model.prompts[0]
    assert prompt[0].role == "system" and "자료에 적힌 사실만" in prompt[0].content
    assert GYEONGBOKGUNG.text in prompt[-1].content
    assert "5쌍" in prompt[-1].content
    assert model.params[0].seed == 7


def test_fenced_json_after_chatter_is_parsed():
    fenced = "물론입니다! 아래와 같습니다.\n```json\n" + GOOD + "\n```\n도움이 되었길 바랍니다."
    result = generate_qa([GYEONGBOKGUNG], ScriptedModel([fenced]))
    assert len(result.kept) == 2
    assert result.failures == []


def test_garbage_reply_is_a_counted_failure_naming_the_chunk():
    result = generate_qa([GYEONGBOKGUNG], ScriptedModel(["경복궁은 좋은 곳입니다 {그리고"]))
    assert result.kept == [] and result.flagged == []
    assert len(result.failures) == 1
    failure = result.failures[0]
    assert str(failure.source) == "docs/gyeongbokgung.md:1"
    assert "no JSON" in failure.reason
    assert failure.reply.startswith("경복궁은 좋은 곳")


def test_hallucinated_pair_is_flagged_not_kept():
    hallucinated = reply(
        ("경복궁은 언제 쉬나요?", "경복궁의 휴무일은 매주 화요일입니다."),
        ("경복궁은 몇 시에 여나요?", "경복궁은 매일 07:00에 문을 엽니다."),
    )
    result = generate_qa([GYEONGBOKGUNG], ScriptedModel([hallucinated]))
    assert [e.first("user") for e in result.kept] == ["경복궁은 언제 쉬나요?"]
    assert [e.first("user") for e in result.flagged] == ["경복궁은 몇 시에 여나요?"]
    flagged = result.flagged[0]
    assert flagged.meta["flags"] == ["ungrounded"]
    assert "7:00" in flagged.meta["unsupported"]
    assert flagged.meta["grounding"] < 0.6
    assert result.output() == result.kept
    assert result.output(keep_flagged=True) == [*result.kept, flagged]


def test_each_pair_is_checked_against_its_own_chunk():
    # True of Gyeongbokgung, but the model says it about Namsan's chunk: not grounded there.
    misplaced = reply(("남산서울타워 입장료는?", "입장료는 3,000원입니다."))
    model = ByChunk({"경복궁": GOOD, "남산서울타워": misplaced})
    result = generate_qa([GYEONGBOKGUNG, NAMSAN], model, concurrency=2)
    assert [str(e.source) for e in result.kept] == ["docs/gyeongbokgung.md:1"] * 2
    assert [e.first("user") for e in result.flagged] == ["남산서울타워 입장료는?"]


def test_many_chunks_run_concurrently_and_results_keep_document_order():
    documents = [
        Document(f"# 장소{i}\n- 휴무일: 매주 {day}요일", Source(f"docs/{i}.md", 1))
        for i, day in enumerate("월화수목금토일")
    ]
    replies = {
        f"장소{i}": reply((f"장소{i} 휴무일은?", f"장소{i}의 휴무일은 매주 {day}요일입니다."))
        for i, day in enumerate("월화수목금토일")
    }
    seen: list[tuple[int, int]] = []
    result = generate_qa(
        documents, ByChunk(replies), concurrency=3, progress=lambda d, t: seen.append((d, t))
    )
    assert [str(e.source) for e in result.kept] == [f"docs/{i}.md:1" for i in range(7)]
    assert seen[-1] == (7, 7) and len(seen) == 7


def test_a_bad_item_among_good_pairs_is_reported_and_the_rest_kept():
    mixed = json.dumps(
        {
            "pairs": [
                {"question": "경복궁 휴무일은?", "answer": "매주 화요일입니다."},
                {"question": "빈 답"},
            ]
        },
        ensure_ascii=False,
    )
    result = generate_qa([GYEONGBOKGUNG], ScriptedModel([mixed]))
    assert len(result.kept) == 1
    assert [f.reason for f in result.failures] == ["pair 2 lacks a non-empty question or answer"]


def test_a_reply_cut_off_at_max_tokens_says_so():
    result = generate_qa([GYEONGBOKGUNG], ScriptedModel([GOOD[:40] + " " * 5 + "x " * 2000]))
    assert len(result.failures) == 1
    assert "max_tokens" in result.failures[0].reason


@pytest.mark.parametrize(
    "text",
    [
        '[{"question": "Q1?", "answer": "A1."}]',
        '{"질문": "Q1?", "답변": "A1."}',
        'Here you go: {"pairs": [{"Question": "Q1?", "Answer": "A1."}]} Hope it helps!',
    ],
)
def test_parse_pairs_accepts_common_variations(text):
    assert parse_pairs(text) == ([("Q1?", "A1.")], [])


def test_parse_pairs_reports_an_empty_list_as_a_problem():
    assert parse_pairs('{"pairs": []}') == ([], ["the reply has no usable pairs"])


def test_a_user_prompt_must_take_the_chunk_as_text(tmp_path):
    file = tmp_path / "bad.yaml"
    file.write_text("name: bad\nuser: 질문을 만드세요.\n", encoding="utf-8")
    with pytest.raises(PromptError, match="`text`"):
        generate_qa([GYEONGBOKGUNG], ScriptedModel([GOOD]), prompt=load_prompt(file))


def test_a_user_prompt_gets_only_the_variables_it_declares(tmp_path):
    file = tmp_path / "mine.yaml"
    file.write_text(
        "name: mine\nvariables:\n  text: {type: string, required: true}\n"
        "user: '다음 자료로 질문을 만드세요: {{ text }}'\n",
        encoding="utf-8",
    )
    model = ByChunk({"경복궁": GOOD})
    result = generate_qa([GYEONGBOKGUNG], model, prompt=load_prompt(file))
    assert len(result.kept) == 2
    assert model.prompts[0][-1].content == f"다음 자료로 질문을 만드세요: {GYEONGBOKGUNG.text}"
    assert result.kept[0].meta["prompt"].startswith("mine@sha256:")


def test_a_wrong_api_key_stops_the_run_instead_of_failing_every_chunk():
    class Rejected(ScriptedModel):
        def generate(self, messages, params):
            raise AuthError("The upstream rejected the API key.")

    with pytest.raises(BackendError, match="rejected the API key"):
        generate_qa([GYEONGBOKGUNG, NAMSAN], Rejected(["x"]))


def test_live_openai_backend_with_a_random_model_counts_failures_and_keeps_nothing_ungrounded(
    live_server, tmp_path
):
    from tuneloop.models.openai_compat import OpenAIChatModel

    file = tmp_path / "short.yaml"
    file.write_text(
        "name: short\nparams: {max_tokens: 12, temperature: 0}\n"
        "variables:\n  text: {type: string, required: true}\nuser: '{{ text }}'\n",
        encoding="utf-8",
    )
    model = OpenAIChatModel(
        "remote-tiny",
        upstream_model="tiny",
        base_url=live_server.base_url,
        api_key=live_server.api_key,
        max_retries=0,
    )
    chunks = [
        Document("경복궁 휴무일: 매주 화요일", Source("docs/a.md", 1)),
        Document("Gyeongbokgung is closed on Tuesdays.", Source("docs/b.md", 3)),
    ]
    result = generate_qa(chunks, model, prompt=load_prompt(file), concurrency=2)
    assert result.documents == 2
    assert {str(f.source) for f in result.failures} == {"docs/a.md:1", "docs/b.md:3"}
    for example in result.kept:
        assert example.meta["grounding"] >= 0.6 and "flags" not in example.meta
