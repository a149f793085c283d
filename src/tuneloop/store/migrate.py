"""Run the schema migrations shipped inside the package, from code.

Why programmatic Alembic: users install a wheel, not a source checkout, so there is no
``alembic.ini`` to point at. We build the Alembic :class:`~alembic.config.Config` here with
``script_location`` set to the ``migrations`` folder next to this file, and hand Alembic an open
connection through ``config.attributes["connection"]`` — the engine keeps tuneloop's SQLite
pragmas, and the whole upgrade runs in one transaction (PostgreSQL and, through our engine setup,
SQLite both roll DDL back), so a failed migration leaves the database at the revision it started.

Failures surface as :class:`~tuneloop.errors.MigrationError` with a hint; a database that cannot be
reached surfaces as :class:`~tuneloop.errors.StoreError` naming the (password-masked) URL.

New revision (developers): ``new_revision("add runs table")`` writes a file under
``migrations/versions/``; fill in ``upgrade`` and ``downgrade`` by hand.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tuneloop.errors import MigrationError, StoreError
from tuneloop.store.engine import connect, masked_url

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "new_revision",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for tuneloop's migrations, optionally bound to ``connection``."""
    config = Config()
    # Config values go through ConfigParser interpolation, so a literal % must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this version of tuneloop knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise MigrationError("No migrations found.", hint=f"Reinstall tuneloop ({MIGRATIONS_DIR}).")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; ``None`` for an empty (never migrated) database."""
    with connect(engine) as conn:
        try:
            return MigrationContext.configure(conn).get_current_revision()
        except SQLAlchemyError as exc:
            raise MigrationError(
                f"Cannot read the schema revision of {masked_url(engine.url)}: {exc}",
                hint="Is this a tuneloop database? Point database_url at one, or at an empty one.",
            ) from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database forward to ``revision`` (default: the newest)."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (``"base"`` drops every tuneloop table)."""
    _run(engine, "downgrade", revision)


def new_revision(message: str) -> Path:
    """Create an empty revision file after the current head; return its path."""
    script = command.revision(alembic_config(), message=message)
    if script is None or isinstance(script, list):  # pragma: no cover - not with one head
        raise MigrationError("Alembic did not create exactly one revision.")
    return Path(script.path)


def _run(engine: Engine, direction: str, revision: str) -> None:
    shown = masked_url(engine.url)
    with connect(engine, begin=True) as conn:
        config = alembic_config(conn)
        try:
            if direction == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
        except StoreError:
            raise
        except CommandError as exc:
            raise MigrationError(
                f"Cannot {direction} {shown} to revision {revision!r}: {exc}.",
                hint=f"This tuneloop knows revisions up to {head_revision()!r}; if the database "
                "was migrated by a newer tuneloop, upgrade tuneloop (pip install -U tuneloop).",
            ) from exc
        except SQLAlchemyError as exc:
            raise MigrationError(
                f"Migration {direction} to {revision!r} failed on {shown}: {exc}",
                hint="Nothing was changed (the migration runs in one transaction). Check that "
                "the database user may create and alter tables, and that no other tool owns "
                "tables with tuneloop's names.",
            ) from exc
