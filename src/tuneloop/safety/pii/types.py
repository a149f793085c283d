"""The values the PII scanner passes around, and the protocol a recognizer implements.

Why a Protocol modelled on Presidio's recognizers (a name, the entities it finds, ``analyze``):
people who know Presidio recognise the seam, and a third-party package can add a recognizer
through the ``register_pii_recognizers`` plugin hook without subclassing anything of ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

__all__ = ["PiiFinding", "PiiRecognizer", "Redaction", "RedactionMode"]

RedactionMode = Literal["placeholder", "mask", "hash"]


@dataclass(frozen=True)
class PiiFinding:
    """One piece of personal information: ``text[start:end]`` of the analysed string.

    ``score`` is the recognizer's confidence in 0..1 (checksums and context words raise it);
    ``recognizer`` is the ``name`` of the recognizer that found it.
    """

    entity: str
    start: int
    end: int
    score: float
    recognizer: str
    text: str


@runtime_checkable
class PiiRecognizer(Protocol):
    """Finds some kinds of personal information in a string.

    ``name`` is stable (a later plugin registering the same name replaces the recognizer);
    ``entities`` lists what ``analyze`` may report. ``analyze`` may return overlapping findings
    and findings below any threshold: the scanner resolves overlaps and applies ``min_score``.
    """

    name: str
    entities: tuple[str, ...]

    def analyze(self, text: str) -> Iterable[PiiFinding]: ...


@dataclass(frozen=True)
class Redaction:
    """A redacted text and what was replaced; ``findings`` use offsets into the ORIGINAL text."""

    text: str
    findings: tuple[PiiFinding, ...]
