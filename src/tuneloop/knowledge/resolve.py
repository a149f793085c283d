"""Which retriever a prompt's ``retrieve: {index: REF}`` names.

Prompts never import this component (the data stage runs prompts, and indexes are built from the
data stage's readers, so ``prompts → knowledge → data → prompts`` would be a cycle): whoever
renders a retrieving prompt — the CLI, the eval stage, the server — passes the resolver made here.

A reference is either a **registered index** (``seoul-docs``, ``seoul-docs@3``,
``seoul-docs@production``), opened through the knowledge component's
``open_retriever(store, ref)`` — the one place that knows how indexes are stored and versioned —
or a **documents folder, file or glob** relative to the prompt file (``../docs``), read by the
data stage's readers into an in-memory BM25 index. A reference that exists as a path, or has
glob characters or a ``/``, is a documents path; anything else (``@`` included) is an index name.

The in-memory indexes are cached per set of files (path, size, mtime), so rendering a suite of
300 cases builds one index, and an edited document is re-read. Registered indexes are cached by
``open_retriever`` itself (per version).
"""

from __future__ import annotations

import glob
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tuneloop.errors import ConfigError, PromptError, TuneloopError
from tuneloop.text.retrieval import IndexResolver, Retriever

if TYPE_CHECKING:
    from tuneloop.registry import Store

__all__ = ["index_resolver"]

_LOCK = threading.Lock()
_BUILT: dict[tuple[tuple[str, int, int], ...], Retriever] = {}
_MAX_CACHED = 16


def _is_path(ref: str, base: Path) -> bool:
    if "/" in ref or "\\" in ref or glob.has_magic(ref):
        return True
    return "@" not in ref and (base / ref).exists()


def _documents(ref: str, base: Path) -> Retriever:
    from tuneloop.data.passages import load_passages, resolve_documents
    from tuneloop.text.bm25 import BM25Retriever

    found = resolve_documents([ref], base, where=f"retrieve index {ref!r}")
    key = tuple(
        (str(path), stat.st_size, stat.st_mtime_ns)
        for path, _ in found.files
        for stat in [path.stat()]
    )
    with _LOCK:
        cached = _BUILT.get(key)
    if cached is not None:
        return cached
    passages, _skipped = load_passages(found)
    retriever = BM25Retriever(passages)
    with _LOCK:
        if len(_BUILT) >= _MAX_CACHED:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = retriever
    return retriever


def _registered(ref: str, store: Store | Callable[[], Store] | None) -> Retriever:
    if callable(store):
        store = store()
    if store is None:
        raise ConfigError(
            f"Cannot open the knowledge index {ref!r}: no project store is open here.",
            hint="Run inside the project (or pass its store), or name a documents folder "
            "relative to the prompt file (`index: ../docs`). Build indexes with "
            "`tuneloop index build`.",
        )
    from tuneloop.knowledge.index import open_retriever

    return open_retriever(store, ref)


def index_resolver(base: Path, store: Store | Callable[[], Store] | None = None) -> IndexResolver:
    """Resolve references relative to ``base`` (the prompt file's folder) and in ``store``.

    ``store`` may be a function returning it, called only when a registered index is named (so
    rendering a prompt that does not retrieve never opens the database)."""

    def resolve(ref: str) -> Retriever:
        try:
            if _is_path(ref, base):
                return _documents(ref, base)
            return _registered(ref, store)
        except PromptError:
            raise
        except TuneloopError as exc:
            raise PromptError(f"retrieve: {exc.message}", hint=exc.hint) from exc

    return resolve
