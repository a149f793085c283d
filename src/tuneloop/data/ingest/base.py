"""The reader seam of ``tuneloop data ingest``: what a reader is, and the options every reader gets.

Why a protocol with ``sniff`` (as Presidio's recognizers and llm's model plugins): input formats
are open-ended — a team has its own CRM export, a wiki dump, a chat tool nobody else uses — so a
format is a plugin that registers a :class:`Reader` through the ``register_readers`` hook. The
suffix picks the candidates and ``sniff`` looks at the first bytes, because one suffix hides
several formats (a ``.txt`` may be prose or a KakaoTalk export; a ``.jsonl`` may hold OpenAI chat
lines, tuneloop records or chat-log messages).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from tuneloop.data.records import Record, SkipReport
from tuneloop.errors import DataError

__all__ = ["IngestOptions", "Reader"]

MB = 1024 * 1024


@dataclass(frozen=True)
class IngestOptions:
    """How ``ingest`` reads files (the CLI flags of ``tuneloop data ingest``).

    ``encoding`` forces one text encoding for every file (otherwise each file's is detected; a
    reader receives the detected one here). ``fmt`` forces one reader by name. ``assistant_names``
    are the chat-log speakers who play the assistant. ``conversation_gap_minutes`` splits a chat
    log into conversations where nobody wrote for longer than that.
    """

    chunk_chars: int = 1200
    overlap_chars: int = 200
    encoding: str | None = None
    fmt: str | None = None
    assistant_names: tuple[str, ...] = ()
    max_file_bytes: int = 50 * MB
    conversation_gap_minutes: int = 360

    def __post_init__(self) -> None:
        if self.chunk_chars < 1:
            raise DataError(
                f"chunk size must be at least 1 character (got {self.chunk_chars}).",
                hint="Pass a positive --chunk-size, e.g. --chunk-size 1200.",
            )
        if not 0 <= self.overlap_chars < self.chunk_chars:
            raise DataError(
                f"overlap ({self.overlap_chars}) must be at least 0 and smaller than the chunk "
                f"size ({self.chunk_chars}).",
                hint="Lower --overlap or raise --chunk-size.",
            )
        if self.max_file_bytes < 1:
            raise DataError("the file size limit must be positive.", hint="Raise --max-file-mb.")
        if self.conversation_gap_minutes < 1:
            raise DataError("the conversation gap must be at least one minute.")


@runtime_checkable
class Reader(Protocol):
    """One input format.

    - ``name``: what ``--format`` and the summary call it (a later registration with the same
      name replaces an earlier one).
    - ``suffixes``: lower-case file suffixes with the dot (``(".txt",)``) this reader may take.
    - ``description``: one line for ``tuneloop data formats``.
    - ``binary``: True for formats that are not text (PDF); ingest then skips its own encoding
      detection and binary-file check for this reader.
    - ``sniff(path, head)``: True when the first bytes (up to 64 KiB) look like this format.
      Generic readers answer True for anything with their suffix; specific ones (KakaoTalk)
      look for their marks. Among the readers taking a suffix whose ``sniff`` says yes, the one
      registered last wins, so a specific or third-party reader beats a generic built-in.
    - ``read(path, options, skips)``: the records of one file. A row it cannot use goes to
      ``skips.skip(Source(path, line), reason)``; a file it cannot read at all raises
      :class:`~tuneloop.errors.DataError`.
    """

    name: str
    suffixes: tuple[str, ...]
    description: str
    binary: bool

    def sniff(self, path: Path, head: bytes) -> bool: ...

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]: ...
