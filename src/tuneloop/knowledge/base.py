"""The retrieval seam: passages with their sources, and the protocol every retriever implements.

Why a protocol: the BM25 index here is the first of several (a versioned index in the store, dense
embeddings, a hybrid); callers — the ``retrieve`` baseline now, prompt context later — only ever
call ``search``, so any of them can be swapped in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Hit", "Passage", "Retriever", "passage_id"]


def passage_id(source: str, start: int, end: int, text: str) -> str:
    """The stable id of a passage: 12 hex digits of sha256 over where it is and what it says."""
    blob = json.dumps([source, start, end, text], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of a document and exactly where it came from.

    ``source`` is the file, relative to the folder the documents were named by (its parent, so a
    ``docs/`` folder gives ``docs/gyeongbokgung.md``); ``start``/``end`` are character offsets of
    ``text`` in the text the reader extracted from that file (for HTML: the page's article text);
    ``line`` is the 1-based line the passage starts on. ``title`` (the document's heading) is
    searched along with the text but is not part of it. ``id`` is a stable passage id (the
    first 12 hex digits of sha256 over source, span and text, see :func:`passage_id`): equal
    passages get equal ids across index versions, so labels and citations survive a rebuild.
    """

    text: str
    source: str
    start: int
    end: int
    line: int | None = None
    title: str | None = None
    id: str | None = None

    @property
    def where(self) -> str:
        """``docs/a.md:12`` (or ``docs/a.md@340`` without a line): for messages and reports."""
        return (
            f"{self.source}:{self.line}" if self.line is not None else f"{self.source}@{self.start}"
        )


@dataclass(frozen=True)
class Hit:
    """One search result: the passage, its score (higher is better) and its rank (0 = best)."""

    passage: Passage
    score: float
    rank: int


@runtime_checkable
class Retriever(Protocol):
    """Finds the passages that best match a query."""

    @property
    def content_hash(self) -> str:
        """sha256 of what the retriever searches (passages and method): equal hashes, equal
        answers — the response cache keys on it."""
        ...

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """At most ``k`` passages that match ``query``, best first; passages that share no term
        with the query are never returned, so the list may be empty."""
        ...
