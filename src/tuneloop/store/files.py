"""Uploaded files (OpenAI's ``/v1/files``): a ``files`` row per upload, bytes in the artifact store.

Why the artifact store: the bytes are content-addressed, so uploading the same training file twice
keeps one copy, and a job that trains on ``file-…`` reads exactly the bytes that were uploaded.
Deleting a file removes its row (the id stops resolving); the bytes stay, since another upload or
a dataset version may share them.

Ids read like OpenAI's (``file-`` + 24 hex digits). Listing is newest first with cursor paging
(``after`` = the last id of the previous page), as the official SDK's auto-pagination expects.
"""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, and_, delete, or_, select

from tuneloop.errors import NotFound
from tuneloop.store.artifacts import ArtifactStore
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import FileRow

__all__ = ["FILE_ID_PREFIX", "FileRecord", "Files", "new_file_id"]

FILE_ID_PREFIX = "file-"


def new_file_id() -> str:
    """A fresh file id, ``file-`` + 24 hex digits."""
    return FILE_ID_PREFIX + secrets.token_hex(12)


@dataclass(frozen=True)
class FileRecord:
    """One uploaded file; ``sha256`` names its bytes in the artifact store."""

    id: str
    filename: str
    purpose: str
    bytes: int
    sha256: str
    status: str
    created_at: datetime


def _record(row: FileRow) -> FileRecord:
    return FileRecord(
        id=row.id,
        filename=row.filename,
        purpose=row.purpose,
        bytes=row.bytes,
        sha256=row.sha256,
        status=row.status,
        created_at=row.created_at,
    )


def _not_found(file_id: str) -> NotFound:
    return NotFound(
        f"No such File object: {file_id}",
        hint="List uploaded files with GET /v1/files; upload one with POST /v1/files.",
        param="file_id",
    )


class Files:
    """The ``files`` table plus the artifact store holding the bytes."""

    def __init__(self, engine: Engine, artifacts: ArtifactStore) -> None:
        self._engine = engine
        self._artifacts = artifacts

    def create(self, filename: str, purpose: str, data: bytes) -> FileRecord:
        """Store ``data`` and index it as a new file (every upload gets a new id)."""
        artifact = self._artifacts.put_bytes(
            data, media_type="application/jsonl", metadata={"filename": filename}
        )
        row = FileRow(
            id=new_file_id(),
            filename=filename,
            purpose=purpose,
            bytes=len(data),
            sha256=artifact.sha256,
            status="processed",
        )
        with session_scope(self._engine) as session:
            session.add(row)
            session.flush()
            return _record(row)

    def get(self, file_id: str) -> FileRecord:
        """The file ``file_id``; :class:`NotFound` (404 on the server) if there is none."""
        with session_scope(self._engine) as session:
            row = session.get(FileRow, file_id)
            if row is None:
                raise _not_found(file_id)
            return _record(row)

    def content(self, file_id: str) -> bytes:
        """The uploaded bytes, verified against their hash."""
        return self._artifacts.read(self.get(file_id).sha256, verify=True)

    def path(self, file_id: str) -> Path:
        """Where the uploaded bytes lie on disk (read-only: they are content-addressed)."""
        return self._artifacts.path_for(self.get(file_id).sha256)

    def list(
        self,
        *,
        purpose: str | None = None,
        after: str | None = None,
        limit: int = 10000,
        order: Literal["asc", "desc"] = "desc",
    ) -> tuple[builtins.list[FileRecord], bool]:
        """One page of files and whether more follow, ordered by creation time."""
        query = select(FileRow)
        if purpose is not None:
            query = query.where(FileRow.purpose == purpose)
        with session_scope(self._engine) as session:
            if after is not None:
                cursor = session.get(FileRow, after)
                if cursor is None:
                    raise _not_found(after)
                if order == "desc":
                    query = query.where(
                        or_(
                            FileRow.created_at < cursor.created_at,
                            and_(FileRow.created_at == cursor.created_at, FileRow.id < cursor.id),
                        )
                    )
                else:
                    query = query.where(
                        or_(
                            FileRow.created_at > cursor.created_at,
                            and_(FileRow.created_at == cursor.created_at, FileRow.id > cursor.id),
                        )
                    )
            if order == "desc":
                query = query.order_by(FileRow.created_at.desc(), FileRow.id.desc())
            else:
                query = query.order_by(FileRow.created_at.asc(), FileRow.id.asc())
            rows = session.scalars(query.limit(limit + 1)).all()
            return [_record(r) for r in rows[:limit]], len(rows) > limit

    def delete(self, file_id: str) -> None:
        """Forget ``file_id`` (:class:`NotFound` if unknown); its bytes stay in the store."""
        with session_scope(self._engine) as session:
            gone = session.execute(delete(FileRow).where(FileRow.id == file_id)).rowcount  # type: ignore[attr-defined]
            if not gone:
                raise _not_found(file_id)
