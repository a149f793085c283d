"""Versioned models: numbered versions per model name, each with its lineage, and aliases.

A model version is what a fine-tuning run produced, recorded so that "where did this model come
from?" has an answer a year later: the base model, the dataset and prompt versions
(``seoul-qa@3``, ``seoul-guide@2``), the hyperparameters (seed included) and the job that made
it, plus how to serve it — ``backend`` and ``config``, exactly as for a ``tuneloop models add``
registration — and its servable ``model_id`` (``ft:smollm2-135m:tuneloop:seoul:abc123``).

Why immutable, like prompts and datasets: evaluations, served traffic and promotions refer to
``seoul-guide@3``; that only means something if version 3 is the same weights, config and lineage
forever. There is no API to change a version's identity or delete it. The one exception is
``metrics``: a model is registered when training ends, and evaluated *afterwards* (often several
times, by different suites). Metrics are observations about the version, not part of what it is,
so :meth:`ModelRegistry.update_metrics` merges new keys into them (never removing others, so two
evaluations writing different keys cannot erase each other).

Why aliases: clients, servers and configs name ``seoul-guide@production``, so a release — or a roll
back — moves the alias, not the code. Every move is recorded in ``model_alias_events`` with who,
when, from and to, which answers "what was production serving last Tuesday" and makes
:meth:`ModelRegistry.rollback` a one-liner.

References are those of every registry (:mod:`tuneloop.registry.refs`)::

    seoul-guide              the newest version        seoul-guide@latest   the same
    seoul-guide@3            version 3                 seoul-guide@v3       the same
    seoul-guide@production   whatever the alias production points at
    ft:smollm2-135m:tuneloop:seoul:abc123   the version with that model_id (get/resolve only)

Concurrency: every write is one transaction retried by
:func:`~tuneloop.store.engine.write_with_retry`; ``(name, version)`` and ``model_id`` are unique,
so two registrations racing for a number cannot both win.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tuneloop.errors import NotFound, RegistryError
from tuneloop.registry import refs
from tuneloop.registry.refs import LATEST
from tuneloop.store.engine import session_scope, write_with_retry
from tuneloop.store.schema import ModelAliasEventRow, ModelAliasRow, ModelVersionRow, utcnow

__all__ = [
    "DEFAULT_ALIAS",
    "ModelAlias",
    "ModelAliasEvent",
    "ModelRegistry",
    "ModelVersion",
    "Promotion",
    "parse_model_ref",
]

DEFAULT_ALIAS = "production"
"""The alias ``promote`` moves unless told otherwise."""

_MAX_MODEL_ID = 500
T = TypeVar("T")


@dataclass(frozen=True)
class ModelVersion:
    """One registered version: how to serve it (``backend``, ``config``) and where it came from."""

    name: str
    version: int
    model_id: str
    backend: str
    config: dict[str, Any]
    base_model: str
    job_id: str | None
    dataset_ref: str | None
    prompt_ref: str | None
    hyperparameters: dict[str, Any]
    metrics: dict[str, Any]
    artifacts: dict[str, Any]
    description: str
    author: str
    created_at: datetime

    @property
    def ref(self) -> str:
        """``name@version``: how evaluations, promotions and logs refer to this version."""
        return f"{self.name}@{self.version}"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (``created_at`` as ISO 8601), for ``--json`` and the server."""
        return {
            "name": self.name,
            "version": self.version,
            "ref": self.ref,
            "model_id": self.model_id,
            "backend": self.backend,
            "config": dict(self.config),
            "base_model": self.base_model,
            "job_id": self.job_id,
            "dataset_ref": self.dataset_ref,
            "prompt_ref": self.prompt_ref,
            "hyperparameters": dict(self.hyperparameters),
            "metrics": dict(self.metrics),
            "artifacts": dict(self.artifacts),
            "description": self.description,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ModelAlias:
    """Where ``alias`` of model ``name`` points now, and who moved it there last."""

    name: str
    alias: str
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class ModelAliasEvent:
    """One alias move: ``from_version`` is None when the alias was new, ``to_version`` is None when
    it was removed."""

    id: int
    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    at: datetime
    by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "at": self.at.isoformat(),
            "by": self.by,
        }


