"""Context-aware training examples (retrieval-augmented fine-tuning): each question is trained
with the passages a retriever would give it, so the model learns to answer *from* them.

Why: a 135M model cannot memorise a city, but it can learn to read. So each generated Q/A pair's
user turn carries ``k`` numbered sources (:func:`tuneloop.text.retrieval.format_sources`, the
format prompts use at serving time): the **gold** passage the answer came from plus BM25
distractors for the question, shuffled (seeded per example) so the answer is not always [1];
the answer cites the gold source (``… [2]``). A share (``unanswerable``) of examples lose their
gold passage — and any passage that supports the answer — and are answered with the "not in my
sources, here is what they cover, could you tell me more?" reply in the question's language, so
the model also learns to say so instead of inventing.

Budget: an example must fit the base model's context (``budget_tokens``, counted with its
tokenizer when one is given, else the labelled estimate). Distractors are dropped worst-ranked
first, then the gold passage is trimmed to the lines nearest the answer's line; the question
and the answer are never cut. An example that does not fit even so is dropped and counted.

Held-out guard: a held-out question's *source passage* (the best passage for the question in
the document it names, else the best overall) must not be trained on. Examples whose gold passage
overlaps one (same file, overlapping span) are **dropped**; a held-out passage is **never shown**
as a distractor (it is skipped and the next hit used). Both are counted in the report.

Only pairs whose gold passage is found (their ``source`` is a file among the passages and a
passage covers its line or supports its answer) get context; others (chat logs, hand-written
Q/A) stay as they are, so the model also keeps answering without sources.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tuneloop.data.qa.grounding import DEFAULT_THRESHOLD, assess
from tuneloop.data.qa.rules import is_korean
from tuneloop.data.records import Example
from tuneloop.data.tokenstats import EstimateCounter, TokenCounter
from tuneloop.text.retrieval import Hit, Passage, Retriever, format_sources

__all__ = [
    "ContextOptions",
    "ContextReport",
    "attach_context",
    "gold_passage",
    "heldout_passages",
    "overlaps",
    "unanswerable_reply",
    "user_turn",
]

_SEARCH_DEPTH = 20  # hits looked at to find k usable passages


@dataclass(frozen=True)
class ContextOptions:
    """``k`` passages per example (gold included), the unanswerable share, the token budget."""

    k: int = 3
    unanswerable: float = 0.15
    budget_tokens: int = 768
    seed: int = 0
    cite: bool = True


@dataclass
class ContextReport:
    """What :func:`attach_context` did, for the prepare summary and the dataset card."""

    examples: int = 0
    answerable: int = 0
    not_in_sources: int = 0
    without_context: int = 0
    heldout_dropped: int = 0
    heldout_skipped: int = 0
    trimmed: int = 0
    over_budget: int = 0
    counter: str = "estimate"
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("details")
        return data


def overlaps(a: Passage, b: Passage) -> bool:
    """Same file, and the spans share at least half of the shorter one — so a passage and its
    neighbour, which share only the chunker's overlap, do not count."""
    if a.source != b.source:
        return False
    shared = min(a.end, b.end) - max(a.start, b.start)
    return shared > 0 and shared * 2 >= min(a.end - a.start, b.end - b.start)


def _line_span(passage: Passage) -> tuple[int, int]:
    first = passage.line or 1
    return first, first + passage.text.count("\n")


def gold_passage(example: Example, passages: Sequence[Passage]) -> Passage | None:
    """The passage ``example``'s answer came from: of the passages of its source file, those
    covering its line (or all, for a source without one), the one that best supports the answer
    — ``None`` when none supports it at all."""
    source = example.source
    if source is None:
        return None
    same_file = [p for p in passages if p.source == source.path]
    if source.line is not None:
        covering = [p for p in same_file if _line_span(p)[0] <= source.line <= _line_span(p)[1]]
        same_file = covering or same_file
    answer = example.first("assistant")
    scored = [(assess(answer, p.text).score, -i, p) for i, p in enumerate(same_file)]
    best = max(scored, default=None, key=lambda t: (t[0], t[1]))
    return best[2] if best is not None and best[0] > 0 else None


