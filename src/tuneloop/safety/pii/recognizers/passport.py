"""Passport numbers (``PASSPORT``): Korean ``M12345678`` (one letter, 8 digits; M/S/R/G/O/D
for multiple, single, residence, official and diplomatic passports) and the 2021 format
``M123A4567``.

A bare match scores 0.5 (found at the default threshold; product codes rarely look like this),
"여권"/"passport" nearby raises it to 0.85.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["PassportRecognizer"]

_PASSPORT = re.compile(r"(?<![0-9A-Za-z-])[MSRGDO](?:\d{8}|\d{3}[A-Z]\d{4})(?![0-9A-Za-z])")
_PREFILTER = re.compile(r"[MSRGDO]\d{3}")
_CUES = cue_pattern(["여권", "여권번호", "passport", "passport no", "travel document"])


class PassportRecognizer:
    name = "passport"
    entities: tuple[str, ...] = ("PASSPORT",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _PREFILTER.search(text) is None:
            return
        for match in _PASSPORT.finditer(text):
            start, end = match.start(), match.end()
            score = 0.85 if near(text, start, end, _CUES, before=30) else 0.5
            yield PiiFinding("PASSPORT", start, end, score, self.name, match.group())
