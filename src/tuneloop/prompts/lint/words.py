"""Small vocabularies the rules share: numbers, counters and English word tokens.

Korean cues are matched on Kiwi morphemes (form + tag), never on raw strings: 추천해줘, 추천해
주세요 and 추천을 all carry the morpheme 추천/NNG, and a numeral is a number only when Kiwi tags
it SN/NR or as a native-numeral determiner (세 곳, 다섯 군데). English cues use lowercase word
tokens, which is enough for a language without particles glued to words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tuneloop.text.korean import Morpheme

__all__ = [
    "KOREAN_COUNTERS",
    "VAGUE_COUNTS",
    "english_number",
    "korean_number",
    "korean_quantity",
    "words",
]

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")

# Native numeral determiners (tagged MM) and numerals (NR): 세 곳, 다섯 군데, 하나만.
_NATIVE = {
    "한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "서": 3, "네": 4, "넷": 4,
    "넉": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10, "스무": 20,
    "스물": 20,
}  # fmt: skip
_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9, "십": 10}
# Approximate but concrete ranges (두세 곳 = two or three): a quantity without one value.
_RANGES = {"한두", "두세", "두어", "서너", "너덧", "네댓", "대여섯", "예닐곱"}
# 몇 (how many), 여러 (several), 몇몇 (a few) ask for a count without giving one.
VAGUE_COUNTS = {"몇", "여러", "몇몇", "많", "다양"}

KOREAN_COUNTERS = {"곳", "개", "가지", "군데", "문장", "줄", "단어", "글자", "자", "항목", "개소"}

_ENGLISH = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "dozen": 12,
}  # fmt: skip


def words(text: str) -> list[str]:
    """Lowercase English word and number tokens."""
    return _WORD.findall(text.lower())


def english_number(word: str) -> float | None:
    if word in _ENGLISH:
        return float(_ENGLISH[word])
    try:
        return float(word)
    except ValueError:
        return None


def korean_number(m: Morpheme) -> float | None:
    """The value of a numeral morpheme, or ``None`` when it is not one (or is a range)."""
    if m.tag == "SN":
        try:
            return float(m.form.replace(",", ""))
        except ValueError:
            return None
    if m.tag in ("MM", "NR") and m.form in _NATIVE:
        return float(_NATIVE[m.form])
    if m.tag == "NR" and m.form in _SINO:
        return float(_SINO[m.form])
    return None


def korean_quantity(ms: Sequence[Morpheme]) -> bool:
    """Whether the text states a concrete count: a number, or a range such as 두세 곳."""
    return any(korean_number(m) is not None or m.form in _RANGES for m in ms)
