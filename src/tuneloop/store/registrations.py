"""Model registrations: a name bound to a backend and its configuration.

Why in the database: ``tuneloop serve`` and the CLI must agree on which model names exist (a
fine-tuned adapter registered from the CLI becomes servable by name), including across processes
and machines when the database is PostgreSQL. The backend string names a ``ChatModel`` plugin; the
config is that plugin's JSON-able settings, stored as given.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from tuneloop.errors import ModelNotFound, RegistryError
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import ModelRegistrationRow

__all__ = ["ModelRegistration", "Registrations"]


@dataclass(frozen=True)
class ModelRegistration:
    id: int
    name: str
    backend: str
    created_at: datetime
    config: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def _record(row: ModelRegistrationRow) -> ModelRegistration:
    return ModelRegistration(
        id=row.id,
        name=row.name,
        backend=row.backend,
        created_at=row.created_at,
        config=dict(row.config),
        description=row.description,
    )


def _duplicate(name: str) -> RegistryError:
    return RegistryError(
        f"A model named {name!r} is already registered.",
        hint="Pick another name, remove the old one first, or pass replace=True "
        "(`--replace` on the CLI) to overwrite it.",
        param="name",
    )


class Registrations:
    """The ``model_registrations`` table; every method is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def register(
        self,
        name: str,
        backend: str,
        config: Mapping[str, Any],
        description: str = "",
        *,
        replace: bool = False,
    ) -> ModelRegistration:
        """Register ``name``; :class:`RegistryError` if it exists, unless ``replace=True``.

        Replacing keeps the registration's id and creation time and overwrites the rest.
        """
        try:
            with session_scope(self._engine) as session:
                row = session.scalar(
                    select(ModelRegistrationRow).where(ModelRegistrationRow.name == name)
                )
                if row is not None and not replace:
                    raise _duplicate(name)
                if row is None:
                    row = ModelRegistrationRow(name=name)
                    session.add(row)
                row.backend = backend
                row.config = dict(config)
                row.description = description
                session.flush()
                return _record(row)
        except IntegrityError as exc:
            # Another writer registered the same name between our check and our insert.
            raise _duplicate(name) from exc

    def get(self, name: str) -> ModelRegistration | None:
        with session_scope(self._engine) as session:
            row = session.scalar(
                select(ModelRegistrationRow).where(ModelRegistrationRow.name == name)
            )
            return None if row is None else _record(row)

    def list(self) -> builtins.list[ModelRegistration]:
        """All registrations, by name."""
        with session_scope(self._engine) as session:
            rows = session.scalars(select(ModelRegistrationRow).order_by(ModelRegistrationRow.name))
            return [_record(row) for row in rows]

    def remove(self, name: str) -> None:
        """Forget ``name``; :class:`~tuneloop.errors.ModelNotFound` (a NotFound) if absent."""
        with session_scope(self._engine) as session:
            row = session.scalar(
                select(ModelRegistrationRow).where(ModelRegistrationRow.name == name)
            )
            if row is None:
                raise ModelNotFound(
                    f"No model registered as {name!r}.",
                    hint="`tuneloop models list` shows the registered names.",
                    param="name",
                )
            session.delete(row)
