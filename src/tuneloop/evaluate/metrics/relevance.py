"""Relevance: does the answer address the question, stay on the case's context, and is it
supported by that context?

* ``answer_relevance`` and ``context_relevance`` compare the answer with the question or with
  ``case.context``. ``method: embedding`` uses ``max(0, cos)`` of MiniLM sentence embeddings
  (:mod:`tuneloop.evaluate.metrics.embedding`); ``method: lexical`` uses the *overlap
  coefficient* of content-morpheme sets, ``|A ∩ T| / min(|A|, |T|)``: for a short question it is
  the share of the question's content words the answer takes up, for a long context the share of
  the answer's content words found in it — one formula that behaves sensibly for both. The
  default ``auto`` decides per case: ``lexical`` when the answer or its target contains Hangul
  (MiniLM reads Hangul as jamo pieces and scores unrelated Korean sentences ≈ 0.7, see
  :mod:`tuneloop.text.embeddings`), otherwise ``embedding`` when its weights are installed, else
  ``lexical``. The method used is in each score's ``details``.
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
from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score
from tuneloop.evaluate.metrics.tokens import text_units

__all__ = ["AnswerRelevance", "ContextRelevance", "Grounding", "overlap_coefficient"]

METHODS = ("auto", "embedding", "lexical")


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


class AnswerRelevance(_Relevance):
    """How closely the answer relates to the question (the last user message)."""

    name = "answer_relevance"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> AnswerRelevance:
        return cls(cls._method(params))

    def target(self, case: EvalCase) -> str | None:
        return case.question

    def missing(self, case: EvalCase) -> str:
        return f"case {case.id!r} has no user message to compare with"


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
