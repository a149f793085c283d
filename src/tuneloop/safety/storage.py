"""Redaction of anything tuneloop is about to store or log: strings inside JSON-like values.

Why here and why by default: the brief's rule is that personal information is redacted before
anything is logged or stored. Prompt runs, evaluation results and server logs all hold user
text (variables, messages, model outputs) in nested dicts and lists; one walker applied at the
boundary to the store keeps that rule in one place instead of in every caller. Placeholder mode
(``<PHONE>``) keeps stored text readable and makes no secret (salt) necessary.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from tuneloop.safety.pii import PiiScanner

__all__ = ["default_scanner", "redact_for_storage"]

T = TypeVar("T")


@functools.cache
def default_scanner() -> PiiScanner:
    """The process-wide scanner with every registered recognizer."""
    return PiiScanner.default()


def redact_for_storage(value: T, scanner: PiiScanner | None = None) -> T:
    """A copy of ``value`` with PII in every string replaced by placeholders (``<PHONE>`` …).

    Dicts (their values, not keys), lists and tuples are walked; other values are returned as is.
    """
    active = scanner or default_scanner()
    return _walk(value, active)  # type: ignore[no-any-return]


def _walk(value: Any, scanner: PiiScanner) -> Any:
    if isinstance(value, str):
        return scanner.redact(value).text if value else value
    if isinstance(value, dict):
        return {key: _walk(item, scanner) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, scanner) for item in value]
    if isinstance(value, tuple):
        return tuple(_walk(item, scanner) for item in value)
    return value
