"""BM25 over Kiwi content morphemes: the first :class:`~tuneloop.knowledge.base.Retriever`.

Why content morphemes (nouns, verb and adjective stems, numbers, Latin words — the same unit as
the ``bm25`` few-shot selector): Korean glues particles and endings to words, so 경복궁은 and
경복궁의 must be one term, and 은/의/요 must not decide a match. Why ``bm25s``: it is already a
dependency, pure numpy, and scores a few thousand passages in microseconds. A passage is indexed
with its document's title (the heading of a Markdown file), so a chunk that never repeats the
place's name is still found by it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from tuneloop.knowledge.base import Hit, Passage
from tuneloop.text.korean import content_tokens

__all__ = ["BM25Retriever"]

METHOD = "bm25s-kiwi-content-v1"


class BM25Retriever:
    """An in-memory BM25 index over ``passages`` (built once, at construction)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        import bm25s

        self.passages = list(passages)
        corpus = [content_tokens(_indexed_text(p)) for p in self.passages]
        self._index: Any = None
        if any(corpus):  # bm25s cannot index a corpus without a single token
            self._index = bm25s.BM25()
            self._index.index(corpus, show_progress=False)
        blob = json.dumps(
            [METHOD, [[p.source, p.start, p.title, p.text] for p in self.passages]],
            ensure_ascii=False,
        )
        self._hash = "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()

    @property
    def content_hash(self) -> str:
        return self._hash

    def scores(self, query: str) -> list[float]:
        """The BM25 score of every passage for ``query`` (all 0 when no term is shared)."""
        terms = content_tokens(query)
        if self._index is None or not terms:
            return [0.0] * len(self.passages)
        return [float(s) for s in self._index.get_scores(terms)]

    def search(self, query: str, k: int = 5) -> list[Hit]:
        scores = self.scores(query)
        # Ties keep document order, so the same index always answers the same way.
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        ranked = [i for i in order if scores[i] > 0.0][: max(k, 0)]
        return [Hit(self.passages[i], scores[i], rank) for rank, i in enumerate(ranked)]


def _indexed_text(passage: Passage) -> str:
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text
