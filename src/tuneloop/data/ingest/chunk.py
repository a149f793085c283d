"""Cut long text into overlapping chunks a model can learn from or retrieve.

Why chunk at all: a 40-page guide is one file but far too long for one training example or one
retrieval hit; chunks of about a thousand characters keep one topic each. Why overlap: a fact that
straddles a cut still appears whole in one of the two chunks.

Where to cut, best first: a paragraph break, a line break, the end of a sentence (``.``, ``?``,
``!``, ``…`` and their full-width forms, which is how written Korean ends sentences too: ``…다.``,
``…요.``), a sentence end that Kiwi finds in Korean written without punctuation
(``kiwipiepy``'s ``split_into_sents``, only consulted when punctuation gave nothing), a space, and
only for a single word longer than a chunk, anywhere. A cut is not taken if it would leave the
chunk shorter than half its allowed size, unless nothing better exists. Chunks never start or end
with whitespace, and each one is an exact slice of the input: ``text[offset:offset + len(chunk)]``.

Pure functions only; the readers do the I/O.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tuneloop.data.records import Document, Source
from tuneloop.errors import DataError
from tuneloop.text.korean import has_hangul, kiwi

__all__ = ["Chunk", "chunk_document", "chunk_text", "line_locator"]

_CLOSERS = "\"'”’)\\]」』"
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_NEWLINE = re.compile(r"\n")
_SENTENCE_END = re.compile(rf"[.!?…。！？][{_CLOSERS}]*(?=\s)")
_SENTENCE_START = re.compile(rf"(?:[.!?…。！？][{_CLOSERS}]*\s+|\n\s*)(?=\S)")
_WORD_START = re.compile(r"\s+(?=\S)")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Chunk:
    """A slice of the input text and where it starts (character offset)."""

    text: str
    offset: int


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _last(pattern: re.Pattern[str], window: str, floor: int, *, at_end: bool) -> int | None:
    """Position (relative to ``window``) of the last match ending/starting at or after ``floor``."""
    found = None
    for match in pattern.finditer(window):
        position = match.end() if at_end else match.start()
        if position >= floor:
            found = position
    return found


def _kiwi_break(window: str, floor: int) -> int | None:
    if not has_hangul(window):
        return None
    starts = [s.start for s in kiwi().split_into_sents(window) if s.start >= floor]
    return starts[-1] if starts else None


def _break(text: str, start: int, limit: int, min_end: int) -> int:
    """Where the chunk starting at ``start`` ends (exclusive), at most ``limit``."""
    if limit >= len(text):
        return len(text)
    window = text[start : limit + 1]  # the char at ``limit`` tells whether ``limit`` is a word end
    floor = max(min_end - start, (limit - start) // 2, 1)
    for pattern, at_end in ((_PARAGRAPH, False), (_NEWLINE, False), (_SENTENCE_END, True)):
        found = _last(pattern, window, floor, at_end=at_end)
        if found is not None:
            return start + found
    found = _kiwi_break(window, floor)
    if found is not None:
        return start + found
    found = _last(_SPACE, window, max(min_end - start, 1), at_end=False)
    return start + found if found is not None else limit


def _next_start(text: str, start: int, end: int, overlap: int) -> int:
    """Start of the next chunk: a sentence (else word) start inside the last ``overlap`` chars."""
    lo = max(end - overlap, start + 1)
    if overlap > 0 and lo < end:
        region = text[lo:end]
        for pattern in (_SENTENCE_START, _WORD_START):
            match = pattern.search(region)
            if match is not None:
                return lo + match.end()
    return _skip_space(text, end)


def chunk_text(text: str, chunk_chars: int = 1200, overlap_chars: int = 200) -> list[Chunk]:
    """Chunks of at most ``chunk_chars`` characters, about ``overlap_chars`` shared between
    neighbours (see the module docstring for where cuts go). Blank text gives no chunks."""
    if chunk_chars < 1 or not 0 <= overlap_chars < chunk_chars:
        raise DataError(
            f"cannot chunk with size {chunk_chars} and overlap {overlap_chars}.",
            hint="The chunk size must be positive and the overlap smaller than it.",
        )
    chunks: list[Chunk] = []
    start = _skip_space(text, 0)
    previous_end = start
    while start < len(text):
        cut = _break(text, start, start + chunk_chars, previous_end + 1)
        end = _trim_end(text, start, cut)
        chunks.append(Chunk(text[start:end], start))
        if cut >= len(text) or _skip_space(text, cut) >= len(text):
            break
        previous_end = end
        start = _next_start(text, start, end, overlap_chars)
    return chunks


def line_locator(text: str, first_line: int = 1) -> Callable[[int], int]:
    """``offset -> line number`` for ``text`` (1-based unless ``first_line`` says otherwise)."""
    newlines = [i for i, char in enumerate(text) if char == "\n"]

    def line_at(offset: int) -> int:
        return first_line + bisect.bisect_left(newlines, offset)

    return line_at


def chunk_document(
    text: str,
    *,
    path: str,
    title: str | None = None,
    chunk_chars: int = 1200,
    overlap_chars: int = 200,
    line_at: Callable[[int], int | None] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> list[Document]:
    """Documents for ``text``: one if it fits in a chunk (no ``source.offset``), else one per
    chunk with ``source.offset``, ``meta.chunk`` (0-based) and ``meta.chunks``. ``line_at``
    maps an offset to the ``source.line`` to record (default: the line within ``text``)."""
    locate = line_at or line_locator(text)
    chunks = chunk_text(text, chunk_chars, overlap_chars)
    base = dict(meta or {})
    if len(chunks) == 1:
        only = chunks[0]
        return [Document(only.text, Source(path, locate(only.offset)), title, base)]
    return [
        Document(
            chunk.text,
            Source(path, locate(chunk.offset), chunk.offset),
            title,
            {**base, "chunk": index, "chunks": len(chunks)},
        )
        for index, chunk in enumerate(chunks)
    ]
