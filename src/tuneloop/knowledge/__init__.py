"""Knowledge: the project's documents as passages with sources, and retrieval over them.

Today this is one BM25 index over Kiwi morphemes, built in memory from the documents a project or
suite names (:func:`load_passages` → :class:`BM25Retriever`); it backs the ``retrieve`` baseline
(:class:`RetrievalModel`). The seam is :class:`Retriever` — ``search(query, k)`` returning
:class:`Hit` objects with each passage's source file and span — so a versioned, stored index (and
dense retrieval) can replace the in-memory one without touching its callers.

Indexes are also versioned like datasets (:mod:`.index`): ``build_index`` makes ``seoul-docs@3``
from documents (incrementally: only changed documents are chunked again), and
``open_retriever(store, "seoul-docs@production")`` loads the version a reference names, once per
process.
"""

from __future__ import annotations

from tuneloop.data.passages import DocumentSet, load_passages, resolve_documents
from tuneloop.knowledge.answer import RetrievalModel
from tuneloop.knowledge.index import build_index, open_retriever
from tuneloop.knowledge.resolve import index_resolver
from tuneloop.text.bm25 import BM25Retriever
from tuneloop.text.retrieval import Hit, Passage, Retriever, passage_id

# The retrieval types and document loading live below this component (``text.retrieval``,
# ``text.bm25``, ``data.passages``) so the data stage and prompts can use them without a cycle;
# they are re-exported here as the knowledge API a user reaches for.
__all__ = [
    "BM25Retriever",
    "DocumentSet",
    "Hit",
    "Passage",
    "RetrievalModel",
    "Retriever",
    "build_index",
    "index_resolver",
    "load_passages",
    "open_retriever",
    "passage_id",
    "resolve_documents",
]
