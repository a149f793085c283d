"""Projects: the named scopes other records (runs, dataset versions) will hang off.

Why get-or-create: every command that touches the store runs in some project, and the first one
to run must not have to create it explicitly; :meth:`Projects.ensure` is safe to call every time,
also from concurrent processes.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from tuneloop.errors import StoreError
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import Project

__all__ = ["ProjectRecord", "Projects"]


@dataclass(frozen=True)
class ProjectRecord:
    id: int
    name: str
    created_at: datetime


def _record(row: Project) -> ProjectRecord:
    return ProjectRecord(id=row.id, name=row.name, created_at=row.created_at)


class Projects:
    """The ``projects`` table; every method is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, name: str) -> ProjectRecord | None:
        with session_scope(self._engine) as session:
            row = session.scalar(select(Project).where(Project.name == name))
            return None if row is None else _record(row)

    def ensure(self, name: str) -> ProjectRecord:
        """The project called ``name``, created now if it does not exist yet."""
        found = self.get(name)
        if found is not None:
            return found
        try:
            with session_scope(self._engine) as session:
                row = Project(name=name)
                session.add(row)
                session.flush()
                return _record(row)
        except IntegrityError:
            # Created by another writer between our lookup and our insert.
            raced = self.get(name)
            if raced is None:  # pragma: no cover - the unique constraint says it exists
                raise StoreError(f"Cannot create project {name!r}.") from None
            return raced

    def list(self) -> builtins.list[ProjectRecord]:
        """All projects, by name."""
        with session_scope(self._engine) as session:
            return [_record(row) for row in session.scalars(select(Project).order_by(Project.name))]
