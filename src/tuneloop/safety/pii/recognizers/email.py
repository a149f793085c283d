"""E-mail addresses (``EMAIL``); skipped outright when the text has no ``@``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.types import PiiFinding

__all__ = ["EmailRecognizer"]

# ASCII-only local part and domain: "hong@example.com으로" stops before the Hangul particle.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


class EmailRecognizer:
    name = "email"
    entities: tuple[str, ...] = ("EMAIL",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if "@" not in text:
            return
        for match in _EMAIL.finditer(text):
            yield PiiFinding("EMAIL", match.start(), match.end(), 0.9, self.name, match.group())
