"""The retrieval seam: passages with their sources, the protocol every retriever implements,
and the two ways sources are shown — to a model (numbered blocks) and as data (JSON).

Why a foundation (``text/``) and not the knowledge component: the data stage (context-aware
training examples), prompts (retrieving context), the eval stage (``EvalCase.sources``) and the
knowledge index all speak these types, and the index is itself built from the data stage's
readers — if the types lived in ``knowledge/``, ``data → knowledge → data`` would be a cycle.
Components import these; only ``knowledge/`` knows how an index is stored and opened, and hands
prompts an :data:`IndexResolver` (they never import it).

Why one :func:`format_sources`: a model fine-tuned on context-aware examples must see its passages
at serving time exactly as it saw them in training — same numbering, same source suffix — or the
citing habit it learned does not transfer. The format, one block per hit, blocks separated by a
blank line::

    [1] 경복궁은 매주 화요일에 쉽니다. (docs/gyeongbokgung.md:12)

    [2] … (docs/deoksugung.md@340)

:func:`source_dicts` is the one JSON shape of "the sources an answer was given", shared by the
server's ``tuneloop.sources`` field, stored eval and prompt-run results, and the CLI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

__all__ = [
    "Hit",
    "IndexResolver",
    "Passage",
    "Retriever",
    "format_sources",
    "passage_id",
    "source_dicts",
]


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


IndexResolver: TypeAlias = "Callable[[str], Retriever]"
"""Turns the ``index`` of a prompt's ``retrieve`` context item into a retriever (errors are
:class:`~tuneloop.errors.TuneloopError`); :func:`tuneloop.knowledge.index_resolver` makes one."""


def format_sources(hits: Sequence[Hit]) -> str:
    """``[n] text (source:line)`` for each hit, numbered from 1, separated by blank lines."""
    return "\n\n".join(
        f"[{number}] {hit.passage.text.strip()} ({hit.passage.where})"
        for number, hit in enumerate(hits, start=1)
    )


def source_dicts(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """``[{"id": 1, "source": "docs/x.md", "line": 12, "score": 3.2, "text": …}, …]``.

    ``id`` is the number the model saw (``[1]``); ``passage_id`` is the index's stable passage id
    when it has one.
    """
    out: list[dict[str, Any]] = []
    for number, hit in enumerate(hits, start=1):
        passage = hit.passage
        entry: dict[str, Any] = {
            "id": number,
            "source": passage.source,
            "line": passage.line,
            "start": passage.start,
            "end": passage.end,
            "score": round(float(hit.score), 4),
            "text": passage.text,
        }
        passage_id = getattr(passage, "id", None)
        if passage_id is not None:
            entry["passage_id"] = passage_id
        out.append(entry)
    return out