@dataclass(frozen=True)
class Promotion:
    """The result of moving an alias: where it points now, where it pointed before (None if it
    is new), and whether anything changed (promoting to the current version changes nothing)."""

    alias: ModelAlias
    previous: int | None
    changed: bool = field(default=True)


def parse_model_ref(ref: str) -> tuple[str, int | str]:
    """Split ``name[@selector]`` into the name and a version number, ``"latest"`` or an alias.

    Raises :class:`RegistryError` if ``ref`` is not of that form.
    """
    return refs.parse_ref(ref, kind="model", error=RegistryError)


def _check_alias(alias: str) -> None:
    if alias == LATEST:
        raise RegistryError(
            f"The alias {LATEST!r} is reserved: it always means the newest version.",
            hint="Pick another alias, e.g. production, staging or canary.",
            param="alias",
        )
    if not refs.LABEL_PATTERN.fullmatch(alias) or refs.VERSION_PATTERN.fullmatch(alias):
        raise RegistryError(
            f"Bad alias {alias!r}.",
            hint="Aliases are lowercase identifiers such as production, staging or canary: a "
            "letter, then letters, digits, - or _ (and not v<number>, which reads as a version).",
            param="alias",
        )


def _version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        model_id=row.model_id,
        backend=row.backend,
        config=dict(row.config),
        base_model=row.base_model,
        job_id=row.job_id,
        dataset_ref=row.dataset_ref,
        prompt_ref=row.prompt_ref,
        hyperparameters=dict(row.hyperparameters),
        metrics=dict(row.metrics),
        artifacts=dict(row.artifacts),
        description=row.description,
        author=row.author,
        created_at=row.created_at,
    )


