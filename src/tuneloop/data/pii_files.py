"""Scanning and redacting files: what ``tuneloop safety scan`` and ``redact`` do, minus printing.

It lives in ``data`` (not ``safety``) because it reads and writes record files: ``data`` uses the
PII seam of :mod:`tuneloop.safety.pii` (cleaning redacts), so ``safety`` must not import ``data``.

A file is either a *record file* (``.jsonl`` whose lines are tuneloop records, read with
:func:`tuneloop.data.records.read_records`) or plain text, scanned line by line. Record files stay
record files when redacted: every document text and title and every message content is redacted,
ids and metadata are kept. Findings point at ``file:line`` (and the record field), and what is
shown of them is masked — the raw value never leaves this module except in the redacted text.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tuneloop.atomicfile import atomic_write_text
from tuneloop.data.records import Document, Record, read_records, write_records
from tuneloop.errors import DataError
from tuneloop.safety.pii.redact import mask, redact_text
from tuneloop.safety.pii.scanner import PiiScanner
from tuneloop.safety.pii.types import PiiFinding, RedactionMode

__all__ = [
    "TEXT_SUFFIXES",
    "FileFinding",
    "RedactReport",
    "expand_paths",
    "is_record_file",
    "read_text",
    "redact_file",
    "scan_file",
]

# Files picked up when a folder is scanned (a file named explicitly is scanned whatever its name).
TEXT_SUFFIXES = frozenset(
    {".txt", ".md", ".jsonl", ".json", ".csv", ".tsv", ".html", ".htm", ".xml", ".yaml", ".yml"}
    | {".log", ".srt", ".vtt"}
)
_CONTEXT = 12  # characters of (masked) context shown on each side of a finding


@dataclass(frozen=True)
class FileFinding:
    """A finding in a file: ``path:line``, the record field it is in (None for plain text), the
    finding itself, and a masked snippet around it (every finding in the snippet masked)."""

    path: Path
    line: int
    field: str | None
    finding: PiiFinding
    context: str

    @property
    def preview(self) -> str:
        """The value, masked (``010-****-****``)."""
        return mask(self.finding.text, self.finding.entity)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, without the raw value."""
        return {
            "path": str(self.path),
            "line": self.line,
            "field": self.field,
            "entity": self.finding.entity,
            "recognizer": self.finding.recognizer,
            "score": round(self.finding.score, 2),
            "start": self.finding.start,
            "end": self.finding.end,
            "preview": self.preview,
            "context": self.context,
        }


@dataclass
class RedactReport:
    """What :func:`redact_file` did: the format it kept, how many units (records or lines) it
    read, and how many values of each entity it replaced."""

    input: Path
    output: Path
    format: Literal["records", "text"]
    units: int
    replaced: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.replaced.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": str(self.input),
            "output": str(self.output),
            "format": self.format,
            "units": self.units,
            "replaced": dict(sorted(self.replaced.items())),
            "total": self.total,
        }


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files to scan: each file as given, each folder's text files (recursively, hidden ones
    skipped). A missing path is an error."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in TEXT_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"{path}: no such file or folder", hint="Check the path.")
    return files


