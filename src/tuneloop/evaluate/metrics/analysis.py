"""The text analysis the classifier metrics share: normalised text cut into units with tags and
offsets, grouped into sentences.

Why one analysis for ``fact_recall``, ``asks_back``, ``refusal`` and ``answer_relevance``: they
all need the same three things a regex cannot give — Korean particles and endings split off
(무료가, 무료는 → 무료), lemmas for verbs (엽니다 → 열), and sentence boundaries — and they must
agree
on what "the same word" means. Korean goes through Kiwi (:func:`tuneloop.text.korean.morphemes`);
runs of Latin letters inside it, and text without Hangul, are split into lower-cased words
(Kiwi splits English oddly), tagged ``SL``; punctuation becomes ``SF`` (sentence end) or ``SP``.

:func:`normalise` is applied first, so numbers compare by value: full-width digits (NFKC),
thousands separators ("3,000원" = "3000원"), 천/만 multipliers ("2천 원" = "2000원"), native
Korean counters ("두 시간" = "2시간"), clock times ("9:00" = "9시", "오후 5시" = "5 p.m." = "17시")
and English contractions ("isn't" = "is not").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tuneloop.text.korean import CONTENT_TAGS, has_hangul, morphemes

__all__ = ["Unit", "analyse", "content", "is_question", "normalise", "sentences"]

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_MULTIPLIER = re.compile(r"(\d+)\s*(천|만)\s*(?=원|명|개)")
_NATIVE = {
    "한": 1,
    "두": 2,
    "세": 3,
    "네": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
    "열한": 11,
    "열두": 12,
}
_NATIVE_COUNTER = re.compile(
    r"(?<![가-힣])(열한|열두|다섯|여섯|일곱|여덟|아홉|한|두|세|네|열)\s*"
    r"(시간|시(?!장|작|청|내|민|설|티|각)|가지|개|명|번|정거장)"
)
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
_ENGLISH_TIME = re.compile(r"(?<![\d:])(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\.?(?![a-z])", re.I)
_KOREAN_HALF = re.compile(r"(오전|아침|새벽|오후|저녁|밤)\s*(\d{1,2})시")
_CONTRACTIONS = [
    (re.compile(r"\bcan['’]t\b", re.I), "can not"),
    (re.compile(r"\bcannot\b", re.I), "can not"),
    (re.compile(r"\bwon['’]t\b", re.I), "will not"),
    (re.compile(r"n['’]t\b", re.I), " not"),
]
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[.!?。？！]+|[,;:，、]")
_SENTENCE_END = set(".!?。？！")


def _time(hour: int, minute: int, korean: bool) -> str:
    if korean:
        return f"{hour}시" if minute == 0 else f"{hour}시 {minute}분"
    return f"{hour}:{minute:02d}"


def _clock(match: re.Match[str], korean: bool) -> str:
    return _time(int(match[1]), int(match[2]), korean)


def _english_time(match: re.Match[str], korean: bool) -> str:
    hour = int(match[1]) % 12 + (12 if match[3].lower() == "p" else 0)
    return _time(hour, int(match[2] or 0), korean)


def _korean_half(match: re.Match[str]) -> str:
    hour = int(match[2])
    if match[1] in ("오후", "저녁", "밤") and 1 <= hour <= 11:
        hour += 12
    return f"{hour}시"


def normalise(text: str) -> str:
    """``text`` with numbers, times and contractions written one way (see the module docstring):
    times as ``9시 30분`` in Korean text, ``9:30`` in text without Hangul."""
    text = unicodedata.normalize("NFKC", text)
    korean = has_hangul(text)
    text = _THOUSANDS.sub("", text)
    text = _MULTIPLIER.sub(lambda m: str(int(m[1]) * (1000 if m[2] == "천" else 10000)), text)
    text = _NATIVE_COUNTER.sub(lambda m: f"{_NATIVE[m[1]]}{m[2]}", text)
    text = _ENGLISH_TIME.sub(lambda m: _english_time(m, korean), text)
    text = _CLOCK.sub(lambda m: _clock(m, korean), text)
    text = _KOREAN_HALF.sub(_korean_half, text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Unit:
    """One morpheme (Korean) or word (Latin script): ``form`` lower-cased, Kiwi's ``tag``
    (``SL`` for Latin words, ``SF`` for sentence ends, ``SP`` for other punctuation), and its
    character offsets in the normalised text."""

    form: str
    tag: str
    start: int
    end: int

    @property
    def is_content(self) -> bool:
        return self.tag.startswith(CONTENT_TAGS) or self.tag == "XSN"

    @property
    def is_latin(self) -> bool:
        return self.tag == "SL"


def _stem(word: str) -> str:
    """English plural stripping, enough for "stations" = "station"."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _latin_units(text: str, offset: int) -> list[Unit]:
    units = []
    for match in _WORD.finditer(text):
        piece = match.group()
        start, end = offset + match.start(), offset + match.end()
        if piece[0] in _SENTENCE_END:
            units.append(Unit(piece, "SF", start, end))
        elif not piece[0].isalnum():
            units.append(Unit(piece, "SP", start, end))
        elif piece.isdigit():
            units.append(Unit(piece, "SN", start, end))
        else:
            units.append(Unit(_stem(piece.casefold()), "SL", start, end))
    return units


def analyse(text: str) -> list[Unit]:
    """The units of :func:`normalise` ``(text)``, in order (see the module docstring)."""
    text = normalise(text)
    if not has_hangul(text):
        return _latin_units(text, 0)
    units: list[Unit] = []
    found = morphemes(text)
    i = 0
    while i < len(found):
        first = found[i]
        if first.tag == "SL":  # a run of touching Latin morphemes is one English span
            end = first.end
            while i + 1 < len(found) and found[i + 1].tag == "SL" and found[i + 1].start == end:
                i += 1
                end = found[i].end
            units += _latin_units(text[first.start : end], first.start)
        elif first.tag == "SF" or (first.tag == "SW" and first.form in _SENTENCE_END):
            units.append(Unit(first.form, "SF", first.start, first.end))
        elif first.tag in ("SP", "SS", "SE", "SO", "SW"):
            units.append(Unit(first.form, "SP", first.start, first.end))
        else:
            units.append(Unit(first.form.lower(), first.tag, first.start, first.end))
        i += 1
    return units


def sentences(units: list[Unit]) -> list[list[Unit]]:
    """``units`` cut after each sentence end (``SF``); a trailing sentence without one counts."""
    out: list[list[Unit]] = [[]]
    for unit in units:
        out[-1].append(unit)
        if unit.tag == "SF":
            out.append([])
    return [s for s in out if any(u.tag != "SF" for u in s)]


def content(units: list[Unit]) -> list[str]:
    """The content forms (no particles, endings or punctuation) of ``units``."""
    return [u.form for u in units if u.is_content]


# Kiwi's interrogative sentence endings (-나요, -ᆫ가요, -까요, -ᆸ니까 …)
ASKING_ENDINGS = frozenset(
    {"나요", "ᆫ가요", "가요", "까요", "ᆯ까요", "을까요", "니까", "ᆸ니까", "습니까", "냐", "니", "ᆫ가"}
)


def is_question(sentence: list[Unit]) -> bool:
    """Whether the sentence is a question: a question mark or an interrogative ending."""
    return any(
        (u.tag == "SF" and u.form in ("?", "？"))
        or (u.tag.startswith("EF") and u.form in ASKING_ENDINGS)
        for u in sentence
    )
