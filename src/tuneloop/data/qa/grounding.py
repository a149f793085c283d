"""Is a generated answer supported by the text it was generated from? A lexical check.

``grounding_score(answer, source)`` is the share of the answer's *content units* that also occur
in the source:

* Korean words are reduced to content morphemes with kiwipiepy
  (:func:`tuneloop.text.korean.content_tokens`), so 휴무일은 and 휴무일: both count as 휴무일 and
  particles/endings (은, 입니다) never count for or against an answer. Kiwi may split a compound
  differently in two contexts (휴무일 here, 휴무 + 일 there), so a Korean unit also counts as
  supported when it occurs literally in the source (units of two or more syllables, or a
  one-syllable unit together with the unit before it);
* Latin words are lower-cased, minus a short list of English function words;
* numbers (hours, prices, dates) are compared *exactly* as whole numbers (``09:00``, ``3,000``,
  ``2024.05.01``; thousands separators and a leading zero aside), so ``10:00`` is not supported by
  a source that says ``09:00``, nor ``18`` by ``180``; and :func:`is_grounded` fails any answer
  with a number the source lacks, whatever its score.

Why this and not an NLI model or an LLM judge: it is cheap (one Kiwi pass, no model weights, no
network), deterministic (the same pair always gets the same score, so a threshold means the same
thing in every run and in CI), Korean-aware, and it catches the failure that matters most for a
travel assistant — a wrong hour, price or place that is not in the source. Its limit is
paraphrase: a faithful answer that uses other words (문을 닫는 날 for 휴무일) scores lower than it
deserves, and an answer that rearranges source words into a false claim (가격 and 무료 both in
the source) can score high. It is a filter that flags pairs for a human (``tuneloop data label``),
not a proof of truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tuneloop.text.korean import content_tokens, has_hangul

__all__ = [
    "DEFAULT_THRESHOLD",
    "Grounding",
    "assess",
    "content_units",
    "grounding_score",
    "is_grounded",
]

DEFAULT_THRESHOLD = 0.6

_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_LATIN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_HANGUL_OR_HANJA = re.compile(r"[\uac00-\ud7a3\u3131-\u318e\u4e00-\u9fff]")
_STOPWORD_TEXT = """
a an the of to in on at for from by with and or but is are was were be been being it its
this that these those there here as do does did has have had will would can could should
may might what which who whom whose when where why how i you he she we they me him her us
them my your our their not no yes so if than then also about into over
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _numbers(text: str) -> list[str]:
    """Whole numbers, normalized: thousands commas dropped, no leading zero (09:00 → 9:00)."""
    units = []
    for match in _NUMBER.finditer(text):
        raw = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", match.group())
        units.append(re.sub(r"^0+(?=\d)", "", raw))
    return units


def content_units(text: str) -> list[str]:
    """The units :func:`grounding_score` compares: Korean content morphemes, English content
    words (lower-cased) and normalized numbers, in order of appearance within each kind."""
    units: list[str] = []
    if has_hangul(text):
        units += [t for t in content_tokens(text) if _HANGUL_OR_HANJA.search(t)]
    units += [
        w
        for w in (m.group().lower() for m in _LATIN.finditer(text))
        if w not in _STOPWORDS and len(w) > 1
    ]
    units += _numbers(text)
    return units


@dataclass(frozen=True)
class Grounding:
    """The verdict on one answer: its score and the units the source does not support."""

    score: float
    missing: tuple[str, ...] = ()
    missing_numbers: tuple[str, ...] = ()

    def grounded(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """Supported enough, and no number the source does not contain.

        A wrong hour or price is the hallucination that hurts a traveller most, and a share
        cannot express that (one wrong number among four right words still scores 0.75), so
        any unsupported number fails the check whatever the threshold.
        """
        return self.score >= threshold and not self.missing_numbers


def assess(answer: str, source: str) -> Grounding:
    """Score ``answer`` against ``source`` and list what is unsupported (see module docstring).

    Each occurrence in the answer counts once (a repeated unsupported word weighs more). An
    answer with no content units at all (``네.``) scores 0.0: nothing in it can be shown to come
    from the source.
    """
    wanted = content_units(answer)
    if not wanted:
        return Grounding(0.0)
    available = set(content_units(source))
    literal = re.sub(r"\s+", "", source).lower()
    missing: list[str] = []
    for i, unit in enumerate(wanted):
        if unit in available:
            continue
        if _HANGUL_OR_HANJA.search(unit):
            probe = unit if len(unit) > 1 else (wanted[i - 1] + unit if i else "")
            if len(probe) > 1 and probe in literal:
                continue
        missing.append(unit)
    numbers = set(_numbers(answer))
    return Grounding(
        score=(len(wanted) - len(missing)) / len(wanted),
        missing=tuple(missing),
        missing_numbers=tuple(u for u in missing if u in numbers),
    )


def grounding_score(answer: str, source: str) -> float:
    """Share (0–1) of the answer's content units that occur in ``source``."""
    return assess(answer, source).score


def is_grounded(answer: str, source: str, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """At least ``threshold`` of the answer is supported and every number in it is in the
    source (see :meth:`Grounding.grounded`)."""
    return assess(answer, source).grounded(threshold)
