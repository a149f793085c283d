"""``pii-in-template``: personal data written into a prompt file.

Prompt files are versioned, shared and sent with every request, so a real phone number or
주민등록번호 pasted into an example leaks on every call. This detector is deliberately small and
private to the rule — Korean mobile and landline numbers, e-mail addresses, resident registration
numbers (date and gender digit checked) and card numbers (Luhn) — and the rule will switch to the
fuller recognizers of ``tuneloop.safety.pii`` once that component exists.

RRNs issued since October 2020 carry no valid check digit, so only the date and the gender digit
decide (DOMAIN.md); business numbers such as 1588-XXXX are not personal and are not matched.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator

from tuneloop.prompts.lint.base import LintContext, LintIssue, Loc, Rule, Severity

__all__ = ["PiiInTemplate"]

_MOBILE = re.compile(
    r"(?<![\d+])(?:\+82[- ]?1[016789]|01[016789])[- .]?(?P<mid>\d{3,4})[- .]?\d{4}(?!\d)"
)
_LANDLINE = re.compile(r"(?<![\d+])(?:02|0[3-6][1-5]|070)[-.)]\s?(?P<mid>\d{3,4})[- .]\d{4}(?!\d)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_RRN = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})-?([1-8])\d{6}(?!\d)")
_CARD = re.compile(r"(?<!\d)\d{4}([- ]?)\d{4}\1\d{4}\1\d{4}(?!\d)")


def _valid_rrn(match: re.Match[str]) -> bool:
    yy, mm, dd, gender = (int(g) for g in match.groups())
    century = 1900 if gender in (1, 2, 5, 6) else 2000
    try:
        datetime.date(century + yy, mm, dd)
    except ValueError:
        return False
    return True


def _luhn(match: re.Match[str]) -> bool:
    digits = [int(c) for c in match.group(0) if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _real_phone(match: re.Match[str]) -> bool:
    """010-0000-1234-style numbers (no subscriber block 0000 exists) are obvious fakes."""
    return int(match.group("mid")) != 0


_RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
_RESERVED_TLDS = (".example", ".test", ".invalid", ".localhost")


def _real_email(match: re.Match[str]) -> bool:
    """Addresses at the domains RFC 2606 reserves for documentation are not personal."""
    domain = match.group(0).rsplit("@", 1)[1].lower()
    return not (
        domain.endswith(_RESERVED_TLDS)
        or any(domain == d or domain.endswith("." + d) for d in _RESERVED_DOMAINS)
    )


_DETECTORS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]], ...] = (
    ("resident registration number", _RRN, _valid_rrn),
    ("card number", _CARD, _luhn),
    ("mobile phone number", _MOBILE, _real_phone),
    ("phone number", _LANDLINE, _real_phone),
    ("e-mail address", _EMAIL, _real_email),
)


def _find_pii(text: str) -> Iterator[tuple[str, str]]:
    """(kind, matched text) for each personal item; a span claimed by one kind is not reused."""
    taken: list[range] = []
    for kind, pattern, valid in _DETECTORS:
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                continue
            if valid(match):
                taken.append(span)
                yield kind, match.group(0)


def _mask(value: str) -> str:
    """Keep the shape and the last 2 characters, so the finding can be located but not copied."""
    keep = 2
    return "".join(c if not c.isalnum() else "*" for c in value[:-keep]) + value[-keep:]


def _texts(ctx: LintContext) -> Iterator[tuple[Loc, str]]:
    t = ctx.prompt.template
    if t.system:
        yield ("system",), t.system
    for i, item in enumerate(t.context):
        if item.text:
            yield ("context", i, "text"), item.text
    for i, ex in enumerate(t.examples):
        yield ("examples", i, "user"), ex.user
        yield ("examples", i, "assistant"), ex.assistant
    yield ("user",), t.user
    if t.output.instructions:
        yield ("output", "instructions"), t.output.instructions


class PiiInTemplate(Rule):
    id = "pii-in-template"
    severity = Severity.ERROR
    description = (
        "Personal data in system, context, examples or user text: phone numbers, e-mail "
        "addresses, resident registration numbers (valid date, gender digit 1-8), card numbers "
        "(Luhn)."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        for loc, text in _texts(ctx):
            for kind, value in _find_pii(text):
                yield self.issue(
                    ctx,
                    loc,
                    f"{kind.capitalize()} {_mask(value)} is written into "
                    f"{'.'.join(map(str, loc))}.",
                    "Replace it with an obviously fake value (010-0000-0000, user@example.com) "
                    "or a variable; real personal data must not live in prompt files.",
                )
