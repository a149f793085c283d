"""Versioned knowledge indexes: immutable, numbered versions per index name (``seoul-docs@3``).

Why versioned like datasets: an answer, an evaluation and a training example record the passages
they were given; ``seoul-docs@3`` only means something if version 3 holds the same passages
forever. The passages (with their sources, spans, ids and BM25 terms) are one JSON Lines file in
the artifact store under its sha256; the version row holds that hash and the *lineage* — every
document's label and sha256, the chunking settings and the retrieval method. The version's
``content_hash`` is derived from the lineage alone (:func:`lineage_hash`), so a rebuild of
unchanged documents is recognised before anything is re-chunked, and is the same version.

How a version is built (reading, chunking, incremental reuse) is the knowledge package's job
(:mod:`tuneloop.knowledge.index`); the registry only stores and resolves versions, because it sits
below the components. References and aliases are the core's (:mod:`tuneloop.registry.core`):
``seoul-docs``, ``seoul-docs@3``, ``seoul-docs@production``; index aliases are never gated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tuneloop.registry import refs
from tuneloop.registry.core import KindInfo, Versioned
from tuneloop.store.artifacts import ArtifactStore
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import IndexVersionRow

__all__ = ["MEDIA_TYPE", "IndexRegistry", "IndexVersion", "lineage_hash"]

MEDIA_TYPE = "application/x-ndjson"
TAR_TYPE = "application/x-tar"

INFO = KindInfo(
    kind="index",
    create_hint="No index has been built yet; build one with "
    "`tuneloop index build docs/ --name NAME`.",
    list_command="tuneloop index list",
    alias_command="tuneloop index alias set {name}@{version} {alias}",
    plural="indexes",
)


@dataclass(frozen=True)
class IndexVersion:
    """One built version: ``passages`` is the sha256 of its passages file; ``documents`` maps each
    document label to ``{"sha256": …, "passages": n}``; ``changes`` says what differs from
    ``parent`` (``added``, ``changed``, ``removed``: lists of labels)."""

    name: str
    version: int
    content_hash: str
    parent: str | None
    passages: str
    bm25: str | None
    documents: dict[str, Any]
    settings: dict[str, Any]
    changes: dict[str, Any]
    counts: dict[str, Any]
    author: str
    message: str
    created_at: datetime

    @property
    def ref(self) -> str:
        """``name@version``: how answers, runs and examples refer to this version."""
        return f"{self.name}@{self.version}"


def lineage_hash(documents: Mapping[str, str], settings: Mapping[str, Any]) -> str:
    """sha256 of the document label → sha256 mapping and the settings: what makes a version."""
    blob = json.dumps(
        {"documents": dict(sorted(documents.items())), "settings": dict(sorted(settings.items()))},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _version(row: IndexVersionRow) -> IndexVersion:
    return IndexVersion(
        name=row.name,
        version=row.version,
        content_hash=row.content_hash,
        parent=row.parent,
        passages=row.passages,
        bm25=row.bm25,
        documents=dict(row.documents),
        settings=dict(row.settings),
        changes=dict(row.changes),
        counts=dict(row.counts),
        author=row.author,
        message=row.message,
        created_at=row.created_at,
    )


class IndexRegistry(Versioned[IndexVersionRow, IndexVersion]):
    """The ``index_versions`` table, the index rows of ``aliases`` / ``alias_events``, and the
    passages files in the artifact store."""

    def __init__(self, engine: Engine, artifacts: ArtifactStore) -> None:
        super().__init__(engine, IndexVersionRow, _version, INFO)
        self._artifacts = artifacts

    def _row_with_hash(
        self, session: Session, name: str, content_hash: str
    ) -> IndexVersionRow | None:
        return session.scalar(
            select(IndexVersionRow).where(
                IndexVersionRow.name == name, IndexVersionRow.content_hash == content_hash
            )
        )

    def find(self, name: str, content_hash: str) -> IndexVersion | None:
        """The version of ``name`` built from exactly this lineage, if there is one."""
        with session_scope(self._engine) as session:
            row = self._row_with_hash(session, name, content_hash)
            return None if row is None else _version(row)

    def push(
        self,
        name: str,
        passages: str | Path,
        *,
        documents: Mapping[str, Mapping[str, Any]],
        settings: Mapping[str, Any],
        author: str,
        changes: Mapping[str, Any] | None = None,
        counts: Mapping[str, Any] | None = None,
        message: str = "",
        parent: str | None = None,
        bm25: str | Path | None = None,
    ) -> tuple[IndexVersion, bool]:
        """Store the passages file (and ``bm25``, the saved search index over them, if given) as
        the next version of ``name``; return it and whether it is new (the same lineage pushed
        again returns the existing version and ``False``)."""
        refs.check_name(name, kind="index")
        digest = lineage_hash({k: str(v["sha256"]) for k, v in documents.items()}, settings)
        record = self._artifacts.put_file(passages, media_type=MEDIA_TYPE)
        index = None if bm25 is None else self._artifacts.put_file(bm25, media_type=TAR_TYPE)

        def write(session: Session) -> tuple[IndexVersion, bool]:
            same = self._row_with_hash(session, name, digest)
            if same is not None:
                return _version(same), False
            row = IndexVersionRow(
                name=name,
                version=self._latest_number(session, name) + 1,
                content_hash=digest,
                parent=parent,
                passages=record.sha256,
                bm25=None if index is None else index.sha256,
                documents={k: dict(v) for k, v in sorted(documents.items())},
                settings=dict(settings),
                changes=dict(changes or {}),
                counts=dict(counts or {}),
                author=author,
                message=message,
            )
            session.add(row)
            session.flush()
            return _version(row), True

        return self._write(write, f"push index {name!r}")

    def passages_path(self, version: IndexVersion, *, verify: bool = True) -> Path:
        """The passages file of ``version`` (checked against its hash if ``verify``)."""
        if verify:
            self._artifacts.read(version.passages, verify=True)
        return self._artifacts.path_for(version.passages)

    def bm25_path(self, version: IndexVersion, *, verify: bool = True) -> Path | None:
        """The saved search index of ``version`` (a tar of ``bm25s`` files), None if it has none."""
        if version.bm25 is None:
            return None
        if verify:
            self._artifacts.read(version.bm25, verify=True)
        return self._artifacts.path_for(version.bm25)
