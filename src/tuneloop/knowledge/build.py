"""Building a retriever from a documents setting (the suite's, an ad-hoc path, the project's).

One place decides which documents win, so ``--baseline retrieve``, ``--model retrieve:docs/`` and
the ``retrieve`` backend of a registered model all search the same passages for the same setting:
an explicit list (a suite's ``documents``, relative to the suite) first, else the project's
``[knowledge] documents`` (relative to the project folder); neither is a
:class:`~tuneloop.errors.ConfigError` that says where to add one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tuneloop.data.passages import load_passages, resolve_documents
from tuneloop.text.bm25 import BM25Retriever

if TYPE_CHECKING:
    from tuneloop.config import Settings

__all__ = ["build_retriever"]

log = logging.getLogger(__name__)


def build_retriever(
    settings: Settings,
    documents: Sequence[str] = (),
    *,
    base: Path | None = None,
    where: str = "documents",
) -> BM25Retriever:
    """A BM25 retriever over ``documents`` (relative to ``base``), else the project's documents.

    Skipped files are logged, not fatal; no readable passage at all is an error.
    """
    knowledge = settings.knowledge
    if documents:
        entries, root, named = list(documents), base or Path.cwd(), where
    else:
        entries, root = list(knowledge.documents), settings.project_dir
        named = f"{settings.project_file} [knowledge] documents"
    found = resolve_documents(entries, root, where=named)
    passages, skipped = load_passages(
        found, passage_chars=knowledge.passage_chars, overlap_chars=knowledge.overlap_chars
    )
    for line in skipped:
        log.warning("retrieve: skipped %s", line)
    return BM25Retriever(passages)
