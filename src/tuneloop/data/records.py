"""The values every data step passes along: documents, chat examples, where each came from, and the
rows a step skipped.

Why one record file format for every step: ``ingest``, ``qa``, ``clean``, ``label`` and ``split``
each read and write the same JSONL, so a user can run them one by one, look at any intermediate
file, or chain them in ``data prepare``. One line is one record::

    {"kind": "document", "id": "…", "text": "…", "title": "…",
     "source": {"path": "docs/a.md", "line": 1, "offset": 0}, "meta": {}}
    {"kind": "example", "id": "…", "messages": [{"role": "user", "content": "…"}, …],
     "tags": ["food"], "source": {…}, "meta": {}}

(each record on one line in the file; wrapped here to fit).

A *document* is text to learn from (a file or a chunk of one); an *example* is a conversation in
OpenAI's chat format — what fine-tuning and evaluation consume. Q/A pairs are examples with one
user and one assistant message (plus an optional system message).

``id`` is given once, when a record is created (a hash of its source and content), and never
recomputed: a human's edit in the label CSV changes the text but not the id, so the edit can be
matched back to its row, and splits and reports can name records stably.

Why dataclasses (not pydantic) here: these are internal values made by the millions in the
clean/dedupe loops; validation happens once, at the edges (:func:`read_records`, the readers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tuneloop.atomicfile import atomic_write_text
from tuneloop.errors import DataError, InvalidRecord

__all__ = [
    "Document",
    "Example",
    "Record",
    "SkipReport",
    "Skipped",
    "Source",
    "dumps_record",
    "make_id",
    "read_records",
    "record_from_dict",
    "record_to_dict",
    "write_records",
]

ROLES = ("system", "user", "assistant", "tool", "function", "developer")


@dataclass(frozen=True)
class Source:
    """Where a record came from: the input file, the 1-based line it starts on (line-based
    formats), and the character offset of a chunk inside its document (chunked text)."""

    path: str
    line: int | None = None
    offset: int | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.offset is not None:
            where += f"@{self.offset}"
        return where

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "offset": self.offset}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        return cls(path=str(data["path"]), line=data.get("line"), offset=data.get("offset"))


def make_id(*parts: object) -> str:
    """A short stable id from the given parts (sha256 of their JSON, 16 hex digits)."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


@dataclass
class Document:
    """Text to learn from: a whole file, or one chunk of a long one (``source.offset`` set)."""

    text: str
    source: Source
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    kind: Literal["document"] = "document"

    def __post_init__(self) -> None:
        if not self.id:
            self.id = make_id("document", str(self.source), self.text)


@dataclass
class Example:
    """One conversation in OpenAI's chat format (``messages`` are plain dicts, as in the API).

    ``tags`` carry topic/scenario labels (used to stratify splits and slice evaluations);
    ``meta`` carries what steps learned about it (generator, grounding score, flags, label).
    """

    messages: list[dict[str, Any]]
    source: Source | None = None
    tags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    kind: Literal["example"] = "example"

    def __post_init__(self) -> None:
        if not self.id:
            self.id = make_id("example", str(self.source), self.messages)

    def first(self, role: str) -> str:
        """Text of the first message with ``role`` ("" if none): the question of a Q/A pair is
        ``first("user")``, its answer ``first("assistant")``."""
        for message in self.messages:
            if message.get("role") == role:
                content = message.get("content")
                return content if isinstance(content, str) else ""
        return ""

    def text(self) -> str:
        """All string contents joined by newlines: what dedupe and PII scans look at."""
        return "\n".join(m["content"] for m in self.messages if isinstance(m.get("content"), str))


Record = Document | Example


def record_to_dict(record: Record) -> dict[str, Any]:
    """The JSONL form of a record (see the module docstring)."""
    source = record.source.to_dict() if record.source is not None else None
    if isinstance(record, Document):
        return {
            "kind": "document",
            "id": record.id,
            "text": record.text,
            "title": record.title,
            "source": source,
            "meta": record.meta,
        }
    return {
        "kind": "example",
        "id": record.id,
        "messages": record.messages,
        "tags": record.tags,
        "source": source,
        "meta": record.meta,
    }


def record_from_dict(data: Any, *, path: str | Path, line: int) -> Record:
    """Parse one JSONL line of a record file; errors name ``path:line`` and what is wrong."""
    if not isinstance(data, dict):
        raise InvalidRecord("expected a JSON object", path=path, line=line)
    kind = data.get("kind")
    try:
        source = Source.from_dict(data["source"]) if data.get("source") else None
        if kind == "document":
            if not isinstance(data.get("text"), str):
                raise InvalidRecord('a document needs "text" (a string)', path=path, line=line)
            return Document(
                text=data["text"],
                source=source or Source(str(path), line),
                title=data.get("title"),
                meta=dict(data.get("meta") or {}),
                id=str(data.get("id") or ""),
            )
        if kind == "example":
            messages = data.get("messages")
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                raise InvalidRecord(
                    'an example needs "messages" (a list of objects)', path=path, line=line
                )
            return Example(
                messages=messages,
                source=source,
                tags=[str(t) for t in data.get("tags") or []],
                meta=dict(data.get("meta") or {}),
                id=str(data.get("id") or ""),
            )
    except (KeyError, TypeError) as exc:
        raise InvalidRecord(f"malformed record ({exc})", path=path, line=line) from exc
    raise InvalidRecord(
        f'unknown "kind" {kind!r}',
        path=path,
        line=line,
        hint='A record file holds lines with "kind": "document" or "example" (written by '
        "`tuneloop data ingest`/`qa`); to read other formats, run `tuneloop data ingest` first.",
    )


def read_records(path: str | Path) -> Iterator[Record]:
    """Records of a record file, in order; the first bad line raises :class:`InvalidRecord`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file", hint="Check the path.")
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InvalidRecord(
                    f"not valid JSON ({exc.msg} at column {exc.colno})", path=path, line=number
                ) from exc
            yield record_from_dict(data, path=path, line=number)


def dumps_record(record: Record) -> str:
    """One JSONL line (no newline), UTF-8 text kept as is (not ``\\uXXXX``-escaped)."""
    return json.dumps(record_to_dict(record), ensure_ascii=False)


def write_records(path: str | Path, records: Iterable[Record]) -> int:
    """Write a record file atomically (all lines or none); returns how many were written."""
    lines = [dumps_record(r) for r in records]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)


@dataclass(frozen=True)
class Skipped:
    """One input row a step did not use, and why (shown in reports, fatal under ``--strict``)."""

    source: Source
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class SkipReport:
    """Collects skipped rows; with ``strict=True`` the first skip raises instead.

    Every reader and step takes one, so ``--strict`` means the same thing everywhere: "a row I
    cannot use is an error, not a warning".
    """

    strict: bool = False
    items: list[Skipped] = field(default_factory=list)

    def skip(self, source: Source, reason: str, *, hint: str | None = None) -> None:
        if self.strict:
            raise InvalidRecord(
                reason,
                path=source.path,
                line=source.line,
                hint=hint or "Fix the row, or run without --strict to skip it and see a report.",
            )
        self.items.append(Skipped(source, reason))

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Skipped]:
        return iter(self.items)
