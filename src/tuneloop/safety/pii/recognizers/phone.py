"""Personal phone numbers (``PHONE``): Korean mobiles and landlines, and North American numbers.

Korean forms (DOMAIN.md): mobiles ``010-1234-5678``, ``01012345678``, ``+82 10-1234-5678``,
``+82-10-…``; landlines ``02-123-4567``, ``031-1234-5678`` (area codes 0NN, also ``070`` internet
phones). Nationwide business numbers (``1588-1234``, ``1577-…``, ``1644-…``) belong to companies,
not people: they start with 1 and are never matched. North American numbers need an area code
(first digit 2–9): ``(555) 123-4567``, ``+1 555 123 4567``.

Why hand-written patterns instead of Google's ``phonenumbers`` (which Presidio uses): trying every
region's grammar on every candidate is the slow part of Presidio's phone recognizer, and the two
numbering plans that matter here fit in a few regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["PhoneRecognizer"]

_SEP = r"[ .-]"
_AREA_DIGITS = r"(?:2|[3-6][1-5]|70)"  # Seoul 02, regions 031–064, internet phones 070
_AREA = "0" + _AREA_DIGITS
# Lookarounds instead of \b: Hangul letters are \w, so "010-1234-5678로" has no word boundary.
_LEFT = r"(?<![0-9A-Za-z+.-])"
_RIGHT = r"(?![0-9A-Za-z])(?![.-]\d)"
_KR = re.compile(
    _LEFT
    + r"(?:"
    # mobile, separated or not: 010-1234-5678, 010 1234 5678, 01012345678, 011-123-4567
    + rf"(?P<mobile>01[016789](?:{_SEP}?\d{{3,4}}{_SEP}?\d{{4}}))"
    # +82 forms: +82 10-1234-5678, +82-2-123-4567, +82 (0)10 1234 5678
    + rf"|(?P<intl>\+82{_SEP}?(?:\(0\))?{_SEP}?(?:1[016789]|{_AREA_DIGITS})"
    + rf"{_SEP}?\d{{3,4}}{_SEP}?\d{{4}})"
    # landline with separators: 02-123-4567, 031-1234-5678, (02) 123-4567, 070-1234-5678
    + rf"|(?P<land>(?:{_AREA}|\({_AREA}\)){_SEP}?\s?\d{{3,4}}{_SEP}\d{{4}})"
    + r")"
    + _RIGHT
)
_NANP = re.compile(
    r"(?<![0-9A-Za-z+.-])"
    r"(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}"
    r"(?![0-9A-Za-z])(?![.-]\d)"
)
# Every form ends in four digits after a separator or another digit.
_PREFILTER = re.compile(r"\d[ .-]?\d{4}")
_CUES = cue_pattern(
    [
        "전화",
        "연락처",
        "연락",
        "휴대폰",
        "핸드폰",
        "휴대전화",
        "번호",
        "문자",
        "phone",
        "tel",
        "call",
        "mobile",
        "cell",
        "contact",
        "text me",
    ]
)


class PhoneRecognizer:
    """Korean and North American phone numbers; never 15xx/16xx/18xx business numbers."""

    name = "phone"
    entities: tuple[str, ...] = ("PHONE",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _PREFILTER.search(text) is None:
            return
        for match in _KR.finditer(text):
            kind = match.lastgroup
            value = match.group()
            if kind == "mobile":
                score = 0.75 if not value.isdigit() else 0.65
            elif kind == "intl":
                score = 0.8
            else:
                score = 0.6
            yield self._finding(text, match.start(), match.end(), score)
        for match in _NANP.finditer(text):
            yield self._finding(text, match.start(), match.end(), 0.6)

    def _finding(self, text: str, start: int, end: int, score: float) -> PiiFinding:
        if near(text, start, end, _CUES):
            score += 0.15
        return PiiFinding("PHONE", start, end, min(score, 1.0), self.name, text[start:end])
