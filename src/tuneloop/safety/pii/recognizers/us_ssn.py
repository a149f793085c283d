"""US Social Security numbers (``US_SSN``): ``AAA-GG-SSSS`` with the SSA's rules (area not 000,
666 or 9xx; group not 00; serial not 0000). Only the hyphenated form: nine bare digits are too
often something else."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["UsSsnRecognizer"]

_SSN = re.compile(
    r"(?<![0-9A-Za-z-])(?!000|666|9\d\d)(\d{3})-(?!00)(\d{2})-(?!0000)(\d{4})(?![0-9A-Za-z])(?!-\d)"
)
_PREFILTER = re.compile(r"\d{2}-\d{4}")
_CUES = cue_pattern(["ssn", "social security", "사회보장번호"])


class UsSsnRecognizer:
    name = "us_ssn"
    entities: tuple[str, ...] = ("US_SSN",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if "-" not in text or _PREFILTER.search(text) is None:
            return
        for match in _SSN.finditer(text):
            start, end = match.start(), match.end()
            score = 0.9 if near(text, start, end, _CUES) else 0.6
            yield PiiFinding("US_SSN", start, end, score, self.name, match.group())
