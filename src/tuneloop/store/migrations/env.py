"""Alembic environment: runs the revisions on the connection :mod:`tuneloop.store.migrate` passes.

Why no URL handling here: the caller already built the engine (with tuneloop's SQLite pragmas) and
opened the transaction, so this file only wires that connection to the models' metadata. Offline
(``--sql``) mode is not supported; the migrations are always run against a live database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from tuneloop.errors import MigrationError
from tuneloop.store.schema import Base


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise MigrationError(
            "tuneloop migrations need a live SQLAlchemy connection.",
            hint="Run them through tuneloop.store.migrate.upgrade(engine), not the alembic CLI.",
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only ALTER TABLE by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise MigrationError(
        "Offline (--sql) migrations are not supported.",
        hint="Run tuneloop.store.migrate.upgrade(engine) against the database instead.",
    )
run_migrations_online()
