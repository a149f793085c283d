"""Model routes: a served model name answered by another model reference, looked up per request.

Why a table of its own (and not a registration or an alias): an application that used OpenAI
keeps sending ``model="ft:gpt-4o-mini-2024-07-18:acme:support:AbC123"`` after it moves to
tuneloop (``tuneloop migrate openai switch``). That name must reach *whatever*
``support@production`` is at the moment of the request, so that a promote or a roll back
changes what the old name answers without restarting the server or editing the application.
A registration binds a name to fixed weights; an alias moves between versions of *one* registry
name. A route binds an arbitrary served name to a reference (``support@production``,
``support@3``, a registered model) that the model catalog resolves on every request — and it is
general enough for the gateway to reuse (names clients know → what answers them).

The store only keeps the rows (one per routed name, replaced in place, with who set it and why);
checking that a target exists is the catalog's job (:mod:`tuneloop.models.routes`), because only
the catalog knows every kind of model name.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tuneloop.errors import BadReference, NotFound
from tuneloop.store.engine import session_scope, write_with_retry
from tuneloop.store.schema import ModelRouteRow, utcnow

__all__ = ["MAX_NAME", "MAX_TARGET", "ModelRoute", "ModelRoutes"]

MAX_NAME = 500
MAX_TARGET = 300


@dataclass(frozen=True)
class ModelRoute:
    """``name`` (what clients send) is answered by ``target`` (resolved per request)."""

    name: str
    target: str
    note: str
    by: str
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "target": self.target,
            "note": self.note,
            "by": self.by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _route(row: ModelRouteRow) -> ModelRoute:
    return ModelRoute(
        name=row.name,
        target=row.target,
        note=row.note,
        by=row.by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check(value: str, limit: int, what: str) -> None:
    if not value.strip() or len(value) > limit or value != value.strip():
        raise BadReference(
            f"Bad route {what} {value!r}: it must be 1 to {limit} characters without "
            "surrounding spaces.",
            hint="Route the exact model name clients send, e.g. "
            "ft:gpt-4o-mini-2024-07-18:acme:support:AbC123 → support@production.",
            param=what,
        )


class ModelRoutes:
    """The ``model_routes`` table; every method is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def set(self, name: str, target: str, *, by: str, note: str = "") -> tuple[ModelRoute, bool]:
        """Route ``name`` to ``target`` (creating or replacing the route); return it and whether
        anything changed (setting the same target again changes nothing)."""
        _check(name, MAX_NAME, "name")
        _check(target, MAX_TARGET, "target")
        if name == target:
            raise BadReference(
                f"A route from {name!r} to itself would never answer.",
                hint="Route the name to another model reference, e.g. support@production.",
                param="target",
            )

        def write(session: Session) -> tuple[ModelRoute, bool]:
            row = session.get(ModelRouteRow, name, with_for_update=True)
            if row is not None and row.target == target:
                return _route(row), False
            now = utcnow()
            if row is None:
                row = ModelRouteRow(name=name, created_at=now)
                session.add(row)
            row.target = target
            row.note = note.strip()
            row.by = by
            row.updated_at = now
            session.flush()
            return _route(row), True

        return write_with_retry(self._engine, write, f"route {name!r}")

    def get(self, name: str) -> ModelRoute | None:
        """The route of ``name``, if there is one (the catalog asks on every request)."""
        if len(name) > MAX_NAME:
            return None
        with session_scope(self._engine) as session:
            row = session.get(ModelRouteRow, name)
            return None if row is None else _route(row)

    def list(self) -> builtins.list[ModelRoute]:
        """Every route, by name."""
        with session_scope(self._engine) as session:
            rows = session.scalars(select(ModelRouteRow).order_by(ModelRouteRow.name))
            return [_route(row) for row in rows]

    def remove(self, name: str) -> ModelRoute:
        """Delete the route of ``name`` and return it; :class:`NotFound` if there is none."""
        with session_scope(self._engine) as session:
            row = session.get(ModelRouteRow, name)
            if row is None:
                raise NotFound(
                    f"No route for {name!r}.",
                    hint="`tuneloop models route list` shows the routes.",
                    param="name",
                )
            removed = _route(row)
            session.delete(row)
            return removed
