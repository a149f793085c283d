"""Personal information (PII) detection and redaction, Korean first.

::

    from tuneloop.safety.pii import PiiScanner

    scanner = PiiScanner.default()
    scanner.redact("예약자 김민수 님, 연락처 010-1234-5678").text
    # '예약자 <PERSON> 님, 연락처 <PHONE>'

Why our own recognizers rather than Presidio: Presidio needs a spaCy model for names (none can be
downloaded here), knows no Korean phone numbers, accounts, addresses or names, and its
per-recognizer pipeline is far slower than a few prefiltered regular expressions
(``bench/data_prep.py`` measures both). The seam keeps Presidio's shape — a recognizer has a
``name``, the ``entities`` it finds and ``analyze(text)`` — and recognizers come from plugins
(the ``register_pii_recognizers`` hook), the built-ins included.
"""

from __future__ import annotations

from tuneloop.safety.pii.redact import hash_token, mask
from tuneloop.safety.pii.registry import known_entities, pii_recognizers
from tuneloop.safety.pii.scanner import PiiScanner, resolve_overlaps
from tuneloop.safety.pii.types import PiiFinding, PiiRecognizer, Redaction, RedactionMode

__all__ = [
    "PiiFinding",
    "PiiRecognizer",
    "PiiScanner",
    "Redaction",
    "RedactionMode",
    "hash_token",
    "known_entities",
    "mask",
    "pii_recognizers",
    "resolve_overlaps",
]
