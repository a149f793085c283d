"""Payment card numbers (``CARD``): 13–19 digits, usually ``4-4-4-4`` with spaces or hyphens,
and always passing the Luhn check (a Luhn failure means "not a card", whatever it looks like).

Unseparated digit runs are only taken from 14 digits up (or 13 with a card word nearby), so a
13-digit 주민등록번호 written without its hyphen is left to the RRN recognizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["CardRecognizer", "luhn_ok"]

_CARD = re.compile(
    r"(?<![0-9A-Za-z-])(?:"
    r"(?P<grouped>\d{4}([ -])\d{4}\2\d{4}\2\d{1,7})"  # 4-4-4-4 (and 4-4-4-1..7)
    r"|(?P<amex>3[47]\d{2}([ -])\d{6}\4\d{5})"  # 4-6-5
    r"|(?P<plain>\d{13,19})"
    r")(?![0-9A-Za-z])(?![ -]\d)"
)
_PREFILTER = re.compile(r"\d{4}[ -]?\d{4}")  # 8 digits, or two groups of 4
_CUES = cue_pattern(
    [
        "카드",
        "신용카드",
        "체크카드",
        "결제",
        "card",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "payment",
    ]
)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check every card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class CardRecognizer:
    """Card numbers that pass Luhn; grouped numbers score higher than bare digit runs."""

    name = "card"
    entities: tuple[str, ...] = ("CARD",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _PREFILTER.search(text) is None:
            return
        for match in _CARD.finditer(text):
            value = match.group()
            digits = value.replace(" ", "").replace("-", "")
            if not 13 <= len(digits) <= 19 or not luhn_ok(digits):
                continue
            context = near(text, match.start(), match.end(), _CUES)
            if match.group("plain") is not None:
                if len(digits) < 14 and not context:
                    continue
                score = 0.6
            else:
                score = 0.8
            if context:
                score += 0.15
            yield PiiFinding("CARD", match.start(), match.end(), min(score, 1.0), self.name, value)
