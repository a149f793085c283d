"""Engines, connections and transactions for SQLite and PostgreSQL.

Why a factory instead of bare ``create_engine``: SQLite needs per-connection setup to behave like a
real database — foreign keys are off by default, WAL lets readers run during a write (the server
reads API keys while a CLI writes), and Python's ``sqlite3`` module would otherwise open
transactions lazily and commit DDL on its own, so a failed migration or an exception in
:func:`session_scope` could leave half its work behind. We hand transaction control to SQLAlchemy
(``isolation_level = None`` plus an explicit ``BEGIN``), SQLAlchemy's documented recipe.

Why :func:`connect`: "cannot connect" is the most common store failure (PostgreSQL not started,
wrong port, missing folder). It becomes one :class:`~tuneloop.errors.StoreError` naming the URL —
password masked — and what to do, instead of a driver traceback.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session

from tuneloop.errors import StoreError

__all__ = [
    "cannot_connect",
    "connect",
    "make_engine",
    "masked_url",
    "session_scope",
    "write_with_retry",
]

T = TypeVar("T")
_MAX_ATTEMPTS = 30

PG_START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def masked_url(url: str | URL) -> str:
    """``url`` as text with any password replaced by ``***`` — safe for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _parse(url: str | URL) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"Not a database URL: {url!r}.",
            hint="Use sqlite:///path/to/tuneloop.db or postgresql+psycopg://user@host:5432/db "
            "(setting database_url / TUNELOOP_DATABASE_URL).",
        ) from exc


def _sqlite_file(url: URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(db)


def make_engine(url: str | URL) -> Engine:
    """An engine for ``url``; for a SQLite file, also create its folder and set the pragmas."""
    parsed = _parse(url)
    connect_args: dict[str, Any] = {}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        connect_args["check_same_thread"] = False
        connect_args["timeout"] = 30  # seconds a writer waits for the lock (busy timeout)
        db_file = _sqlite_file(parsed)
        if db_file is not None:
            try:
                db_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"Cannot create the folder for the SQLite database {db_file}: {exc}.",
                    hint="Point database_url at a writable location.",
                ) from exc
    elif parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10
    try:
        engine = create_engine(parsed, connect_args=connect_args)
    except NoSuchModuleError as exc:
        raise StoreError(
            f"Unsupported database URL {masked_url(parsed)}: {exc}.",
            hint="Use sqlite:///… or postgresql+psycopg://… (psycopg 3).",
        ) from exc
    if is_sqlite:
        _configure_sqlite(engine, wal=_sqlite_file(parsed) is not None)
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not sqlite3, decides on BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front. A plain (deferred) BEGIN that reads and then
        # writes fails at once with "database is locked" when another writer got in between —
        # SQLite cannot wait there — which concurrent server requests hit (API-key last-use
        # updates). With IMMEDIATE, writers queue on the busy timeout instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def cannot_connect(url: str | URL, exc: BaseException) -> StoreError:
    """The error to raise when the database at ``url`` cannot be reached."""
    shown = masked_url(url)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        backend = ""
    if backend == "postgresql":
        hint = (
            f"Check that PostgreSQL is running and accepts this user and database (start it with "
            f"`{PG_START_HINT}` or `systemctl start postgresql`), or fix database_url / "
            "TUNELOOP_DATABASE_URL."
        )
    elif backend == "sqlite":
        hint = "Check that the database file and its folder exist and are writable."
    else:
        hint = "Check the database server and the database_url setting."
    return StoreError(f"Cannot connect to the database at {shown}: {reason}", hint=hint)


@contextmanager
def connect(engine: Engine, *, begin: bool = False) -> Iterator[Connection]:
    """A connection (in one transaction if ``begin``), with connect failures as StoreError."""
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise cannot_connect(engine.url, exc) from exc
    with conn:
        if begin:
            with conn.begin():
                yield conn
        else:
            yield conn


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One ORM session = one transaction: commit if the block succeeds, roll back if it raises.

    ``expire_on_commit=False`` so values read inside the block stay readable after it.
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def _retryable(exc: DBAPIError) -> bool:
    """A write that lost a race: retrying the whole transaction can succeed."""
    if isinstance(exc, IntegrityError):
        return True
    sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int) and sqlite_code & 0xFF == 5:  # SQLITE_BUSY, BUSY_SNAPSHOT …
        return True
    return getattr(exc.orig, "sqlstate", None) in {"40001", "40P01"}


def write_with_retry(engine: Engine, work: Callable[[Session], T], what: str) -> T:
    """Run ``work`` in one transaction, retrying from the start when it lost a race.

    Why: registries number versions with ``max + 1`` under a unique constraint. Two writers racing
    for the same number cannot both win; the loser's transaction is rolled back and rerun, where it
    sees the winner's row. SQLite's "database is locked" and PostgreSQL's serialization failures
    are retried the same way. ``work`` must therefore be safe to run more than once.
    """
    for attempt in range(_MAX_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return work(session)
        except DBAPIError as exc:
            if not _retryable(exc):
                raise
            if attempt == _MAX_ATTEMPTS - 1:
                raise StoreError(
                    f"Could not {what}: {_MAX_ATTEMPTS} attempts lost to concurrent writers.",
                    hint="Try again; if it keeps happening, another process is holding the "
                    "database busy.",
                ) from exc
            time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover
