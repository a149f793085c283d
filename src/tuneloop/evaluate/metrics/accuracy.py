"""Accuracy against reference answers: ``exact_match``, ``token_f1``, ``rouge_l``, ``chrf``.

Each compares the output with every reference of the case and keeps the best (a question may have
several acceptable answers). Units are Korean morphemes / English words
(:mod:`tuneloop.evaluate.metrics.tokens`), so 경복궁은 and 경복궁이 share 경복궁.

Library choices:

* ROUGE-L is written here (a 20-line LCS) instead of using Google's ``rouge-score``: its tokenizer
  lower-cases and then replaces every character outside ``[a-z0-9]`` with a space, so Hangul is
  deleted outright — checked with rouge-score 0.1.2: ``tokenize("경복궁은 매주 화요일에 쉽니다")``
  returns ``[]`` and every Korean pair scores 0.
* chrF uses ``sacrebleu`` (the reference implementation, well kept): character n-grams need no
  tokenizer, which makes chrF robust to Korean spacing and particle differences.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Self

from tuneloop.evaluate.metrics.base import (
    Category,
    EvalCase,
    MetricContext,
    Params,
    Score,
    best_over_references,
)
from tuneloop.evaluate.metrics.tokens import text_units

__all__ = [
    "Chrf",
    "ExactMatch",
    "RougeL",
    "TokenF1",
    "lcs_length",
    "normalize_answer",
    "rouge_l_f1",
    "token_f1",
]


def normalize_answer(text: str) -> str:
    """NFC, case-folded, whitespace collapsed, trailing punctuation removed.

    Nothing else: Korean sentence-final forms (쉽니다 / 쉬어요) stay different, so ``exact_match``
    stays exact; use ``token_f1`` or ``chrf`` for partial credit.
    """
    text = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    end = len(text)
    while end and (unicodedata.category(text[end - 1]).startswith("P") or text[end - 1] == " "):
        end -= 1
    return text[:end]


def _f1(overlap: int, predicted: int, expected: int) -> tuple[float, float, float]:
    """(precision, recall, F1); both sides empty is a perfect match, one side empty scores 0."""
    if predicted == 0 or expected == 0:
        perfect = float(predicted == expected)
        return perfect, perfect, perfect
    if overlap == 0:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / predicted, overlap / expected
    return precision, recall, 2 * precision * recall / (precision + recall)


def token_f1(predicted: Sequence[str], expected: Sequence[str]) -> tuple[float, float, float]:
    """SQuAD's bag-of-tokens (precision, recall, F1): a token counts as often as it occurs on
    both sides (multiset intersection)."""
    overlap = sum((Counter(predicted) & Counter(expected)).values())
    return _f1(overlap, len(predicted), len(expected))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a)·len(b)) time, O(len(b)) memory)."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l_f1(predicted: Sequence[str], expected: Sequence[str]) -> tuple[float, float, float]:
    """ROUGE-L (precision, recall, F1): LCS / output length, LCS / reference length, their
    harmonic mean (β = 1, as rouge-score reports ``fmeasure``)."""
    return _f1(lcs_length(predicted, expected), len(predicted), len(expected))


class ExactMatch:
    """1.0 when the output equals a reference after :func:`normalize_answer`, else 0.0."""

    name = "exact_match"
    category: Category = "accuracy"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> ExactMatch:
        Params(cls.name, params).done()
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        answer = normalize_answer(output)
        return best_over_references(
            case, lambda reference: (float(answer == normalize_answer(reference)), {})
        )


class _TokenMetric:
    """Shared by ``token_f1`` and ``rouge_l``: units, the ``content_only`` parameter, details."""

    name = ""
    category: Category = "accuracy"

    def __init__(self, *, content_only: bool = False) -> None:
        self.content_only = content_only

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Self:
        reader = Params(cls.name, params)
        content_only = reader.flag("content_only", False)
        reader.done()
        return cls(content_only=content_only)

    def measure(
        self, predicted: Sequence[str], expected: Sequence[str]
    ) -> tuple[float, float, float]:
        raise NotImplementedError

    def score(self, case: EvalCase, output: str) -> Score:
        predicted = text_units(output, content_only=self.content_only)

        def one(reference: str) -> tuple[float, dict[str, Any]]:
            precision, recall, f1 = self.measure(
                predicted, text_units(reference, content_only=self.content_only)
            )
            return f1, {"precision": precision, "recall": recall}

        return best_over_references(case, one)


class TokenF1(_TokenMetric):
    """SQuAD-style token F1 over Korean morphemes / English words (see :func:`token_f1`)."""

    name = "token_f1"

    def measure(
        self, predicted: Sequence[str], expected: Sequence[str]
    ) -> tuple[float, float, float]:
        return token_f1(predicted, expected)


class RougeL(_TokenMetric):
    """ROUGE-L F-measure over the same units as ``token_f1`` (word order matters)."""

    name = "rouge_l"

    def measure(
        self, predicted: Sequence[str], expected: Sequence[str]
    ) -> tuple[float, float, float]:
        return rouge_l_f1(predicted, expected)


class Chrf:
    """sacrebleu's sentence chrF / 100 (character n-grams; ``word_order: 2`` gives chrF++).

    Both output and reference empty is a match (1.0); sacrebleu itself would say 0.
    """

    name = "chrf"
    category: Category = "accuracy"

    def __init__(self, *, char_order: int = 6, word_order: int = 0, beta: int = 2) -> None:
        from sacrebleu.metrics.chrf import CHRF

        self.chrf = CHRF(char_order=char_order, word_order=word_order, beta=beta)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Chrf:
        reader = Params(cls.name, params)
        char_order = reader.integer("char_order", 6, minimum=1)
        word_order = reader.integer("word_order", 0, minimum=0)
        beta = reader.integer("beta", 2, minimum=1)
        reader.done()
        return cls(char_order=char_order, word_order=word_order, beta=beta)

    def score(self, case: EvalCase, output: str) -> Score:
        hypothesis = unicodedata.normalize("NFC", output)

        def one(reference: str) -> tuple[float, dict[str, Any]]:
            reference = unicodedata.normalize("NFC", reference)
            if not hypothesis.strip() or not reference.strip():
                return float(not hypothesis.strip() and not reference.strip()), {}
            return self.chrf.sentence_score(hypothesis, [reference]).score / 100.0, {}

        return best_over_references(case, one)
