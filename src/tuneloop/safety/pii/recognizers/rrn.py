"""주민등록번호 (``KR_RRN``) and 외국인등록번호 (``KR_FRN``): ``YYMMDD-GNNNNNN``.

The rules (DOMAIN.md, "Korean personal information"):

* ``G`` is 1–4 for citizens (1/2 born in the 1900s, 3/4 in the 2000s) and 5–8 for foreigners
  (5/6, 7/8 likewise). Any other gender digit, or a birth date that does not exist (month 13,
  Feb 30, a date in the future), means "not a registration number".
* The last digit was a check digit until October 2020; numbers issued since then carry a random
  last digit. So a valid checksum RAISES the score, an invalid one never rejects.
* Without the hyphen, 13 digits count only when nothing alphanumeric touches them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["ResidentNumberRecognizer", "rrn_checksum_ok", "valid_birth_date"]

_NUMBER = re.compile(
    r"(?<![0-9A-Za-z-])(\d{2})(\d{2})(\d{2})(-?)([1-8])(\d{6})(?![0-9A-Za-z])(?!-\d)"
)
_SIX_DIGITS = re.compile(r"\d{6}")  # cheap prefilter: every form starts with YYMMDD
_CUES = cue_pattern(
    [
        "주민등록번호",
        "주민번호",
        "주민등록",
        "외국인등록번호",
        "외국인등록",
        "등록번호",
        "resident registration",
        "registration number",
        "RRN",
        "FRN",
        "alien registration",
    ]
)
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CENTURY = {"1": 1900, "2": 1900, "3": 2000, "4": 2000, "5": 1900, "6": 1900, "7": 2000, "8": 2000}


def valid_birth_date(yymmdd: str, gender: str, *, today: dt.date | None = None) -> bool:
    """The date exists in the century the gender digit gives, and is not in the future."""
    century = _CENTURY.get(gender)
    if century is None:
        return False
    try:
        born = dt.date(century + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        return False
    return born <= (today or dt.date.today())


def rrn_checksum_ok(digits: str) -> bool:
    """The pre-October-2020 check digit: (11 - Σ wᵢdᵢ mod 11) mod 10 for citizens, and
    (13 - Σ wᵢdᵢ mod 11) mod 10 for foreigners (gender digit 5–8)."""
    total = sum(int(d) * w for d, w in zip(digits[:12], _WEIGHTS, strict=True))
    base = 13 if digits[6] in "5678" else 11
    return (base - total % 11) % 10 == int(digits[12])


class ResidentNumberRecognizer:
    """Korean resident (citizen and foreigner) registration numbers."""

    name = "kr_rrn"
    entities: tuple[str, ...] = ("KR_RRN", "KR_FRN")

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _SIX_DIGITS.search(text) is None:
            return
        for match in _NUMBER.finditer(text):
            yy, mm, dd, hyphen, gender, rest = match.groups()
            if not valid_birth_date(yy + mm + dd, gender):
                continue
            digits = yy + mm + dd + gender + rest
            score = 0.6 if hyphen else 0.5
            if rrn_checksum_ok(digits):
                score += 0.3
            if near(text, match.start(), match.end(), _CUES):
                score += 0.15
            yield PiiFinding(
                entity="KR_FRN" if gender in "5678" else "KR_RRN",
                start=match.start(),
                end=match.end(),
                score=min(score, 1.0),
                recognizer=self.name,
                text=match.group(),
            )
