"""BM25 over Kiwi content morphemes: the first :class:`~tuneloop.text.retrieval.Retriever`.

Why content morphemes (nouns, verb and adjective stems, numbers, Latin words — the same unit as
the ``bm25`` few-shot selector): Korean glues particles and endings to words, so 경복궁은 and
경복궁의 must be one term, and 은/의/요 must not decide a match. Why ``bm25s``: it is already a
dependency, pure numpy, and scores a few thousand passages in microseconds. A passage is indexed
with its document's title (the heading of a Markdown file), so a chunk that never repeats the
place's name is still found by it.

Terms can be handed in (``terms``): a stored index keeps each passage's terms with it, so loading
a version never runs Kiwi over its passages again (tokenising is most of the build time). The
``bm25s`` index itself is saved too (:meth:`BM25Retriever.save`, ``bm25s``' own files in one tar)
and loaded with ``bm25s.BM25.load`` (:meth:`BM25Retriever.load`), which skips re-indexing. The top
``k`` are picked with numpy (``argpartition``), so a query over 100k passages stays in
milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.text.korean import content_tokens, content_tokens_many
from tuneloop.text.retrieval import Hit, Passage

__all__ = ["METHOD", "BM25Retriever", "passage_terms"]

METHOD = "bm25s-kiwi-content-v1"


class BM25Retriever:
    """An in-memory BM25 index over ``passages`` (built once, at construction)."""

    def __init__(
        self, passages: Sequence[Passage], terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        import bm25s

        self.passages = list(passages)
        if terms is not None and len(terms) != len(self.passages):
            raise ValueError(f"{len(terms)} term lists for {len(self.passages)} passages")
        corpus = list(terms) if terms is not None else passage_terms(self.passages)
        self._index: Any = None
        if any(corpus):  # bm25s cannot index a corpus without a single token
            self._index = bm25s.BM25()
            self._index.index(corpus, show_progress=False)
        self._hash = _content_hash(self.passages)

    @classmethod
    def load(cls, passages: Sequence[Passage], saved: Path) -> BM25Retriever:
        """A retriever over ``passages`` with the index :meth:`save` wrote to ``saved``."""
        import bm25s

        retriever = cls.__new__(cls)
        retriever.passages = list(passages)
        with tempfile.TemporaryDirectory(prefix="tuneloop-bm25-") as tmp:
            with tarfile.open(saved) as tar:
                tar.extractall(tmp, filter="data")
            retriever._index = bm25s.BM25.load(tmp, load_corpus=False)
        retriever._hash = _content_hash(retriever.passages)
        return retriever

    def save(self, folder: Path) -> Path | None:
        """Write the ``bm25s`` index as one tar in ``folder``; None when there is no index (no
        passage had a term)."""
        if self._index is None:
            return None
        files = folder / "bm25"
        self._index.save(str(files))
        path = folder / "bm25.tar"
        with tarfile.open(path, "w") as tar:
            for item in sorted(files.iterdir()):
                tar.add(item, arcname=item.name)
        return path

    @property
    def content_hash(self) -> str:
        return self._hash

    def score_array(self, query: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The BM25 score of every passage for ``query`` as one array (all 0 when no term is
        shared)."""
        terms = content_tokens(query)
        if self._index is None or not terms:
            return np.zeros(len(self.passages), dtype=np.float64)
        return np.asarray(self._index.get_scores(terms), dtype=np.float64)

    def scores(self, query: str) -> list[float]:
        """The BM25 score of every passage for ``query`` (all 0 when no term is shared)."""
        return [float(s) for s in self.score_array(query)]

    def search(self, query: str, k: int = 5) -> list[Hit]:
        scores = self.score_array(query)
        ranked = top_k(scores, k)
        return [Hit(self.passages[i], float(scores[i]), rank) for rank, i in enumerate(ranked)]


def top_k(scores: np.ndarray[Any, np.dtype[np.float64]], k: int) -> list[int]:
    """Indices of the ``k`` best positive scores, best first; ties keep passage order, so the
    same index always answers the same way."""
    candidates = np.flatnonzero(scores > 0.0)
    if k <= 0 or candidates.size == 0:
        return []
    values = scores[candidates]
    if candidates.size > k:
        cut = np.partition(values, candidates.size - k)[candidates.size - k]
        keep = values >= cut  # every tie at the cut stays, then the stable sort decides
        candidates, values = candidates[keep], values[keep]
    order = np.lexsort((candidates, -values))
    return [int(i) for i in candidates[order][:k]]


def passage_terms(passages: Sequence[Passage]) -> list[list[str]]:
    """The BM25 terms of each passage (its title and text), in one Kiwi batch."""
    return content_tokens_many([_indexed_text(p) for p in passages])


def _content_hash(passages: Sequence[Passage]) -> str:
    blob = json.dumps(
        [METHOD, [[p.source, p.start, p.title, p.text] for p in passages]], ensure_ascii=False
    )
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _indexed_text(passage: Passage) -> str:
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text
