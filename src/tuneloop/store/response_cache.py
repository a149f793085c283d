"""The response cache table: model answers remembered under a key the evaluation layer computes.

Why in the database and not in files: a re-run of a suite on another machine pointed at the same
PostgreSQL — CI, a teammate — gets the same hits, and the cache is backed up and cleared with the
rest of the project's state. The store knows nothing about how keys are made (that is
:mod:`tuneloop.evaluate.cache`); it only reads and writes rows.

Writes are upserts (``INSERT … ON CONFLICT (key) DO UPDATE`` on SQLite and PostgreSQL), so two
runs racing to store the same answer never fail, and ``--refresh`` simply overwrites.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from tuneloop.store.engine import session_scope
from tuneloop.store.schema import ResponseCacheRow, utcnow

__all__ = ["CachedResponse", "CachedResponses"]

_CHUNK = 200  # rows per statement: well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class CachedResponse:
    """One remembered answer. ``latency_ms`` is how long the original call took."""

    key: str
    model: str
    output: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    created_at: datetime | None = None


def _record(row: ResponseCacheRow) -> CachedResponse:
    return CachedResponse(
        key=row.key,
        model=row.model,
        output=row.output,
        finish_reason=row.finish_reason,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        latency_ms=row.latency_ms,
        created_at=row.created_at,
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class CachedResponses:
    """Read and upsert cached responses by key."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, key: str) -> CachedResponse | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        """The cached responses among ``keys`` (missing keys are simply absent)."""
        wanted = sorted(set(keys))
        found: dict[str, CachedResponse] = {}
        with session_scope(self._engine) as session:
            for chunk in _chunks(wanted):
                rows = session.scalars(
                    select(ResponseCacheRow).where(ResponseCacheRow.key.in_(chunk))
                )
                found.update((row.key, _record(row)) for row in rows)
        return found

    def put_many(self, entries: Iterable[CachedResponse]) -> int:
        """Insert or overwrite ``entries`` in one transaction; return how many were written."""
        latest: dict[str, CachedResponse] = {e.key: e for e in entries}  # last one per key wins
        if not latest:
            return 0
        now = utcnow()
        rows = [
            {
                "key": e.key,
                "model": e.model,
                "output": e.output,
                "finish_reason": e.finish_reason,
                "prompt_tokens": e.prompt_tokens,
                "completion_tokens": e.completion_tokens,
                "latency_ms": float(e.latency_ms),
                "created_at": now,
            }
            for e in latest.values()
        ]
        with session_scope(self._engine) as session:
            for chunk in _chunks(rows):
                self._upsert(session, list(chunk))
        return len(rows)

    def _upsert(self, session: Session, rows: list[dict[str, Any]]) -> None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pg = pg_insert(ResponseCacheRow).values(rows)
            updates = {c: pg.excluded[c] for c in rows[0] if c != "key"}
            session.execute(pg.on_conflict_do_update(index_elements=["key"], set_=updates))
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            lite = sqlite_insert(ResponseCacheRow).values(rows)
            updates = {c: lite.excluded[c] for c in rows[0] if c != "key"}
            session.execute(lite.on_conflict_do_update(index_elements=["key"], set_=updates))
        else:  # another database: portable, if slower, merge by primary key
            for row in rows:
                session.merge(ResponseCacheRow(**row))

    def count(self) -> int:
        with session_scope(self._engine) as session:
            return int(session.scalar(select(func.count()).select_from(ResponseCacheRow)) or 0)

    def clear(self, *, model: str | None = None) -> int:
        """Delete every cached response (of ``model`` only, if given); return how many."""
        statement = delete(ResponseCacheRow)
        if model is not None:
            statement = statement.where(ResponseCacheRow.model == model)
        with session_scope(self._engine) as session:
            result = session.execute(statement)
            return int(getattr(result, "rowcount", 0) or 0)
