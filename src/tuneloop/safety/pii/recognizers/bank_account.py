"""Korean bank account numbers (``BANK_ACCOUNT``), only with a banking word nearby.

Account formats differ by bank (``XXX-XX-XXXXXX``, ``XXXX-XXX-XXXXXX``, ``XXX-XXXXXX-XX-XXX`` …)
and, bare, look like any other number. So a candidate (10–14 digits in 3–4 hyphenated groups, or
a 10–14 digit run) counts only when a cue — 계좌, 입금, 예금주, 송금, a bank's name, "account",
"routing" — sits within a few words of it; without one the recognizer stays silent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["BankAccountRecognizer"]

_ACCOUNT = re.compile(
    r"(?<![0-9A-Za-z.:-])(?:\d{2,6}-\d{2,7}-\d{2,7}(?:-\d{1,3})?|\d{10,14})"
    r"(?![0-9A-Za-z])(?![.:-]\d)"
)
_STRONG = cue_pattern(
    [
        "계좌",
        "계좌번호",
        "입금",
        "예금주",
        "송금",
        "이체",
        "무통장",
        "account",
        "acct",
        "routing",
        "wire",
        "bank transfer",
    ]
)
_BANKS = cue_pattern(
    [
        "은행",
        "국민",
        "신한",
        "우리",
        "하나",
        "농협",
        "기업",
        "카카오뱅크",
        "케이뱅크",
        "토스뱅크",
        "새마을",
        "우체국",
        "수협",
        "신협",
        "SC제일",
        "씨티",
        "bank",
    ]
)
# Shaped exactly like a Korean phone number: the phone recognizer's, never an account.
_PHONE_SHAPE = re.compile(r"(?:01[016789]|02|0[3-6][1-5]|070)-\d{3,4}-\d{4}")
_PREFILTER = re.compile(_STRONG.pattern + "|" + _BANKS.pattern)


class BankAccountRecognizer:
    """Account numbers next to 계좌/입금/예금주/송금, a bank name, or "account"/"routing"."""

    name = "bank_account"
    entities: tuple[str, ...] = ("BANK_ACCOUNT",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _PREFILTER.search(text) is None:
            return
        for match in _ACCOUNT.finditer(text):
            value = match.group()
            digits = value.replace("-", "")
            if not 10 <= len(digits) <= 14 or _PHONE_SHAPE.fullmatch(value):
                continue
            start, end = match.start(), match.end()
            if near(text, start, end, _STRONG, before=30, after=15):
                score = 0.75
            elif near(text, start, end, _BANKS, before=20, after=10):
                score = 0.6
            else:
                continue
            yield PiiFinding("BANK_ACCOUNT", start, end, score, self.name, value)