def _alias(row: ModelAliasRow) -> ModelAlias:
    return ModelAlias(
        name=row.name,
        alias=row.alias,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _event(row: ModelAliasEventRow) -> ModelAliasEvent:
    return ModelAliasEvent(
        id=row.id,
        name=row.name,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        at=row.at,
        by=row.by,
    )


def _latest(session: Session, name: str) -> int:
    query = select(func.max(ModelVersionRow.version)).where(ModelVersionRow.name == name)
    return session.scalar(query) or 0


def _aliases(session: Session, name: str) -> dict[str, int]:
    rows = session.scalars(
        select(ModelAliasRow).where(ModelAliasRow.name == name).order_by(ModelAliasRow.alias)
    )
    return {row.alias: row.version for row in rows}


def _describe(session: Session, name: str) -> str:
    """What exists for ``name``, for hints: its versions and its aliases."""
    latest = _latest(session, name)
    versions = "version 1" if latest == 1 else f"versions 1 to {latest}"
    aliases = _aliases(session, name)
    shown = ", ".join(f"{alias} → {version}" for alias, version in aliases.items())
    return f"{name} has {versions}" + (f" and aliases {shown}." if aliases else " and no aliases.")


def _unknown_name(session: Session, name: str) -> NotFound:
    query = select(ModelVersionRow.name).distinct().order_by(ModelVersionRow.name).limit(21)
    names = list(session.scalars(query))
    if not names:
        hint = "No model version is registered yet; train one with `tuneloop train run FILE`."
    else:
        shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
        hint = f"Registered models: {shown}; see `tuneloop models versions NAME`."
    return NotFound(f"No model named {name!r} in the model registry.", hint=hint, param="name")


def _row(session: Session, name: str, version: int) -> ModelVersionRow | None:
    return session.scalar(
        select(ModelVersionRow).where(
            ModelVersionRow.name == name, ModelVersionRow.version == version
        )
    )


def _find(session: Session, name: str, selector: int | str) -> ModelVersionRow | None:
    """The row ``name`` + selector (number, ``latest`` or alias) names, or None."""
    if selector == LATEST:
        version = _latest(session, name)
    elif isinstance(selector, int):
        version = selector
    else:
        alias = session.get(ModelAliasRow, (name, selector))
        if alias is None:
            return None
        version = alias.version
    return _row(session, name, version)


def _by_model_id(session: Session, model_id: str) -> ModelVersionRow | None:
    return session.scalar(select(ModelVersionRow).where(ModelVersionRow.model_id == model_id))


class ModelRegistry:
    """The ``model_versions``, ``model_aliases`` and ``model_alias_events`` tables.

    Every method is its own transaction. Versions can be added, never changed (except their
    metrics, see the module docstring) or deleted.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- versions -----------------------------------------------------------------------------

    def register_version(
        self,
        name: str,
        *,
        model_id: str,
        backend: str,
        config: Mapping[str, Any],
        base_model: str,
        author: str,
        job_id: str | None = None,
        dataset_ref: str | None = None,
        prompt_ref: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        artifacts: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Record a trained model as the next version of ``name`` and return it.

        ``model_id`` is unique across all names: registering a ``model_id`` that ``name`` already
        has returns that version unchanged (a retried worker finishing the same job twice records
        one version); if another name has it, :class:`RegistryError`.
        """
        refs.check_name(name, kind="model", error=RegistryError)
        if not model_id.strip() or len(model_id) > _MAX_MODEL_ID:
            raise RegistryError(
                f"Bad model_id {model_id!r} for {name!r}.",
                hint=f"Give the servable id (1 to {_MAX_MODEL_ID} characters), e.g. "
                "ft:smollm2-135m:tuneloop:seoul:abc123.",
                param="model_id",
            )
        if not backend.strip():
            raise RegistryError(
                f"Model version {name!r} needs a backend.",
                hint="Use the backend that serves it, e.g. local or openai.",
                param="backend",
            )
        if not base_model.strip():
            raise RegistryError(
                f"Model version {name!r} needs its base model.",
                hint="Give the model it was fine-tuned from, e.g. smollm2-135m.",
                param="base_model",
            )

        def write(session: Session) -> ModelVersion:
            same = _by_model_id(session, model_id)
            if same is not None:
                if same.name != name:
                    raise RegistryError(
                        f"{model_id} is already registered as {same.name}@{same.version}.",
                        hint="A model_id names one version; register it under "
                        f"{same.name!r}, or give the new model its own id.",
                        param="model_id",
                    )
                return _version(same)
            row = ModelVersionRow(
                name=name,
                version=_latest(session, name) + 1,
                model_id=model_id,
                backend=backend,
                config=dict(config),
                base_model=base_model,
                job_id=job_id,
                dataset_ref=dataset_ref,
                prompt_ref=prompt_ref,
                hyperparameters=dict(hyperparameters or {}),
                metrics=dict(metrics or {}),
                artifacts=dict(artifacts or {}),
                description=description,
                author=author,
            )
            session.add(row)
            session.flush()
            return _version(row)

        return self._write(write, f"register model {name!r}")

    def get(self, ref: str) -> ModelVersion:
        """The version ``ref`` names: ``name``, ``name@3``, ``name@latest``, ``name@alias``, or a
        ``model_id`` (anything with a ``:``, such as ``ft:…``).

        Raises :class:`RegistryError` for a malformed ref and :class:`NotFound`, whose hint lists
        what exists, for an unknown name, version, alias or model_id.
        """
        if ":" in ref:
            found = self.find_by_model_id(ref)
            if found is None:
                raise NotFound(
                    f"No model version has the model_id {ref!r}.",
                    hint="See `tuneloop models versions NAME` for the registered ids.",
                    param="model",
                )
            return found
        name, selector = parse_model_ref(ref)
        with session_scope(self._engine) as session:
            row = _find(session, name, selector)
            if row is not None:
                return _version(row)
            if _latest(session, name) == 0:
                raise _unknown_name(session, name)
            if isinstance(selector, int):
                raise NotFound(
                    f"Model {name!r} has no version {selector}.",
                    hint=_describe(session, name),
                    param="ref",
                )
            raise NotFound(
                f"Model {name!r} has no alias {selector!r}.",
                hint=_describe(session, name)
                + f" Set it with `tuneloop models promote {name}@N --alias {selector}`.",
                param="ref",
            )

    def resolve(self, ref: str) -> ModelVersion | None:
        """Like :meth:`get`, but None instead of an error when ``ref`` is no model ref or names
        no version — for the model catalog, which tries several kinds of names in turn."""
        if ":" in ref:
            return self.find_by_model_id(ref)
        try:
            name, selector = parse_model_ref(ref)
        except RegistryError:
            return None
        with session_scope(self._engine) as session:
            row = _find(session, name, selector)
            return None if row is None else _version(row)

    def find_by_model_id(self, model_id: str) -> ModelVersion | None:
        """The version whose servable id is ``model_id``, if any."""
        with session_scope(self._engine) as session:
            row = _by_model_id(session, model_id)
            return None if row is None else _version(row)

    def find_by_job(self, job_id: str) -> builtins.list[ModelVersion]:
        """The versions a fine-tuning job produced (usually one), oldest first."""
        with session_scope(self._engine) as session:
            rows = session.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.job_id == job_id)
                .order_by(ModelVersionRow.id)
            )
            return [_version(row) for row in rows]

    def versions(self, name: str) -> builtins.list[ModelVersion]:
        """Every version of ``name``, oldest first; :class:`NotFound` if there is none."""
        with session_scope(self._engine) as session:
            rows = list(
                session.scalars(
                    select(ModelVersionRow)
                    .where(ModelVersionRow.name == name)
                    .order_by(ModelVersionRow.version)
                )
            )
            if not rows:
                raise _unknown_name(session, name)
            return [_version(row) for row in rows]

    def names(self) -> builtins.list[str]:
        """Every model name with at least one version, sorted."""
        with session_scope(self._engine) as session:
            query = select(ModelVersionRow.name).distinct().order_by(ModelVersionRow.name)
            return list(session.scalars(query))

    def latest(self) -> builtins.list[ModelVersion]:
        """The newest version of every model name, sorted by name."""
        newest = (
            select(ModelVersionRow.name, func.max(ModelVersionRow.version).label("v"))
            .group_by(ModelVersionRow.name)
            .subquery()
        )
        query = (
            select(ModelVersionRow)
            .join(
                newest,
                (ModelVersionRow.name == newest.c.name) & (ModelVersionRow.version == newest.c.v),
            )
            .order_by(ModelVersionRow.name)
        )
        with session_scope(self._engine) as session:
            return [_version(row) for row in session.scalars(query)]

    def all(self) -> builtins.list[ModelVersion]:
        """Every version of every model, by name then version (for catalog listings)."""
        query = select(ModelVersionRow).order_by(ModelVersionRow.name, ModelVersionRow.version)
        with session_scope(self._engine) as session:
            return [_version(row) for row in session.scalars(query)]

    def update_metrics(self, ref: str, metrics: Mapping[str, Any]) -> ModelVersion:
        """Merge ``metrics`` into the version ``ref`` names (new keys added, equal keys replaced,
        others kept) and return the version. The only change a version ever accepts; see the
        module docstring for why."""
        target = self.get(ref)

        def write(session: Session) -> ModelVersion:
            row = session.scalar(
                select(ModelVersionRow)
                .where(
                    ModelVersionRow.name == target.name,
                    ModelVersionRow.version == target.version,
                )
                .with_for_update()
            )
            assert row is not None  # versions are never deleted
            row.metrics = {**row.metrics, **dict(metrics)}
            session.flush()
            return _version(row)

        return self._write(write, f"update metrics of {target.ref}")

    # -- aliases ------------------------------------------------------------------------------

    def aliases(self, name: str) -> dict[str, int]:
        """``{alias: version}`` for ``name``, sorted by alias; :class:`NotFound` for an unknown
        name."""
        with session_scope(self._engine) as session:
            if _latest(session, name) == 0:
                raise _unknown_name(session, name)
            return _aliases(session, name)

    def all_aliases(self) -> builtins.list[ModelAlias]:
        """Every alias of every model, by name then alias (for catalog listings)."""
        query = select(ModelAliasRow).order_by(ModelAliasRow.name, ModelAliasRow.alias)
        with session_scope(self._engine) as session:
            return [_alias(row) for row in session.scalars(query)]

    def set_alias(self, name: str, alias: str, version: int, *, by: str) -> Promotion:
        """Point ``alias`` of ``name`` at ``version`` (creating or moving it) and record the move.

        Pointing it at the version it already has changes and records nothing
        (``changed=False``). Raises :class:`RegistryError` for a bad or reserved alias
        (``latest``) and :class:`NotFound` for an unknown name or version.
        """
        refs.check_name(name, kind="model", error=RegistryError)
        _check_alias(alias)

        def write(session: Session) -> Promotion:
            if _row(session, name, version) is None:
                if _latest(session, name) == 0:
                    raise _unknown_name(session, name)
                raise NotFound(
                    f"Model {name!r} has no version {version}.",
                    hint=_describe(session, name),
                    param="version",
                )
            row = session.get(ModelAliasRow, (name, alias), with_for_update=True)
            if row is not None and row.version == version:
                return Promotion(_alias(row), previous=version, changed=False)
            previous = None if row is None else row.version
            now = utcnow()
            if row is None:
                row = ModelAliasRow(name=name, alias=alias)
                session.add(row)
            row.version = version
            row.updated_at = now
            row.updated_by = by
            session.add(
                ModelAliasEventRow(
                    name=name, alias=alias, from_version=previous, to_version=version, at=now, by=by
                )
            )
            session.flush()
            return Promotion(_alias(row), previous=previous)

        return self._write(write, f"alias {name!r} {alias!r}")

    def promote(self, ref: str, alias: str = DEFAULT_ALIAS, *, by: str) -> Promotion:
        """Point ``alias`` (production by default) at the version ``ref`` names — ``name@3``,
        ``name@staging`` (promote what staging has), ``name`` (the newest) or a model_id."""
        _check_alias(alias)
        target = self.get(ref)
        return self.set_alias(target.name, alias, target.version, by=by)

    def rollback(self, name: str, alias: str = DEFAULT_ALIAS, *, by: str) -> Promotion:
        """Undo the last move of ``alias``: point it back where it was before (recorded as a move
        of its own, so a second roll back undoes the first).

        Raises :class:`NotFound` if the alias is not set and :class:`RegistryError` if it has
        no earlier version to go back to.
        """
        with session_scope(self._engine) as session:
            current = session.get(ModelAliasRow, (name, alias))
            if current is None:
                if _latest(session, name) == 0:
                    raise _unknown_name(session, name)
                raise NotFound(
                    f"Model {name!r} has no alias {alias!r} to roll back.",
                    hint=_describe(session, name),
                    param="alias",
                )
            last = session.scalar(
                select(ModelAliasEventRow)
                .where(ModelAliasEventRow.name == name, ModelAliasEventRow.alias == alias)
                .order_by(ModelAliasEventRow.id.desc())
                .limit(1)
            )
            previous = None if last is None else last.from_version
        if previous is None:
            raise RegistryError(
                f"{name}@{alias} never pointed anywhere else; there is nothing to roll back to.",
                hint=f"Promote a version explicitly: `tuneloop models promote {name}@N "
                f"--alias {alias}`.",
                param="alias",
            )
        return self.set_alias(name, alias, previous, by=by)

    def remove_alias(self, name: str, alias: str, *, by: str) -> ModelAlias:
        """Remove ``alias`` from ``name``, record it, and return where it pointed.

        Raises :class:`NotFound` if the alias is not set.
        """
        refs.check_name(name, kind="model", error=RegistryError)

        def write(session: Session) -> ModelAlias:
            row = session.get(ModelAliasRow, (name, alias), with_for_update=True)
            if row is None:
                if _latest(session, name) == 0:
                    raise _unknown_name(session, name)
                raise NotFound(
                    f"Model {name!r} has no alias {alias!r}.",
                    hint=_describe(session, name),
                    param="alias",
                )
            removed = _alias(row)
            session.delete(row)
            session.add(
                ModelAliasEventRow(
                    name=name, alias=alias, from_version=removed.version, to_version=None, by=by
                )
            )
            return removed

        return self._write(write, f"remove alias {name!r} {alias!r}")

    def alias_history(self, name: str, alias: str | None = None) -> builtins.list[ModelAliasEvent]:
        """The recorded moves of ``name``'s aliases (or just ``alias``), oldest first."""
        query = select(ModelAliasEventRow).where(ModelAliasEventRow.name == name)
        if alias is not None:
            query = query.where(ModelAliasEventRow.alias == alias)
        with session_scope(self._engine) as session:
            return [_event(row) for row in session.scalars(query.order_by(ModelAliasEventRow.id))]

    def _write(self, work: Callable[[Session], T], what: str) -> T:
        return write_with_retry(self._engine, work, what)
