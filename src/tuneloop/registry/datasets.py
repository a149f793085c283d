"""Versioned datasets: immutable, numbered versions per dataset name, each a set of split files.

Why immutable and content-addressed: a training run and an evaluation record the dataset they used
as ``name@version``; that only means something if version 3 is the same bytes forever. The split
files live in the artifact store under their sha256, the database row holds their hashes, and the
version's ``content_hash`` is the hash of that mapping — so the same data pushed twice is one
version (pushing from CI on every run is harmless), and a corrupted file is detected on read.

Why the pipeline is stored with the data: "how was this made?" must be answerable a year later —
the steps, their parameters and seeds, and the parent version are part of the version, next to a
generated dataset card (markdown) that a person can read.

References are those of every registry (:mod:`tuneloop.registry.refs`): ``seoul-qa``,
``seoul-qa@latest``, ``seoul-qa@3``, ``seoul-qa@production`` (an alias, as for prompts and
models; dataset aliases are never gated), and with a split ``seoul-qa@production:train``
(:meth:`DatasetRegistry.split`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tuneloop.errors import BadReference, DataError, UnknownReference
from tuneloop.registry import refs
from tuneloop.registry.core import KindInfo, Versioned
from tuneloop.registry.refs import DataRef
from tuneloop.store.artifacts import ArtifactStore
from tuneloop.store.schema import DatasetVersionRow

__all__ = [
    "MEDIA_TYPE",
    "DatasetRegistry",
    "DatasetSplit",
    "DatasetVersion",
    "files_hash",
    "parse_dataset_ref",
]

MEDIA_TYPE = "application/x-ndjson"
_SPLIT = refs.SPLIT_PATTERN

INFO = KindInfo(
    kind="dataset",
    create_hint="No dataset has been pushed yet; make one with `tuneloop data prepare` or push "
    "files with `tuneloop data push`.",
    list_command="tuneloop data list",
    alias_command="tuneloop data alias set {name}@{version} {alias}",
)


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
    """``name[@version|@latest|@alias]`` → (name, number, ``"latest"`` or alias);
    :class:`BadReference` if malformed."""
    parsed = refs.parse_ref(ref, kind="dataset")
    return parsed.name, parsed.selector


@dataclass(frozen=True)
class DatasetSplit:
    """One split of one version, resolved from a data reference: the record file to read."""

    version: DatasetVersion
    split: str
    path: Path

    @property
    def ref(self) -> str:
        """``name@version:split``, the pinned form of whatever reference named it."""
        return f"{self.version.ref}:{self.split}"


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


class DatasetRegistry(Versioned[DatasetVersionRow, DatasetVersion]):
    """The ``dataset_versions`` table, the dataset rows of ``aliases`` / ``alias_events``, and the
    split files in the artifact store."""

    def __init__(self, engine: Engine, artifacts: ArtifactStore) -> None:
        super().__init__(engine, DatasetVersionRow, _version, INFO)
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
        refs.check_name(name, kind="dataset")
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
                version=self._latest_number(session, name) + 1,
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

        return self._write(write, f"push dataset {name!r}")

    def path(self, version: DatasetVersion, split: str, *, verify: bool = True) -> Path:
        """The record file of ``split`` in ``version`` (checked against its hash if ``verify``)."""
        if split not in version.files:
            raise UnknownReference(
                f"Dataset {version.ref} has no split {split!r}.",
                hint=f"Its splits: {', '.join(version.splits)}.",
                param="split",
            )
        sha = version.files[split]
        if verify:
            self._artifacts.read(sha, verify=True)
        return self._artifacts.path_for(sha)

    def split(self, ref: DataRef | str, *, verify: bool = True) -> DatasetSplit:
        """The split a dataset reference names (``seoul-qa@3:train``, ``seoul-qa@production:test``,
        or ``seoul-qa@3`` when that version has one split), pinned to its version.

        Raises :class:`BadReference` when ``ref`` is not a dataset reference or names no split of
        a version with several, and :class:`UnknownReference` for what does not exist.
        """
        data = refs.parse_data_ref(ref) if isinstance(ref, str) else ref
        if data.dataset is None:
            raise BadReference(
                f"{data.text!r} is not a dataset reference.",
                hint="Write NAME@VERSION:SPLIT, e.g. seoul-qa@3:train (`tuneloop data list`).",
                param="ref",
            )
        version = self.get(data.dataset)
        split = data.split
        if split is None:
            if len(version.files) != 1:
                raise BadReference(
                    f"Dataset {version.ref} has several splits ({', '.join(version.splits)}).",
                    hint=f"Name one, e.g. {data.dataset}:{version.splits[0]}.",
                    param="ref",
                )
            split = version.splits[0]
        return DatasetSplit(version, split, self.path(version, split, verify=verify))
