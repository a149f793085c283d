"""Building versioned knowledge indexes, and opening one as a retriever.

``build_index`` turns documents (read by the data stage's readers and cut by its chunker, exactly
as :func:`~tuneloop.data.passages.load_passages` does) into the next version of a named index
in the registry (:mod:`tuneloop.registry.indexes`). It is incremental: each document is hashed
first; unchanged documents (same sha256, same chunking settings and method as the latest version)
keep their passages and BM25 terms from that version, only added or changed documents are read,
chunked and tokenised again, and documents that are gone are dropped. If nothing changed at all,
the latest matching version comes back and nothing is written (``created=False``). The version
records what changed (``changes``: added, changed, removed labels) next to its lineage.

``open_retriever`` resolves a reference (``seoul-docs``, ``seoul-docs@3``,
``seoul-docs@production``) on every call — so an alias move is seen at once — but loads a
version's passages only once per process (cached by the passages' sha256; a build leaves its
version in the cache): a stored version carries each passage's terms and the saved ``bm25s``
index, so loading neither runs Kiwi over the passages nor indexes them again.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.data.passages import (
    DEFAULT_OVERLAP_CHARS,
    DEFAULT_PASSAGE_CHARS,
    DocumentSet,
    load_passages,
    resolve_documents,
)
from tuneloop.errors import ConfigError
from tuneloop.jsonlines import iter_objects
from tuneloop.registry.indexes import lineage_hash
from tuneloop.text.bm25 import METHOD, BM25Retriever, passage_terms
from tuneloop.text.retrieval import Passage, Retriever, passage_id

if TYPE_CHECKING:
    from tuneloop.registry import IndexVersion, Store

__all__ = [
    "METHODS",
    "BuildResult",
    "build_index",
    "clear_cache",
    "default_index",
    "load_index",
    "open_retriever",
    "read_passages",
]

METHODS = ("bm25",)
"""Retrieval methods an index can be built with (dense and hybrid were measured and not adopted:
see docs/knowledge.md, "Choosing the method")."""

_CACHE_SIZE = 8
_cache: OrderedDict[str, BM25Retriever] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class BuildResult:
    """What ``build_index`` did: the version, whether it is new, what changed, what was skipped,
    and how many passages were chunked afresh (the rest were reused from the parent)."""

    version: IndexVersion
    created: bool
    changes: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    chunked: int = 0
    reused: int = 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _settings(passage_chars: int, overlap_chars: int, method: str) -> dict[str, Any]:
    if method not in METHODS:
        raise ConfigError(
            f"Unknown retrieval method {method!r}.",
            hint=f"Use one of: {', '.join(METHODS)}.",
        )
    if not 0 <= overlap_chars < passage_chars:
        raise ConfigError(
            f"overlap ({overlap_chars}) must be at least 0 and less than the chunk size "
            f"({passage_chars}).",
            hint="Pick a smaller --overlap or a larger --chunk-size.",
        )
    engine = METHOD if method == "bm25" else method
    return {
        "passage_chars": passage_chars,
        "overlap_chars": overlap_chars,
        "method": method,
        "engine": engine,
    }


def _row(passage: Passage, terms: Sequence[str]) -> dict[str, Any]:
    return {
        "id": passage.id,
        "source": passage.source,
        "start": passage.start,
        "end": passage.end,
        "line": passage.line,
        "title": passage.title,
        "text": passage.text,
        "terms": list(terms),
    }


def read_passages(path: Path) -> tuple[list[Passage], list[list[str]]]:
    """The passages and their BM25 terms from a stored passages file."""
    passages: list[Passage] = []
    terms: list[list[str]] = []
    for _, row in iter_objects(path, hint="A line of an index's passages file."):
        text, source = str(row["text"]), str(row["source"])
        start, end = int(row["start"]), int(row["end"])
        passages.append(
            Passage(
                text,
                source,
                start,
                end,
                row.get("line"),
                row.get("title"),
                row.get("id") or passage_id(source, start, end, text),
            )
        )
        terms.append(row.get("terms") or [])  # written by _row: a list of strings
    return passages, terms


def _write_passages(rows: Iterable[dict[str, Any]], folder: Path) -> Path:
    path = folder / "passages.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def build_index(
    store: Store,
    name: str,
    documents: DocumentSet,
    *,
    author: str,
    passage_chars: int = DEFAULT_PASSAGE_CHARS,
    overlap_chars: int = DEFAULT_OVERLAP_CHARS,
    method: str = "bm25",
    message: str = "",
) -> BuildResult:
    """Build ``documents`` into the next version of index ``name`` (see the module docstring).

    Raises :class:`~tuneloop.errors.ConfigError` when no document yields a passage.
    """
    from tuneloop.registry import refs

    refs.check_name(name, kind="index")
    settings = _settings(passage_chars, overlap_chars, method)
    hashes = {label: _sha256(path) for path, label in documents.files}
    digest = lineage_hash(hashes, settings)
    same = store.indexes.find(name, digest)
    if same is not None:
        return BuildResult(same, created=False)

    previous = store.indexes.resolve(f"{name}@latest")
    old: dict[str, Any] = previous.documents if previous is not None else {}
    keep = {label for label, sha in hashes.items() if old.get(label, {}).get("sha256") == sha}
    reusable: dict[str, list[tuple[Passage, list[str]]]] = {}
    if previous is not None and previous.settings == settings:
        # Unchanged documents keep their passages and terms; those that gave none stay empty.
        reusable = {label: [] for label in keep}
        stored = read_passages(store.indexes.passages_path(previous))
        for passage, terms in zip(*stored, strict=True):
            if passage.source in reusable:
                reusable[passage.source].append((passage, terms))
    fresh_files = tuple((path, label) for path, label in documents.files if label not in reusable)
    fresh: dict[str, list[tuple[Passage, list[str]]]] = {}
    skipped: list[str] = []
    if fresh_files:
        try:
            passages, skipped = load_passages(
                DocumentSet(fresh_files, documents.entries),
                passage_chars=passage_chars,
                overlap_chars=overlap_chars,
            )
        except ConfigError:
            if not any(reusable.values()):
                raise
            passages, skipped = [], [f"{label}: no readable text" for _, label in fresh_files]
        for passage, terms in zip(passages, passage_terms(passages), strict=True):
            fresh.setdefault(passage.source, []).append((passage, terms))

    kept: list[tuple[Passage, list[str]]] = []
    lineage: dict[str, dict[str, Any]] = {}
    for _, label in documents.files:
        items = reusable[label] if label in reusable else fresh.get(label, [])
        lineage[label] = {"sha256": hashes[label], "passages": len(items)}
        kept.extend(items)
    rows = [_row(p, t) for p, t in kept]
    if not rows:
        raise ConfigError(
            f"No passages could be read from {', '.join(documents.entries)}.",
            hint="Point the index at Markdown, text, HTML, PDF or Q/A CSV files.",
        )
    changes = {
        "added": sorted(label for label in hashes if label not in old),
        "changed": sorted(label for label in hashes if label in old and label not in keep),
        "removed": sorted(label for label in old if label not in hashes),
    }
    chunked = sum(len(v) for v in fresh.values())
    counts = {
        "documents": len(hashes),
        "passages": len(rows),
        "chunked": chunked,
        "reused": len(rows) - chunked,
        "skipped": skipped,
    }
    retriever = BM25Retriever([p for p, _ in kept], [t for _, t in kept])
    with tempfile.TemporaryDirectory(prefix="tuneloop-index-") as tmp:
        path = _write_passages(rows, Path(tmp))
        version, created = store.indexes.push(
            name,
            path,
            bm25=retriever.save(Path(tmp)),
            documents=lineage,
            settings=settings,
            author=author,
            changes=changes,
            counts=counts,
            message=message,
            parent=previous.ref if previous is not None else None,
        )
    _remember(version.passages, retriever)
    return BuildResult(version, created, changes, skipped, chunked, len(rows) - chunked)


def resolve_sources(sources: Sequence[str], base: Path) -> DocumentSet:
    """``tuneloop index build`` SOURCES (folders, files, globs) as a document set."""
    return resolve_documents(list(sources), base, where="index build SOURCES")


def load_index(store: Store, version: IndexVersion) -> BM25Retriever:
    """The retriever of one stored version, loaded once per process (cached by its passages)."""
    key = version.passages
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    passages, terms = read_passages(store.indexes.passages_path(version))
    saved = store.indexes.bm25_path(version)
    if saved is not None:
        retriever = BM25Retriever.load(passages, saved)
    else:
        retriever = BM25Retriever(passages, terms)
    _remember(key, retriever)
    return retriever


def _remember(key: str, retriever: BM25Retriever) -> None:
    with _cache_lock:
        _cache[key] = retriever
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def open_retriever(store: Store, ref: str) -> Retriever:
    """The retriever an index reference names (``seoul-docs``, ``seoul-docs@3``,
    ``seoul-docs@production``); :class:`~tuneloop.errors.UnknownReference` (with what exists)
    for an unknown index, version or alias."""
    return load_index(store, store.indexes.get(ref))


def default_index(configured: str | None) -> str:
    """The index a command uses when none is named: ``[knowledge] index``, else an error."""
    if configured:
        return configured
    raise ConfigError(
        "No index named, and the project sets no default index.",
        hint='Pass --index NAME@ALIAS, or set `index = "seoul-docs@production"` under '
        "[knowledge] in tuneloop.toml (build one with `tuneloop index build docs/ --name "
        "seoul-docs`).",
    )


def clear_cache() -> None:
    """Forget every loaded index (for tests and long-lived processes that want memory back)."""
    with _cache_lock:
        _cache.clear()
