"""``ingest``: walk the input paths, give each file to its reader, collect records and skips.

The checks every format shares live here, once, before a reader sees the file: it exists, is not
empty, is not larger than ``max_file_bytes`` (a 2 GB log dump would otherwise be read into
memory), some reader takes it, and — for text formats — it is text, in an encoding that is
detected here and handed to the reader in ``options.encoding``. A file that fails a check is
skipped with the reason (an error under ``--strict``); a path that does not exist is an error at
once, before any file is read, because it is a typo rather than a bad row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneloop.data.ingest.base import MB, IngestOptions, Reader
from tuneloop.data.ingest.encoding import read_text
from tuneloop.data.ingest.registry import pick_reader, readers
from tuneloop.data.records import Document, Example, Record, SkipReport, Source
from tuneloop.errors import DataError, InvalidRecord

__all__ = ["FileResult", "collect_files", "ingest", "summarize"]

HEAD_BYTES = 65536


@dataclass
class FileResult:
    """What happened to one input file (for the summary): the reader that took it, the encoding
    detected for it, and how many records of each kind it gave. ``format`` is None when the file
    was skipped before any reader ran."""

    path: Path
    format: str | None = None
    encoding: str | None = None
    confidence: float | None = None
    documents: int = 0
    examples: int = 0
    chunks: int = 0


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read: files as given, folders recursed (sorted, hidden entries left out)."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise DataError(
            f"no such file or folder: {', '.join(missing)}.",
            hint="Check the path (folders are read recursively).",
        )
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and not _hidden(file, path):
                    found.setdefault(file, None)
        else:
            found.setdefault(path, None)
    return list(found)


def _size(count: int) -> str:
    return f"{count / MB:.1f} MB" if count >= MB else f"{count / 1024:.1f} KB"


def _where(exc: InvalidRecord) -> str:
    return exc.message.removeprefix(f"{exc.path}: ")


def _read_file(
    file: Path,
    registry: dict[str, Reader],
    options: IngestOptions,
    skips: SkipReport,
    result: FileResult,
) -> Iterator[Record]:
    where = Source(str(file))
    size = file.stat().st_size
    if size == 0:
        skips.skip(where, "empty file")
        return
    if size > options.max_file_bytes:
        skips.skip(
            where,
            f"file is {_size(size)}, over the {_size(options.max_file_bytes)} limit "
            "(raise it with --max-file-mb)",
        )
        return
    with file.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    reader = pick_reader(file, head, registry, options.fmt)
    if isinstance(reader, str):
        skips.skip(where, reader)
        return
    if not reader.binary:
        try:
            decoded = read_text(file, options.encoding)
        except InvalidRecord as exc:
            skips.skip(where, _where(exc), hint=exc.hint)
            return
        if not decoded.text.strip():
            skips.skip(where, "empty file (only whitespace)")
            return
        result.encoding, result.confidence = decoded.encoding, decoded.confidence
        options = dataclasses.replace(options, encoding=decoded.encoding)
    result.format = reader.name
    for record in reader.read(file, options, skips):
        if isinstance(record, Document):
            result.documents += 1
            result.chunks += "chunk" in record.meta
        else:
            result.examples += 1
        yield record


def ingest(
    paths: Sequence[Path],
    options: IngestOptions,
    skips: SkipReport,
    progress: Callable[[Path], None] | None = None,
    *,
    files: list[FileResult] | None = None,
) -> list[Record]:
    """Read every file under ``paths`` into records (see the module docstring).

    ``progress(path)`` is called before each file; ``files``, when given, receives one
    :class:`FileResult` per file. Rows and files that cannot be used go to ``skips``.
    """
    registry = readers()
    if options.fmt and options.fmt not in registry:
        raise DataError(
            f"unknown format {options.fmt!r}.",
            hint=f"Use one of: {', '.join(registry)} (see `tuneloop data formats`).",
        )
    records: list[Record] = []
    for file in collect_files(paths):
        if progress is not None:
            progress(file)
        result = FileResult(file)
        if files is not None:
            files.append(result)
        records.extend(_read_file(file, registry, options, skips, result))
    return records


def summarize(
    records: Sequence[Record], files: Sequence[FileResult], skips: SkipReport
) -> dict[str, Any]:
    """The numbers ``tuneloop data ingest`` reports, as plain JSON-able data."""
    by_format: dict[str, int] = {}
    for result in files:
        if result.format is not None:
            by_format[result.format] = by_format.get(result.format, 0) + 1
    return {
        "files": len(files),
        "files_read": sum(by_format.values()),
        "formats": by_format,
        "records": len(records),
        "documents": sum(isinstance(r, Document) for r in records),
        "examples": sum(isinstance(r, Example) for r in records),
        "chunks": sum(isinstance(r, Document) and "chunk" in r.meta for r in records),
        "encodings": {
            str(r.path): r.encoding
            for r in files
            if r.encoding is not None and r.encoding not in ("utf-8", "ascii")
        },
        "skipped": [
            {
                "path": s.source.path,
                "line": s.source.line,
                "where": str(s.source),
                "reason": s.reason,
            }
            for s in skips
        ],
    }