def read_text(path: Path) -> str:
    """A text file's content: UTF-8 (BOM allowed), or cp949/euc-kr as legacy Korean files often
    are. Binary files and undecodable bytes are errors naming the file and the fix."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file", hint="Check the path.") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})", hint="Check the path.") from exc
    if b"\x00" in data[:8192]:
        raise DataError(
            f"{path}: looks like a binary file, not text",
            hint="Scan text files (.txt, .md, .jsonl …); turn PDFs and other documents into "
            "records with `tuneloop data ingest` first.",
        )
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(
        f"{path}: not UTF-8 or cp949 text",
        hint="Convert it to UTF-8 (e.g. `iconv -f <encoding> -t utf-8`), or ingest it with "
        "`tuneloop data ingest`, which detects encodings.",
    )


def is_record_file(path: Path, text: str) -> bool:
    """A ``.jsonl`` file whose first non-blank line is a tuneloop record."""
    if path.suffix.lower() != ".jsonl":
        return False
    for line in text.splitlines():
        if line.strip():
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                return False
            return isinstance(data, dict) and data.get("kind") in ("document", "example")
    return False


def _units(record: Record) -> Iterator[tuple[str, str]]:
    """``(field, text)`` for every piece of text in a record."""
    if isinstance(record, Document):
        if record.title:
            yield "title", record.title
        yield "text", record.text
        return
    for index, message in enumerate(record.messages):
        content = message.get("content")
        if isinstance(content, str):
            yield f"messages[{index}].content", content
        elif isinstance(content, list):
            for part_index, part in enumerate(content):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    yield f"messages[{index}].content[{part_index}].text", part["text"]


def _found(
    path: Path, line: int, field: str | None, text: str, findings: Sequence[PiiFinding]
) -> Iterator[FileFinding]:
    masked = redact_text(text, findings, "mask")  # same length as text: offsets still hold
    for finding in findings:
        start = max(0, finding.start - _CONTEXT)
        snippet = masked[start : finding.end + _CONTEXT].replace("\n", " ")
        yield FileFinding(path, line, field, finding, snippet)


def _record_lines(text: str) -> list[int]:
    """1-based numbers of the non-blank lines (the lines :func:`read_records` yields)."""
    return [n for n, raw in enumerate(text.splitlines(), start=1) if raw.strip()]


def scan_file(path: Path, scanner: PiiScanner) -> Iterator[FileFinding]:
    """Every finding in one file, in order."""
    text = read_text(path)
    if is_record_file(path, text):
        for line, record in zip(_record_lines(text), read_records(path), strict=True):
            for name, unit in _units(record):
                findings = scanner.analyze(unit)
                if findings:
                    yield from _found(path, line, name, unit, findings)
        return
    for line, unit in enumerate(text.splitlines(), start=1):
        findings = scanner.analyze(unit)
        if findings:
            yield from _found(path, line, None, unit, findings)


def _redact_record(
    record: Record, scanner: PiiScanner, mode: RedactionMode, salt: str, counts: Counter[str]
) -> Record:
    def clean(text: str) -> str:
        result = scanner.redact(text, mode, salt=salt)
        counts.update(f.entity for f in result.findings)
        return result.text

    if isinstance(record, Document):
        title = clean(record.title) if record.title else record.title
        return dataclasses.replace(record, text=clean(record.text), title=title)
    messages: list[dict[str, Any]] = []
    for message in record.messages:
        content = message.get("content")
        if isinstance(content, str):
            message = {**message, "content": clean(content)}
        elif isinstance(content, list):
            parts = [
                {**p, "text": clean(p["text"])}
                if isinstance(p, dict) and isinstance(p.get("text"), str)
                else p
                for p in content
            ]
            message = {**message, "content": parts}
        messages.append(message)
    return dataclasses.replace(record, messages=messages)


def redact_file(
    source: Path,
    target: Path,
    scanner: PiiScanner,
    mode: RedactionMode = "placeholder",
    *,
    salt: str = "",
) -> RedactReport:
    """Write a redacted copy of ``source`` to ``target`` atomically (``target`` may be
    ``source``); record files stay record files, text files are written as UTF-8."""
    if source.is_dir():
        raise DataError(
            f"{source}: is a folder; redact takes one file",
            hint="Run `tuneloop safety redact` once per file (scan accepts folders).",
        )
    text = read_text(source)
    counts: Counter[str] = Counter()
    if is_record_file(source, text):
        records = [_redact_record(r, scanner, mode, salt, counts) for r in read_records(source)]
        write_records(target, records)
        return RedactReport(source, target, "records", len(records), counts)
    lines = text.splitlines(keepends=True)
    redacted: Iterable[str] = (_redact_line(line, scanner, mode, salt, counts) for line in lines)
    atomic_write_text(target, "".join(redacted))
    return RedactReport(source, target, "text", len(lines), counts)


def _redact_line(
    line: str, scanner: PiiScanner, mode: RedactionMode, salt: str, counts: Counter[str]
) -> str:
    result = scanner.redact(line, mode, salt=salt)
    counts.update(f.entity for f in result.findings)
    return result.text