def heldout_passages(
    questions: Sequence[tuple[str, str | None]], retriever: Retriever, passages: Sequence[Passage]
) -> list[Passage]:
    """The source passage of each held-out ``(question, source file or None)``: the best hit
    for the question within that file, else the best hit overall."""
    found: list[Passage] = []
    for question, source in questions:
        hits = retriever.search(question, k=len(passages))
        if source is not None:
            hits = [h for h in hits if h.passage.source == source] or hits
        if hits:
            found.append(hits[0].passage)
    return found


def user_turn(question: str, hits: Sequence[Hit], *, korean: bool) -> str:
    """The user message of a context-aware example: how to use the sources, the sources, the
    question."""
    if korean:
        head = "아래 자료를 참고해 답하세요. 답에 쓴 자료는 [번호]로 밝히세요."
        return f"{head}\n\n{format_sources(hits)}\n\n질문: {question}"
    head = "Answer from the sources below and cite the ones you use as [n]."
    return f"{head}\n\n{format_sources(hits)}\n\nQuestion: {question}"


def unanswerable_reply(hits: Sequence[Hit], *, korean: bool) -> str:
    """The answer when the sources do not hold one: say so, say what they cover, ask back."""
    topics = list(dict.fromkeys(h.passage.title or h.passage.source for h in hits))[:3]
    covered = ", ".join(topics)
    if korean:
        about = f" 자료에는 {covered}에 관한 내용만 있어요." if covered else ""
        return (
            f"제가 가진 자료에는 이 질문의 답이 없어요.{about} "
            "어떤 곳이나 어떤 내용이 궁금하신지 조금 더 알려 주시겠어요?"
        )
    about = f" They only cover {covered}." if covered else ""
    return (
        f"My sources don't answer this.{about} "
        "Could you tell me a bit more about what you'd like to know?"
    )


def _distractors(
    question: str,
    retriever: Retriever,
    *,
    exclude: Sequence[Passage],
    banned: Sequence[Passage],
    supports: str | None,
    count: int,
    report: ContextReport,
) -> list[Passage]:
    out: list[Passage] = []
    for hit in retriever.search(question, k=_SEARCH_DEPTH):
        p = hit.passage
        if len(out) == count:
            break
        if any(overlaps(p, e) for e in exclude) or any(overlaps(p, o) for o in out):
            continue
        if any(overlaps(p, b) for b in banned):
            report.heldout_skipped += 1
            continue
        if supports is not None and assess(supports, p.text).grounded(DEFAULT_THRESHOLD):
            continue  # it would answer a question that must stay unanswerable
        out.append(p)
    return out


def _trim(passage: Passage, keep_line: int | None) -> Passage | None:
    """``passage`` less one line: the one farthest from ``keep_line`` (else the last)."""
    lines = passage.text.split("\n")
    if len(lines) <= 1:
        return None
    first = passage.line or 1
    target = (keep_line - first) if keep_line is not None else 0
    target = min(max(target, 0), len(lines) - 1)
    drop = 0 if target > len(lines) - 1 - target else len(lines) - 1
    kept = lines[1:] if drop == 0 else lines[:-1]
    start = passage.start + (len(lines[0]) + 1 if drop == 0 else 0)
    text = "\n".join(kept)
    line = (first + 1 if drop == 0 else first) if passage.line is not None else None
    return dataclasses.replace(passage, text=text, start=start, end=start + len(text), line=line)


