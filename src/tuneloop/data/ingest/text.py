"""Plain text (``.txt``) and Markdown (``.md``) files: documents, chunked.

Markdown is kept as written (headings, lists, links): the markup is short, models read it well,
and it keeps a chunk's heading next to its paragraph. The title is the first ``#`` heading
(Markdown) or the first non-blank line (text); ``source.line`` is the line a chunk starts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tuneloop.data.ingest.base import IngestOptions
from tuneloop.data.ingest.chunk import chunk_document
from tuneloop.data.ingest.encoding import read_text
from tuneloop.data.records import Record, SkipReport, Source

__all__ = ["MarkdownReader", "TextReader", "first_line_title", "markdown_title"]

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_TITLE_MAX = 120


def first_line_title(text: str) -> str | None:
    """The first non-blank line, shortened to 120 characters."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:_TITLE_MAX]
    return None


def markdown_title(text: str) -> str | None:
    """The first ATX heading (``# 서울 여행``), else the first non-blank line."""
    match = _HEADING.search(text)
    return match.group(1).strip()[:_TITLE_MAX] if match else first_line_title(text)


def _documents(
    path: Path, options: IngestOptions, skips: SkipReport, *, markdown: bool
) -> Iterator[Record]:
    text = read_text(path, options.encoding).text
    if not text.strip():
        skips.skip(Source(str(path)), "no text (only whitespace)")
        return
    title = markdown_title(text) if markdown else first_line_title(text)
    yield from chunk_document(
        text,
        path=str(path),
        title=title,
        chunk_chars=options.chunk_chars,
        overlap_chars=options.overlap_chars,
    )


class TextReader:
    name = "text"
    suffixes: tuple[str, ...] = (".txt", ".text")
    description = "Plain text: one document per file, chunked; title = first line."
    binary = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return True

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        return _documents(path, options, skips, markdown=False)


class MarkdownReader:
    name = "markdown"
    suffixes: tuple[str, ...] = (".md", ".markdown")
    description = "Markdown: one document per file, chunked; title = first # heading."
    binary = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return True

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        return _documents(path, options, skips, markdown=True)
