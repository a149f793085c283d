"""Korean driver's licence numbers (``KR_DRIVER_LICENSE``): ``NN-NN-NNNNNN-NN`` (or
space-separated), where the first two digits are a region code (11 서울 … 28 경기북부), or the
older region-name form ``서울 12-345678-90``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["DriverLicenseRecognizer"]

_REGIONS = "서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산|세종"
_LICENSE = re.compile(
    r"(?<![0-9A-Za-z-])(?:"
    r"(?P<numeric>(?P<region>\d{2})([- ])\d{2}\3\d{6}\3\d{2})"
    rf"|(?P<named>(?:{_REGIONS})\s?\d{{2}}-\d{{6}}-\d{{2}})"
    r")(?![0-9A-Za-z])(?!-\d)"
)
_CUES = cue_pattern(["운전면허", "면허번호", "면허증", "면허", "driver", "licence", "license"])
_SIX_DIGITS = re.compile(r"\d{6}")  # cheap prefilter: every form has a 6-digit group


class DriverLicenseRecognizer:
    name = "kr_driver_license"
    entities: tuple[str, ...] = ("KR_DRIVER_LICENSE",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _SIX_DIGITS.search(text) is None:
            return
        for match in _LICENSE.finditer(text):
            start, end = match.start(), match.end()
            region = match.group("region")
            known_region = region is None or 11 <= int(region) <= 28
            score = 0.75 if known_region else 0.4
            if near(text, start, end, _CUES, before=30):
                score += 0.2
            yield PiiFinding(
                "KR_DRIVER_LICENSE", start, end, min(score, 1.0), self.name, match.group()
            )
