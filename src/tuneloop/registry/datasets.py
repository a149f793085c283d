"""Versioned datasets: immutable, numbered versions per dataset name, each a set of split files.

Why immutable and content-addressed: a training run and an evaluation record the dataset they used
as ``name@version``; that only means something if version 3 is the same bytes forever. The split
files live in the artifact store under their sha256, the database row holds their hashes, and the
version's ``content_hash`` is the hash of that mapping — so the same data pushed twice is one
version (pushing from CI on every run is harmless), and a corrupted file is detected on read.

Why the pipeline is stored with the data: "how was this made?" must be answerable a year later —
the steps, their parameters and seeds, and the parent version are part of the version, next to a
generated dataset card (markdown) that a person can read.

References are the same as for prompts (:mod:`tuneloop.registry.refs`): ``seoul-qa``,
``seoul-qa@latest``, ``seoul-qa@3``.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tuneloop.errors import DataError, NotFound
from tuneloop.registry import refs
from tuneloop.registry.refs import LATEST
from tuneloop.store.artifacts import ArtifactStore
from tuneloop.store.engine import session_scope, write_with_retry
from tuneloop.store.schema import DatasetVersionRow

__all__ = ["MEDIA_TYPE", "DatasetRegistry", "DatasetVersion", "files_hash", "parse_dataset_ref"]

MEDIA_TYPE = "application/x-ndjson"
_SPLIT = refs.LABEL_PATTERN


@dataclass(frozen=True)
class DatasetVersion:
    """One pushed version; ``files`` maps split name → sha256 of its record file."""

    name: str
    version: int
    content_hash: str
    parent: str | None
    files: dict[str, str]
    counts: dict[str, Any]
    pipeline: list[dict[str, Any]]
    card: str
    author: str
    message: str
    created_at: datetime

    @property
    def ref(self) -> str:
        """``name@version``: how training runs and evaluations refer to this version."""
        return f"{self.name}@{self.version}"

    @property
    def splits(self) -> list[str]:
        """Split names in a stable, natural order (train, validation, test, then the rest)."""
        order = {"train": 0, "validation": 1, "test": 2}
        return sorted(self.files, key=lambda s: (order.get(s, 3), s))


def parse_dataset_ref(ref: str) -> tuple[str, int | str]:
    """``name[@version|@latest]`` → (name, number or ``"latest"``); :class:`DataError` if bad."""
    name, selector = refs.parse_ref(ref, kind="dataset", error=DataError)
    if isinstance(selector, str) and selector != LATEST:
        raise DataError(
            f"Bad dataset reference {ref!r}: datasets have versions, not labels.",
            hint=f"Use {name}, {name}@latest or {name}@3.",
            param="ref",
        )
    return name, selector


def files_hash(files: Mapping[str, str]) -> str:
    """sha256 of the split → file-hash mapping (sorted), i.e. of the whole dataset's content."""
    blob = json.dumps(dict(sorted(files.items())), separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _version(row: DatasetVersionRow) -> DatasetVersion:
    return DatasetVersion(
        name=row.name,
        version=row.version,
        content_hash=row.content_hash,
        parent=row.parent,
        files=dict(row.files),
        counts=dict(row.counts),
        pipeline=list(row.pipeline),
        card=row.card,
        author=row.author,
        message=row.message,
        created_at=row.created_at,
    )


def _latest(session: Session, name: str) -> int:
    query = select(func.max(DatasetVersionRow.version)).where(DatasetVersionRow.name == name)
    return session.scalar(query) or 0


class DatasetRegistry:
    """The ``dataset_versions`` table plus the split files in the artifact store."""

    def __init__(self, engine: Engine, artifacts: ArtifactStore) -> None:
        self._engine = engine
        self._artifacts = artifacts

    def push(
        self,
        name: str,
        files: Mapping[str, str | Path],
        *,
        author: str,
        pipeline: Sequence[Mapping[str, Any]] = (),
        counts: Mapping[str, Any] | None = None,
        card: str = "",
        message: str = "",
        parent: str | None = None,
    ) -> tuple[DatasetVersion, bool]:
        """Store the split files as the next version of ``name``; return it and whether it is new.

        The files are copied into the artifact store first (content-addressed, so a failure
        later leaves at most unreferenced copies, never a half version); then one transaction
        adds the row. If a version of ``name`` already has exactly these files, it comes back
        with ``False``.
        """
        refs.check_name(name, kind="dataset", error=DataError)
        if not files:
            raise DataError(
                f"Cannot push dataset {name!r} without files.",
                hint="Give at least one split file (e.g. train=train.jsonl).",
            )
        if parent is not None:
            self.get(parent)  # the parent must exist
        hashes: dict[str, str] = {}
        for split, path in files.items():
            if not _SPLIT.fullmatch(split):
                raise DataError(
                    f"Bad split name {split!r}.",
                    hint="Split names are lowercase identifiers such as train, validation, test.",
                )
            if not Path(path).is_file():
                raise DataError(f"{path}: no such file (split {split!r}).", hint="Check the path.")
            record = self._artifacts.put_file(path, media_type=MEDIA_TYPE)
            hashes[split] = record.sha256
        digest = files_hash(hashes)

        def write(session: Session) -> tuple[DatasetVersion, bool]:
            same = session.scalar(
                select(DatasetVersionRow).where(
                    DatasetVersionRow.name == name, DatasetVersionRow.content_hash == digest
                )
            )
            if same is not None:
                return _version(same), False
            row = DatasetVersionRow(
                name=name,
                version=_latest(session, name) + 1,
                content_hash=digest,
                parent=parent,
                files=hashes,
                counts=dict(counts or {}),
                pipeline=[dict(step) for step in pipeline],
                card=card,
                author=author,
                message=message,
            )
            session.add(row)
            session.flush()
            return _version(row), True

        return write_with_retry(self._engine, write, f"push dataset {name!r}")

    def get(self, ref: str) -> DatasetVersion:
        """The version ``ref`` names; :class:`NotFound` (hint: what exists) if there is none."""
        name, selector = parse_dataset_ref(ref)
        with session_scope(self._engine) as session:
            latest = _latest(session, name)
            if latest == 0:
                raise self._unknown_name(session, name)
            version = latest if selector == LATEST else int(selector)
            row = session.scalar(
                select(DatasetVersionRow).where(
                    DatasetVersionRow.name == name, DatasetVersionRow.version == version
                )
            )
            if row is None:
                raise NotFound(
                    f"Dataset {name!r} has no version {version}.",
                    hint=f"{name} has versions 1 to {latest}; see `tuneloop data list`.",
                    param="ref",
                )
            return _version(row)

    def versions(self, name: str) -> builtins.list[DatasetVersion]:
        """Every version of ``name``, oldest first (empty if the name is unknown)."""
        with session_scope(self._engine) as session:
            rows = session.scalars(
                select(DatasetVersionRow)
                .where(DatasetVersionRow.name == name)
                .order_by(DatasetVersionRow.version)
            )
            return [_version(row) for row in rows]

    def latest(self) -> builtins.list[DatasetVersion]:
        """The newest version of every dataset, by name."""
        with session_scope(self._engine) as session:
            newest = (
                select(DatasetVersionRow.name, func.max(DatasetVersionRow.version).label("v"))
                .group_by(DatasetVersionRow.name)
                .subquery()
            )
            rows = session.scalars(
                select(DatasetVersionRow)
                .join(
                    newest,
                    (DatasetVersionRow.name == newest.c.name)
                    & (DatasetVersionRow.version == newest.c.v),
                )
                .order_by(DatasetVersionRow.name)
            )
            return [_version(row) for row in rows]

    def path(self, version: DatasetVersion, split: str, *, verify: bool = True) -> Path:
        """The record file of ``split`` in ``version`` (checked against its hash if ``verify``)."""
        if split not in version.files:
            raise NotFound(
                f"Dataset {version.ref} has no split {split!r}.",
                hint=f"Its splits: {', '.join(version.splits)}.",
                param="split",
            )
        sha = version.files[split]
        if verify:
            self._artifacts.read(sha, verify=True)
        return self._artifacts.path_for(sha)

    @staticmethod
    def _unknown_name(session: Session, name: str) -> NotFound:
        names = list(
            session.scalars(
                select(DatasetVersionRow.name).distinct().order_by(DatasetVersionRow.name).limit(21)
            )
        )
        if not names:
            hint = "No dataset has been pushed yet; make one with `tuneloop data prepare` or push "
            hint += "files with `tuneloop data push`."
        else:
            shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
            hint = f"Datasets: {shown}."
        return NotFound(f"No dataset named {name!r}.", hint=hint, param="ref")
