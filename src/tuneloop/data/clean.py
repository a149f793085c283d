"""``tuneloop data clean``: normalise, filter, redact PII and deduplicate records, with a report
of every change by rule.

The order matters and is fixed:

1. **normalize** (:mod:`tuneloop.data.normalize`) — NFC, control characters, whitespace; so every
   later rule sees one spelling of each text.
2. **quality** — structure (an example needs a user and an assistant message), empty or too short
   answers, too long texts, language not allowed, degenerate repetition.
3. **pii** (:mod:`tuneloop.safety.pii`) — redact (or drop the record) before anything is
   deduplicated, stored or shown: two rows that differ only by a phone number are the same row.
4. **dedupe** (:mod:`tuneloop.data.dedupe`) — exact, then near duplicates (MinHash on morphemes);
   the first occurrence is kept.

Every rule has a stable id (``quality.too_short``, ``pii.PHONE``, ``dedupe.near`` …) and each
change is one :class:`Change` naming the record, its source ``file:line``, the rule and why, so a
person can check what cleaning did and tune the thresholds. Cleaning is a pure function of its
input and options; the CLI writes the output and the report.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tuneloop.data.normalize import normalize_text
from tuneloop.data.records import Document, Example, Record
from tuneloop.errors import DataError
from tuneloop.text.stats import dominant_language, ngram_repetition

__all__ = ["Change", "CleanOptions", "CleanReport", "PiiPolicy", "clean_records"]

PiiPolicy = Literal["redact", "drop", "keep"]
Action = Literal["removed", "changed"]


@dataclass(frozen=True)
class CleanOptions:
    """What cleaning does; every field is also a ``tuneloop data clean`` option."""

    normalize: bool = True
    min_answer_chars: int = 2
    max_chars: int = 8000
    languages: tuple[str, ...] = ("ko", "en")
    max_repetition: float = 0.5
    pii: PiiPolicy = "redact"
    pii_mode: Literal["placeholder", "mask", "hash"] = "placeholder"
    pii_salt: str = ""
    pii_entities: tuple[str, ...] = ()
    dedupe: bool = True
    near_threshold: float = 0.8
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.near_threshold <= 1:
            raise DataError(
                f"near-duplicate threshold {self.near_threshold} is out of range.",
                hint="Use a Jaccard similarity in (0, 1], e.g. 0.8.",
            )
        if not 0 < self.max_repetition <= 1:
            raise DataError(
                f"max repetition {self.max_repetition} is out of range.",
                hint="Use a share in (0, 1], e.g. 0.5.",
            )
        unknown = set(self.languages) - {"ko", "en", "other"}
        if unknown:
            raise DataError(
                f"unknown language(s) {sorted(unknown)}.",
                hint="Allowed: ko, en, other (scripts are detected, see docs/data.md).",
            )


@dataclass(frozen=True)
class Change:
    """One thing cleaning did to one record."""

    record_id: str
    source: str
    rule: str
    action: Action
    detail: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass
class CleanReport:
    """Counts in and out, and every change, in order."""

    n_in: int = 0
    n_out: int = 0
    changes: list[Change] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def by_rule(self) -> dict[str, dict[str, int]]:
        """``{rule: {"removed": n, "changed": m}}``, rules sorted."""
        counts: dict[str, Counter[str]] = {}
        for change in self.changes:
            counts.setdefault(change.rule, Counter())[change.action] += 1
        return {
            rule: {"removed": c["removed"], "changed": c["changed"]}
            for rule, c in sorted(counts.items())
        }

    def removed(self) -> int:
        return self.n_in - self.n_out

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "removed": self.removed(),
            "by_rule": self.by_rule(),
            "options": self.options,
            "changes": [c.to_dict() for c in self.changes],
        }


def _texts(record: Record) -> list[str]:
    if isinstance(record, Document):
        return [record.text]
    return [m["content"] for m in record.messages if isinstance(m.get("content"), str)]


def _map_texts(record: Record, fn: Callable[[str], str]) -> Record:
    """A copy of ``record`` with ``fn`` applied to every text (same id: edits keep identity)."""
    if isinstance(record, Document):
        return dataclasses.replace(record, text=fn(record.text), meta=dict(record.meta))
    messages = [
        {**m, "content": fn(m["content"])} if isinstance(m.get("content"), str) else dict(m)
        for m in record.messages
    ]
    return dataclasses.replace(record, messages=messages, meta=dict(record.meta))


class _Cleaner:
    def __init__(self, options: CleanOptions, report: CleanReport) -> None:
        self.options = options
        self.report = report

    def note(self, record: Record, rule: str, action: Action, detail: str) -> None:
        source = str(record.source) if record.source is not None else ""
        self.report.changes.append(Change(record.id, source, rule, action, detail))

    def normalize(self, record: Record) -> Record:
        rules: Counter[str] = Counter()

        def fix(text: str) -> str:
            tidy, changed = normalize_text(text)
            rules.update(changed)
            return tidy

        cleaned = _map_texts(record, fix)
        for rule in sorted(rules):
            self.note(record, rule, "changed", "text normalised")
        return cleaned

    def quality(self, record: Record) -> str | None:
        """The id of the first quality rule ``record`` fails (after noting why), else None."""
        opts = self.options
        if isinstance(record, Example):
            roles = [m.get("role") for m in record.messages]
            if "user" not in roles or "assistant" not in roles:
                return self._fail(
                    record, "quality.structure", "needs a user and an assistant message"
                )
            if any(
                not (m.get("content") or "").strip()
                for m in record.messages
                if m.get("role") in ("user", "assistant") and "tool_calls" not in m
            ):
                return self._fail(record, "quality.empty", "a user or assistant message is empty")
            answers = [
                m.get("content") or "" for m in record.messages if m.get("role") == "assistant"
            ]
            shortest = min(len(a.strip()) for a in answers)
            if shortest < opts.min_answer_chars:
                return self._fail(
                    record,
                    "quality.too_short",
                    f"an answer has {shortest} characters (minimum {opts.min_answer_chars})",
                )
            body = "\n".join(answers)
        else:
            if not record.text.strip():
                return self._fail(record, "quality.empty", "the document is empty")
            body = record.text
        length = sum(len(t) for t in _texts(record))
        if length > opts.max_chars:
            return self._fail(
                record, "quality.too_long", f"{length} characters (maximum {opts.max_chars})"
            )
        language = dominant_language("\n".join(_texts(record)))
        if language not in opts.languages and language != "none":
            return self._fail(
                record,
                "quality.language",
                f"language {language!r} not in {', '.join(opts.languages)}",
            )
        repetition = ngram_repetition(body.split(), 3)
        if repetition > opts.max_repetition:
            return self._fail(
                record,
                "quality.repetition",
                f"{repetition:.0%} of word 3-grams repeat (maximum {opts.max_repetition:.0%})",
            )
        return None

    def _fail(self, record: Record, rule: str, detail: str) -> str:
        self.note(record, rule, "removed", detail)
        return rule


def clean_records(
    records: Sequence[Record],
    options: CleanOptions | None = None,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[Record], CleanReport]:
    """Clean ``records``; return the kept records (input order) and the report.

    ``progress(stage, done, total)`` is called as each stage advances (the CLI draws bars).
    """
    opts = options or CleanOptions()
    report = CleanReport(n_in=len(records), options=dataclasses.asdict(opts))
    report.options.pop("pii_salt", None)  # a secret: never in a report
    cleaner = _Cleaner(opts, report)
    tick = progress or (lambda stage, done, total: None)

    kept: list[Record] = []
    for i, record in enumerate(records, start=1):
        current = cleaner.normalize(record) if opts.normalize else record
        if cleaner.quality(current) is None:
            kept.append(current)
        tick("quality", i, len(records))

    if opts.pii != "keep":
        kept = _pii(kept, opts, cleaner, tick)

    if opts.dedupe and kept:
        kept = _dedupe(kept, opts, cleaner, tick)

    report.n_out = len(kept)
    return kept, report


def _pii(
    records: list[Record],
    opts: CleanOptions,
    cleaner: _Cleaner,
    tick: Callable[[str, int, int], None],
) -> list[Record]:
    from tuneloop.safety.pii import PiiScanner

    scanner = PiiScanner.default(entities=opts.pii_entities or None)
    out: list[Record] = []
    for i, record in enumerate(records, start=1):
        found: Counter[str] = Counter()

        def redact(text: str, found: Counter[str] = found) -> str:
            result = scanner.redact(text, opts.pii_mode, salt=opts.pii_salt)
            found.update(f.entity for f in result.findings)
            return result.text

        redacted = _map_texts(record, redact)
        if not found:
            out.append(record)
        elif opts.pii == "drop":
            for entity, n in sorted(found.items()):
                cleaner.note(record, f"pii.{entity}", "removed", f"{n} found; record dropped")
        else:
            for entity, n in sorted(found.items()):
                cleaner.note(record, f"pii.{entity}", "changed", f"{n} redacted ({opts.pii_mode})")
            redacted.meta["pii_redacted"] = dict(found)
            out.append(redacted)
        tick("pii", i, len(records))
    return out


def _dedupe(
    records: list[Record],
    opts: CleanOptions,
    cleaner: _Cleaner,
    tick: Callable[[str, int, int], None],
) -> list[Record]:
    from tuneloop.data.dedupe import find_duplicates

    texts = ["\n".join(_texts(r)) for r in records]
    duplicates = find_duplicates(
        texts,
        threshold=opts.near_threshold,
        seed=opts.seed,
        progress=lambda done: tick("dedupe", done, len(texts)),
    )
    dropped: set[int] = set()
    for dup in duplicates:
        kept = records[dup.kept]
        where = f" ({kept.source})" if kept.source is not None else ""
        detail = f"duplicate of {kept.id}{where}"
        if dup.kind == "near":
            detail += f", similarity {dup.similarity:.2f}"
        cleaner.note(records[dup.index], f"dedupe.{dup.kind}", "removed", detail)
        dropped.add(dup.index)
    return [r for i, r in enumerate(records) if i not in dropped]
