"""Content-addressed artifact store: files named by their sha256, indexed in the database.

Why content addressing: a dataset version, an adapter or an eval report is identified by what it
contains, so storing the same bytes twice costs nothing (one file, one row), a reference can never
silently point at changed content, and corruption is detectable by re-hashing.

Layout: ``<artifact_dir>/sha256/<first two hex chars>/<hash>`` — the two-character fan-out keeps
folders small. The index row stores that path relative to ``artifact_dir`` so the folder can move.
Files are written atomically (temporary file + ``os.replace``) *before* the row is committed, so a
row never points at a missing or half-written file; a crash in between leaves at most an orphan
file, which the next ``put`` of the same content adopts.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from tuneloop.atomicfile import atomic_write_bytes
from tuneloop.errors import InvalidRequest, NotFound, StoreError
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import Artifact

__all__ = ["DEFAULT_MEDIA_TYPE", "ArtifactRecord", "ArtifactStore"]

DEFAULT_MEDIA_TYPE = "application/octet-stream"
_CHUNK = 1024 * 1024
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class ArtifactRecord:
    """One stored artifact; ``relpath`` is relative to the store's ``artifact_dir``."""

    sha256: str
    size: int
    media_type: str
    relpath: str
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


def _record(row: Artifact) -> ArtifactRecord:
    return ArtifactRecord(
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        relpath=row.relpath,
        created_at=row.created_at,
        metadata=dict(row.meta),
    )


def _checked(sha: str) -> str:
    digest = sha.lower()
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise InvalidRequest(
            f"{sha!r} is not a sha256 digest.", hint="Pass the 64 hex characters of the hash."
        )
    return digest


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ArtifactStore:
    """Artifacts under ``root``, indexed in the ``artifacts`` table of ``engine``'s database."""

    def __init__(self, engine: Engine, root: str | Path) -> None:
        self._engine = engine
        self.root = Path(root)

    def relpath_for(self, sha: str) -> str:
        digest = _checked(sha)
        return f"sha256/{digest[:2]}/{digest}"

    def path_for(self, sha: str) -> Path:
        """Where the file for ``sha`` lives (whether or not it exists)."""
        return self.root / self.relpath_for(sha)

    def put_bytes(
        self,
        data: bytes,
        media_type: str = DEFAULT_MEDIA_TYPE,
        metadata: Mapping[str, Any] | None = None,
    ) -> ArtifactRecord:
        """Store ``data``; storing the same bytes again returns the existing record unchanged."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if not self._intact(target, digest):
            try:
                atomic_write_bytes(target, data)
            except OSError as exc:
                raise StoreError(
                    f"Cannot write artifact {target}: {exc}.",
                    hint="Check free disk space and that artifact_dir is writable.",
                ) from exc
        return self._index(digest, len(data), media_type, metadata)

    def put_file(
        self,
        path: str | Path,
        media_type: str = DEFAULT_MEDIA_TYPE,
        metadata: Mapping[str, Any] | None = None,
    ) -> ArtifactRecord:
        """Store a copy of the file at ``path``, hashing it in chunks while copying."""
        source = Path(path)
        tmp_dir = self.root / "tmp"
        try:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix="put.", suffix=".tmp", dir=tmp_dir)
        except OSError as exc:
            raise StoreError(
                f"Cannot write to the artifact folder {self.root}: {exc}.",
                hint="Point artifact_dir at a writable folder.",
            ) from exc
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path_for(sha)
            if not self._intact(target, sha):
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        except FileNotFoundError as exc:
            raise NotFound(f"No file at {source}.", hint="Check the path.") from exc
        except OSError as exc:
            raise StoreError(
                f"Cannot store {source} in {self.root}: {exc}.",
                hint="Check free disk space and that artifact_dir is writable.",
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)
        return self._index(sha, size, media_type, metadata)

    def get(self, sha: str) -> ArtifactRecord:
        """The record for ``sha``; :class:`NotFound` if it was never stored."""
        found = self.find(sha)
        if found is None:
            raise NotFound(
                f"No artifact with sha256 {sha} in this project's store.",
                hint="Artifacts are the files behind dataset versions (`tuneloop data show "
                "NAME@VERSION` lists a version's files) and uploads; check that the database and "
                "artifact_dir belong to the same project (`tuneloop db current`).",
            )
        return found

    def find(self, sha: str) -> ArtifactRecord | None:
        """The record for ``sha``, or ``None``."""
        digest = _checked(sha)
        with session_scope(self._engine) as session:
            row = session.get(Artifact, digest)
            return None if row is None else _record(row)

    def open(self, sha: str, *, verify: bool = False) -> BinaryIO:
        """The artifact's file, open for binary reading; the caller closes it.

        ``verify=True`` re-hashes the file first and raises :class:`StoreError` if it changed.
        """
        record = self.get(sha)
        path = self.root / record.relpath
        if verify:
            self._verify(path, record.sha256)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise self._missing(path, record.sha256) from exc

    def read(self, sha: str, *, verify: bool = False) -> bytes:
        """The artifact's bytes (``verify=True``: raise :class:`StoreError` on corruption)."""
        record = self.get(sha)
        path = self.root / record.relpath
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise self._missing(path, record.sha256) from exc
        if verify and hashlib.sha256(data).hexdigest() != record.sha256:
            raise self._corrupt(path, record.sha256)
        return data

    def list(self) -> builtins.list[ArtifactRecord]:
        """Every artifact, oldest first."""
        with session_scope(self._engine) as session:
            rows = session.scalars(select(Artifact).order_by(Artifact.created_at, Artifact.sha256))
            return [_record(row) for row in rows]

    def _index(
        self, sha: str, size: int, media_type: str, metadata: Mapping[str, Any] | None
    ) -> ArtifactRecord:
        existing = self.find(sha)
        if existing is not None:
            return existing
        row = Artifact(
            sha256=sha,
            size=size,
            media_type=media_type,
            relpath=self.relpath_for(sha),
            meta=dict(metadata or {}),
        )
        try:
            with session_scope(self._engine) as session:
                session.add(row)
                session.flush()
                return _record(row)
        except IntegrityError:
            # Another writer indexed the same content between our check and our insert.
            return self.get(sha)

    def _intact(self, path: Path, sha: str) -> bool:
        try:
            return _hash_file(path) == sha
        except FileNotFoundError:
            return False

    def _verify(self, path: Path, sha: str) -> None:
        try:
            actual = _hash_file(path)
        except FileNotFoundError as exc:
            raise self._missing(path, sha) from exc
        if actual != sha:
            raise self._corrupt(path, sha)

    @staticmethod
    def _missing(path: Path, sha: str) -> StoreError:
        return StoreError(
            f"Artifact {sha} is indexed but its file {path} is missing.",
            hint="Restore the artifact folder from a backup, or store the content again.",
        )

    @staticmethod
    def _corrupt(path: Path, sha: str) -> StoreError:
        return StoreError(
            f"Artifact file {path} is corrupt: its content no longer hashes to {sha}.",
            hint="Restore it from a backup, or store the original content again to repair it.",
        )
