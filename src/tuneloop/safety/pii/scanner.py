"""The scanner: run recognizers, keep confident findings, resolve overlaps, redact.

Overlaps are resolved greedily — the higher score wins, then the longer span, then the earlier
start — so a 13-digit string that is both a valid 주민등록번호 and a Luhn-valid number is reported
once, as whichever recognizer is surer. The result is sorted by position and never overlaps, which
is what redaction needs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from tuneloop.errors import InvalidRequest
from tuneloop.safety.pii.redact import MODES, redact_text
from tuneloop.safety.pii.types import PiiFinding, PiiRecognizer, Redaction, RedactionMode

__all__ = ["PiiScanner", "resolve_overlaps"]


def resolve_overlaps(findings: Sequence[PiiFinding]) -> list[PiiFinding]:
    """Non-overlapping findings, sorted by start: higher score, then longer span, wins."""
    if len(findings) < 2:
        return list(findings)
    ranked = sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[PiiFinding] = []
    for finding in ranked:
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    kept.sort(key=lambda f: f.start)
    return kept


class PiiScanner:
    """Finds and redacts personal information with a set of recognizers.

    ``entities`` (optional) limits what is reported; recognizers that cannot find any of them
    are not run at all.
    """

    def __init__(
        self,
        recognizers: Sequence[PiiRecognizer],
        *,
        min_score: float = 0.5,
        entities: Collection[str] | None = None,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise InvalidRequest(
                f"min_score must be between 0 and 1, not {min_score}.",
                hint="0.5 reports what the recognizers are fairly sure of; raise it for fewer "
                "false alarms.",
            )
        wanted = frozenset(entities) if entities is not None else None
        self.entities = wanted
        self.min_score = min_score
        self.recognizers: tuple[PiiRecognizer, ...] = tuple(
            r for r in recognizers if wanted is None or wanted.intersection(r.entities)
        )

    @classmethod
    def default(cls, entities: Collection[str] | None = None, min_score: float = 0.5) -> PiiScanner:
        """A scanner with every recognizer registered through the plugin hook.

        Raises :class:`~tuneloop.errors.InvalidRequest` for an entity no recognizer knows.
        """
        from tuneloop.safety.pii.registry import known_entities, pii_recognizers

        registered = pii_recognizers()
        if entities is not None:
            known = known_entities(registered)
            unknown = sorted(set(entities) - set(known))
            if unknown:
                raise InvalidRequest(
                    f"Unknown PII entit{'y' if len(unknown) == 1 else 'ies'}: "
                    f"{', '.join(unknown)}.",
                    hint=f"Known entities: {', '.join(known)}.",
                )
        return cls(list(registered.values()), min_score=min_score, entities=entities)

    def analyze(self, text: str) -> list[PiiFinding]:
        """Confident findings (score ≥ ``min_score``), sorted and non-overlapping."""
        found: list[PiiFinding] = []
        for recognizer in self.recognizers:
            found.extend(recognizer.analyze(text))
        if not found:
            return found
        wanted, floor = self.entities, self.min_score
        kept = [f for f in found if f.score >= floor and (wanted is None or f.entity in wanted)]
        return resolve_overlaps(kept)

    def redact(
        self, text: str, mode: RedactionMode = "placeholder", *, salt: str = ""
    ) -> Redaction:
        """``text`` with every finding replaced (see :mod:`tuneloop.safety.pii.redact`)."""
        if mode not in MODES:
            raise InvalidRequest(
                f"Unknown redaction mode {mode!r}.", hint=f"Use one of: {', '.join(MODES)}."
            )
        findings = self.analyze(text)
        return Redaction(redact_text(text, findings, mode, salt), tuple(findings))

    def contains_pii(self, text: str) -> bool:
        """True when :meth:`analyze` would find anything."""
        return bool(self.analyze(text))
