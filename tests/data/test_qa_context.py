"""Context-aware examples: gold passage plus BM25 distractors as numbered sources, an exact
unanswerable share, the token budget, and held-out passages kept out of training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneloop.data.qa.context import (
    ContextOptions,
    attach_context,
    gold_passage,
    heldout_passages,
    overlaps,
)
from tuneloop.data.qa.grounding import DEFAULT_THRESHOLD, assess
from tuneloop.data.records import Example, Source
from tuneloop.knowledge import BM25Retriever
from tuneloop.text.retrieval import Passage


def passage(text: str, source: str, *, line: int = 1, start: int = 0) -> Passage:
    title = text.split("\n", 1)[0].lstrip("# ")
    return Passage(text, source, start, start + len(text), line, title, source[-4])


PASSAGES = [
    passage("# 경복궁\n- 휴무일: 매주 화요일\n- 입장료: 3,000원", "docs/a.md"),
    passage("# 덕수궁\n- 휴무일: 매주 월요일", "docs/b.md"),
    passage("# 창덕궁\n- 휴무일: 매주 월요일\n- 후원: 예약 필요", "docs/c.md"),
    passage("# 명동\n- 지하철: 4호선 명동역", "docs/d.md"),
]
RETRIEVER = BM25Retriever(PASSAGES)
SYSTEM = {"role": "system", "content": "안내원"}


def pair(question: str, answer: str, source: Source | None = Source("docs/a.md", 2)) -> Example:
    return Example(
        [SYSTEM, {"role": "user", "content": question}, {"role": "assistant", "content": answer}],
        source=source,
    )


CLOSED = pair("경복궁 휴무일이 언제예요?", "경복궁은 매주 화요일에 쉬어요.")


class CharCounter:
    """Counts characters of every message: budgets in tests read as plain lengths."""

    name = "chars"
    exact = True

    def chat(self, messages: Sequence[Mapping[str, Any]]) -> int:
        return sum(len(str(m.get("content", ""))) for m in messages)

    def text(self, text: str) -> int:
        return len(text)


def test_an_answerable_example_carries_gold_and_distractor_as_numbered_sources():
    out, report = attach_context(
        [CLOSED], RETRIEVER, PASSAGES, options=ContextOptions(k=2, unanswerable=0)
    )
    assert out[0].messages == [
        SYSTEM,
        {
            "role": "user",
            "content": "아래 자료를 참고해 답하세요. 답에 쓴 자료는 [번호]로 밝히세요.\n\n"
            "[1] # 경복궁\n- 휴무일: 매주 화요일\n- 입장료: 3,000원 (docs/a.md:1)\n\n"
            "[2] # 덕수궁\n- 휴무일: 매주 월요일 (docs/b.md:1)\n\n"
            "질문: 경복궁 휴무일이 언제예요?",
        },
        {"role": "assistant", "content": "경복궁은 매주 화요일에 쉬어요. [1]"},
    ]
    assert out[0].meta["question"] == "경복궁 휴무일이 언제예요?"
    assert out[0].meta["context"]["gold"] == 1
    assert out[0].meta["context"]["passages"] == ["a", "b"]
    assert (report.examples, report.answerable, report.not_in_sources) == (1, 1, 0)


def test_an_unanswerable_example_loses_its_gold_and_says_so_and_asks_back():
    out, report = attach_context(
        [CLOSED], RETRIEVER, PASSAGES, options=ContextOptions(k=2, unanswerable=1.0)
    )
    user, reply = out[0].messages[1]["content"], out[0].messages[2]["content"]
    assert "(docs/a.md:1)" not in user
    assert "[1] # 덕수궁" in user and "[2] # 창덕궁" in user
    assert reply == (
        "제가 가진 자료에는 이 질문의 답이 없어요. 자료에는 덕수궁, 창덕궁에 관한 내용만 있어요. "
        "어떤 곳이나 어떤 내용이 궁금하신지 조금 더 알려 주시겠어요?"
    )
    assert out[0].meta["context"]["unanswerable"] is True
    assert report.not_in_sources == 1


def test_english_pairs_get_english_instructions_and_refusals():
    docs = [
        passage("# Tower\n- Closed: Mondays", "docs/t.md"),
        passage("# Museum\n- Closed: Sundays", "docs/m.md"),
    ]
    example = pair(
        "When is the Tower closed?", "The Tower is closed on Mondays.", Source("docs/t.md", 2)
    )
    out, _ = attach_context(
        [example], BM25Retriever(docs), docs, options=ContextOptions(k=2, unanswerable=1.0)
    )
    assert out[0].messages[1]["content"].startswith("Answer from the sources below")
    assert out[0].messages[1]["content"].endswith("Question: When is the Tower closed?")
    assert out[0].messages[2]["content"] == (
        "My sources don't answer this. They only cover Museum. "
        "Could you tell me a bit more about what you'd like to know?"
    )


def test_the_unanswerable_share_is_exact_and_the_gold_position_varies():
    examples = [
        pair(f"경복궁 휴무일이 언제예요? ({n}번째 질문)", "경복궁은 매주 화요일에 쉬어요.")
        for n in range(20)
    ]
    out, report = attach_context(
        examples, RETRIEVER, PASSAGES, options=ContextOptions(k=3, unanswerable=0.25, seed=7)
    )
    missing = [e for e in out if e.meta["context"]["unanswerable"]]
    assert len(missing) == report.not_in_sources == 5
    for example in missing:  # no source shown supports the answer
        shown = [p for p in PASSAGES if p.where in example.meta["context"]["sources"]]
        assert not any(
            assess("경복궁은 매주 화요일에 쉬어요.", p.text).grounded(DEFAULT_THRESHOLD)
            for p in shown
        )
    golds = {e.meta["context"]["gold"] for e in out if not e.meta["context"]["unanswerable"]}
    assert len(golds) > 1  # shuffled: the answer is not always source [1]
    again, _ = attach_context(
        examples, RETRIEVER, PASSAGES, options=ContextOptions(k=3, unanswerable=0.25, seed=7)
    )
    assert [e.messages for e in again] == [e.messages for e in out]


def test_the_budget_drops_distractors_then_trims_the_gold_never_the_question_or_answer():
    long_gold = passage(
        "# 경복궁\n- 휴무일: 매주 화요일\n"
        + "\n".join(f"- 안내 {n}: 긴 설명 문장" for n in range(20)),
        "docs/a.md",
    )
    docs = [long_gold, *PASSAGES[1:]]
    counter = CharCounter()
    full, _ = attach_context(
        [CLOSED],
        BM25Retriever(docs),
        docs,
        options=ContextOptions(k=3, unanswerable=0),
        counter=counter,
    )
    budget = counter.chat(full[0].messages) - 100
    out, report = attach_context(
        [CLOSED],
        BM25Retriever(docs),
        docs,
        options=ContextOptions(k=3, unanswerable=0, budget_tokens=budget),
        counter=counter,
    )
    messages = out[0].messages
    assert counter.chat(messages) <= budget
    assert messages[1]["content"].endswith("질문: 경복궁 휴무일이 언제예요?")
    assert messages[2]["content"] == "경복궁은 매주 화요일에 쉬어요. [1]"
    assert out[0].meta["context"]["sources"] == ["docs/a.md:1"]  # distractors went first
    assert "- 휴무일: 매주 화요일" in messages[1]["content"]  # the answer's line stays
    assert "안내 19" not in messages[1]["content"]  # the gold was trimmed far from it
    assert report.trimmed == 1

    tiny, report = attach_context(
        [CLOSED],
        BM25Retriever(docs),
        docs,
        options=ContextOptions(k=3, unanswerable=0, budget_tokens=64),
        counter=counter,
    )
    assert tiny == [] and report.over_budget == 1


def test_held_out_source_passages_drop_their_examples_and_are_never_distractors():
    banned = heldout_passages([("덕수궁은 언제 쉬나요?", "docs/b.md")], RETRIEVER, PASSAGES)
    assert banned == [PASSAGES[1]]
    out, report = attach_context(
        [CLOSED], RETRIEVER, PASSAGES, options=ContextOptions(k=2, unanswerable=0), banned=banned
    )
    assert "docs/b.md" not in out[0].messages[1]["content"]
    assert out[0].meta["context"]["sources"] == ["docs/a.md:1", "docs/c.md:1"]
    assert report.heldout_skipped == 1

    out, report = attach_context(
        [CLOSED], RETRIEVER, PASSAGES, options=ContextOptions(unanswerable=0), banned=[PASSAGES[0]]
    )
    assert out == [] and report.heldout_dropped == 1


def test_pairs_without_a_passage_of_theirs_stay_as_they_are():
    chat = pair("안녕하세요", "안녕하세요!", Source("chatlogs/talk.txt", 3))
    out, report = attach_context([chat, CLOSED], RETRIEVER, PASSAGES)
    assert out[0] is chat and "context" in out[1].meta
    assert report.without_context == 1


def test_gold_passage_is_the_one_covering_the_line_that_supports_the_answer():
    first = passage("# 경복궁\n- 휴무일: 매주 화요일", "docs/a.md", line=1, start=0)
    second = passage("- 입장료: 3,000원\n- 주차: 가능", "docs/a.md", line=3, start=22)
    price = pair(
        "경복궁 입장료 얼마예요?", "경복궁 입장료는 3,000원이에요.", Source("docs/a.md", 3)
    )
    assert gold_passage(price, [first, second]) is second
    assert gold_passage(CLOSED, [first, second]) is first
    assert gold_passage(price, PASSAGES[1:]) is None


def test_overlap_needs_half_the_shorter_span_not_the_chunker_overlap():
    a = passage("x" * 500, "docs/a.md", start=0)
    neighbour = passage("y" * 500, "docs/a.md", start=400)
    same = passage("z" * 300, "docs/a.md", start=100)
    assert not overlaps(a, neighbour)
    assert overlaps(a, same)
    assert not overlaps(a, passage("x" * 500, "docs/b.md", start=0))
