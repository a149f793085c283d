"""Fluency without a reference answer: Korean spacing, repetition, answering in the asked language.

(``perplexity`` under a reference language model lives in
:mod:`tuneloop.evaluate.metrics.perplexity`: it loads model weights.)

* ``spacing`` — 띄어쓰기 is the most visible error of small Korean models. Kiwi's
  :func:`~tuneloop.text.korean.space` serves as the reference spacing: with the output's
  non-space characters fixed, each gap between two of them is spaced or not; the error rate is the
  edit distance between the output's and the reference's spaced gaps (gaps spaced in exactly one
  of them) divided by the gaps spaced in either, and ``value = 1 − rate``. Dividing by spaced gaps
  rather than all gaps keeps the rate meaningful: most gaps lie inside words and are never in
  doubt. Kiwi's spacing is itself a model, so treat small differences as noise. Text without
  Hangul is skipped (1.0, ``details["skipped"]``).
* ``repetition`` — degenerate loops ("서울 서울 서울 …") are the classic failure of small or
  over-trained models; ``value = 1 −`` the share of repeated ``n``-grams
  (:func:`tuneloop.text.stats.ngram_repetition`) over Korean morphemes / English words, with
  distinct-1 and distinct-2 in ``details``.

``language_match`` (a Korean question deserves a Korean answer) is a classifier over words, in
:mod:`tuneloop.evaluate.metrics.dialogue` with the other behaviour checks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score
from tuneloop.evaluate.metrics.tokens import text_units
from tuneloop.text.korean import has_hangul, space
from tuneloop.text.stats import ngram_repetition

__all__ = ["Repetition", "Spacing", "spaced_gaps"]


def spaced_gaps(text: str) -> tuple[str, set[int]]:
    """``(letters, gaps)``: the text without whitespace, and the indices ``i`` of the letters
    preceded by whitespace (a gap between letter ``i - 1`` and ``i``)."""
    letters: list[str] = []
    gaps: set[int] = set()
    pending = False
    for char in text:
        if char.isspace():
            pending = bool(letters)
            continue
        if pending:
            gaps.add(len(letters))
            pending = False
        letters.append(char)
    return "".join(letters), gaps


class Spacing:
    """Korean spacing agreement with Kiwi's correction (see module docstring)."""

    name = "spacing"
    category: Category = "fluency"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Spacing:
        Params(cls.name, params).done()
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        text = unicodedata.normalize("NFC", output)
        if not has_hangul(text):
            return Score(1.0, {"skipped": "no Hangul"})
        corrected = space(text)
        letters, have = spaced_gaps(text)
        reference_letters, want = spaced_gaps(corrected)
        if letters != reference_letters:  # space() only moves spaces; guard against surprises
            return Score(1.0, {"skipped": "the spacing model changed letters, not only spaces"})
        missing, extra = want - have, have - want
        positions = len(want | have)
        rate = (len(missing) + len(extra)) / positions if positions else 0.0
        details: dict[str, Any] = {
            "missing_spaces": len(missing),
            "extra_spaces": len(extra),
            "positions": positions,
        }
        if missing or extra:
            details["corrected"] = corrected
        return Score(1.0 - rate, details)


class Repetition:
    """``1 −`` the share of ``n``-grams (default 3) that repeat an earlier one."""

    name = "repetition"
    category: Category = "fluency"

    def __init__(self, n: int = 3) -> None:
        self.n = n

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Repetition:
        reader = Params(cls.name, params)
        n = reader.integer("n", 3, minimum=1)
        reader.done()
        return cls(n)

    def score(self, case: EvalCase, output: str) -> Score:
        units = text_units(output)
        repeated = ngram_repetition(units, self.n)
        return Score(
            1.0 - repeated,
            {
                "repeated_share": repeated,
                # distinct-n is one minus the repeated share of n-grams (1.0 for too short texts)
                "distinct_1": 1.0 - ngram_repetition(units, 1),
                "distinct_2": 1.0 - ngram_repetition(units, 2),
                "tokens": len(units),
            },
        )
