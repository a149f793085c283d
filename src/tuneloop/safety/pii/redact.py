"""Replacing findings in a text: placeholder, mask or hash.

* ``placeholder`` — ``<PHONE>``, ``<KR_RRN>``: the training data keeps the shape of a sentence
  ("call me at <PHONE>") without the value.
* ``mask`` — every letter and digit becomes ``*``, separators stay, the length stays:
  ``010-****-****`` (a phone number keeps its first group, the carrier or area code, which
  identifies nobody), ``***@*******.***``.
* ``hash`` — ``<PHONE:9f86d081>``, the first 8 hex digits of sha256(salt + value): the same value
  always maps to the same token, so joins across files still work, and a secret ``salt`` stops
  anyone from hashing a guessed phone number to find it.

Pure functions: offsets in the findings refer to the original text; replacements are applied
right to left so earlier offsets stay valid.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from tuneloop.safety.pii.types import PiiFinding, RedactionMode

__all__ = ["MODES", "hash_token", "mask", "redact_text", "replacement"]

MODES: tuple[RedactionMode, ...] = ("placeholder", "mask", "hash")
_ALNUM = re.compile(r"\w")
_GROUP = re.compile(r"^(\+?\w+)([^\w]+)")


def mask(value: str, entity: str = "") -> str:
    """``value`` with every letter/digit replaced by ``*`` (separators and length kept).

    A ``PHONE`` keeps its first group (``010``, ``02``, ``+82``) when it has separators, or its
    first three digits when it has none.
    """
    masked = _ALNUM.sub("*", value)
    if entity == "PHONE":
        group = _GROUP.match(value)
        keep = len(group.group(1)) if group else min(3, len(value))
        masked = value[:keep] + masked[keep:]
    return masked


def hash_token(value: str, salt: str = "") -> str:
    """The first 8 hex digits of sha256(salt + value)."""
    return hashlib.sha256((salt + value).encode("utf-8")).hexdigest()[:8]


def replacement(finding: PiiFinding, mode: RedactionMode, salt: str = "") -> str:
    """What ``finding`` is replaced with in ``mode``."""
    if mode == "placeholder":
        return f"<{finding.entity}>"
    if mode == "mask":
        return mask(finding.text, finding.entity)
    if mode == "hash":
        return f"<{finding.entity}:{hash_token(finding.text, salt)}>"
    raise ValueError(f"unknown redaction mode {mode!r}; use one of {', '.join(MODES)}")


def redact_text(
    text: str, findings: Sequence[PiiFinding], mode: RedactionMode = "placeholder", salt: str = ""
) -> str:
    """``text`` with each (non-overlapping) finding replaced."""
    if not findings:
        return text
    parts: list[str] = []
    cursor = len(text)
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        parts.append(text[finding.end : cursor])
        parts.append(replacement(finding, mode, salt))
        cursor = finding.start
    parts.append(text[:cursor])
    return "".join(reversed(parts))