def _build(
    example: Example,
    question: str,
    answer: str,
    passages: list[Passage],
    gold: Passage | None,
    *,
    options: ContextOptions,
    counter: TokenCounter,
    korean: bool,
) -> tuple[Example | None, bool]:
    """The example with ``passages`` (shuffled) in its user turn, fitted to the budget; the
    flag says whether anything was dropped or trimmed to fit."""
    rng = random.Random(f"{options.seed}|{example.id}")
    order = list(range(len(passages)))
    rng.shuffle(order)
    keep_line = example.source.line if example.source is not None else None
    trimmed = False
    while True:
        shown = [passages[i] for i in order]
        hits = [Hit(p, 0.0, rank) for rank, p in enumerate(shown)]
        reply = answer if gold is not None else unanswerable_reply(hits, korean=korean)
        if gold is not None and options.cite:
            number = next(n for n, p in enumerate(shown, start=1) if p is passages[0])
            reply = f"{answer} [{number}]"
        messages = [m for m in example.messages if m.get("role") == "system"]
        messages = [
            *messages,
            {"role": "user", "content": user_turn(question, hits, korean=korean)},
            {"role": "assistant", "content": reply},
        ]
        if counter.chat(messages) <= options.budget_tokens:
            break
        trimmed = True
        if len(order) > 1:  # drop the worst-ranked distractor (gold is passages[0], never)
            order.remove(max(i for i in order if gold is None or i != 0))
            continue
        smaller = _trim(passages[order[0]], keep_line)
        if smaller is None:
            return None, trimmed
        passages[order[0]] = smaller
    meta = {
        **example.meta,
        "question": question,
        "context": {
            "sources": [p.where for p in shown],
            "passages": [p.id for p in shown],
            "gold": None if gold is None else shown.index(passages[0]) + 1,
            "unanswerable": gold is None,
            "tokens": counter.chat(messages),
        },
    }
    return dataclasses.replace(example, messages=messages, meta=meta, id=""), trimmed


def attach_context(
    examples: Sequence[Example],
    retriever: Retriever,
    passages: Sequence[Passage],
    *,
    options: ContextOptions | None = None,
    counter: TokenCounter | None = None,
    banned: Sequence[Passage] = (),
) -> tuple[list[Example], ContextReport]:
    """Every example with its gold passage gets ``k`` sources in its user turn (see the module
    docstring); the others are returned unchanged, in the same order. ``banned`` are held-out
    source passages (:func:`heldout_passages`)."""
    options = options or ContextOptions()
    counter = counter or EstimateCounter()
    report = ContextReport(counter=str(getattr(counter, "name", "estimate")))
    golds = [gold_passage(e, passages) for e in examples]
    eligible = [
        i for i, g in enumerate(golds) if g is not None and not any(overlaps(g, b) for b in banned)
    ]
    n_unanswerable = round(options.unanswerable * len(eligible))
    unanswerable = set(random.Random(options.seed).sample(eligible, n_unanswerable))
    allowed = set(eligible)
    out: list[Example] = []
    for index, (example, gold) in enumerate(zip(examples, golds, strict=True)):
        if gold is None:
            report.without_context += 1
            out.append(example)
            continue
        if index not in allowed:
            report.heldout_dropped += 1
            report.details.append(f"{example.source}: gold passage {gold.where} is held out")
            continue
        question, answer = example.first("user"), example.first("assistant")
        korean = is_korean(question + answer)
        missing = index in unanswerable
        chosen = _distractors(
            question,
            retriever,
            exclude=[gold],
            banned=banned,
            supports=answer if missing else None,
            count=options.k if missing else options.k - 1,
            report=report,
        )
        if missing and not chosen:  # nothing to show but the gold: keep it answerable
            missing, chosen = False, []
        shown = chosen if missing else [gold, *chosen]
        built, trimmed = _build(
            example,
            question,
            answer,
            shown,
            None if missing else gold,
            options=options,
            counter=counter,
            korean=korean,
        )
        report.trimmed += trimmed
        if built is None:
            report.over_budget += 1
            report.details.append(f"{example.source}: does not fit {options.budget_tokens} tokens")
            continue
        report.examples += 1
        report.not_in_sources += missing
        report.answerable += not missing
        out.append(built)
    return out, report
