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
back — moves the alias, not the code. Aliases, their history and their protection are the
registry core's (:mod:`tuneloop.registry.core`): ``production`` (or whatever
``[registry] protected_aliases`` lists) moves only with a stored, passing gate of the new version
against the alias's current one, or with ``force`` and a reason.

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tuneloop.errors import BadReference, UnknownReference
from tuneloop.registry import refs
from tuneloop.registry.core import AliasMove, AliasPolicy, KindInfo, Versioned
from tuneloop.registry.refs import Ref
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import ModelVersionRow

__all__ = [
    "DEFAULT_ALIAS",
    "ModelRegistry",
    "ModelVersion",
    "parse_model_ref",
]

DEFAULT_ALIAS = "production"
"""The alias ``promote`` moves unless told otherwise."""

_MAX_MODEL_ID = 500

INFO = KindInfo(
    kind="model",
    create_hint="No model version is registered yet; train one with `tuneloop train run FILE`.",
    list_command="tuneloop models versions NAME",
    alias_command="tuneloop models promote {name}@{version} --to {alias}",
)


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


def parse_model_ref(ref: str) -> tuple[str, int | str]:
    """Split ``name[@selector]`` into the name and a version number, ``"latest"`` or an alias.

    Raises :class:`~tuneloop.errors.BadReference` if ``ref`` is not of that form.
    """
    parsed = refs.parse_ref(ref, kind="model")
    return parsed.name, parsed.selector


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


def _by_model_id(session: Session, model_id: str) -> ModelVersionRow | None:
    return session.scalar(select(ModelVersionRow).where(ModelVersionRow.model_id == model_id))


class ModelRegistry(Versioned[ModelVersionRow, ModelVersion]):
    """The ``model_versions`` table plus the model rows of ``aliases`` / ``alias_events``.

    Every method is its own transaction. Versions can be added, never changed (except their
    metrics, see the module docstring) or deleted. ``policy`` says which aliases are protected
    and where gate evidence is stored; without one no alias is protected.
    """

    def __init__(self, engine: Engine, policy: AliasPolicy | None = None) -> None:
        super().__init__(engine, ModelVersionRow, _version, INFO, policy)

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
        """Record a trained model as the next version of ``name`` and return it. Never moves an
        alias: that is :meth:`promote`'s job, behind the gate.

        ``model_id`` is unique across all names: registering a ``model_id`` that ``name`` already
        has returns that version unchanged (a retried worker finishing the same job twice records
        one version); if another name has it, :class:`BadReference`.
        """
        refs.check_name(name, kind="model")
        if not model_id.strip() or len(model_id) > _MAX_MODEL_ID:
            raise BadReference(
                f"Bad model_id {model_id!r} for {name!r}.",
                hint=f"Give the servable id (1 to {_MAX_MODEL_ID} characters), e.g. "
                "ft:smollm2-135m:tuneloop:seoul:abc123.",
                param="model_id",
            )
        if not backend.strip():
            raise BadReference(
                f"Model version {name!r} needs a backend.",
                hint="Use the backend that serves it, e.g. local or openai.",
                param="backend",
            )
        if not base_model.strip():
            raise BadReference(
                f"Model version {name!r} needs its base model.",
                hint="Give the model it was fine-tuned from, e.g. smollm2-135m.",
                param="base_model",
            )

        def write(session: Session) -> ModelVersion:
            same = _by_model_id(session, model_id)
            if same is not None:
                if same.name != name:
                    raise BadReference(
                        f"{model_id} is already registered as {same.name}@{same.version}.",
                        hint="A model_id names one version; register it under "
                        f"{same.name!r}, or give the new model its own id.",
                        param="model_id",
                    )
                return _version(same)
            row = ModelVersionRow(
                name=name,
                version=self._latest_number(session, name) + 1,
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

    def get(self, ref: str | Ref) -> ModelVersion:
        """The version ``ref`` names: ``name``, ``name@3``, ``name@latest``, ``name@alias``, or a
        ``model_id`` (anything with a ``:``, such as ``ft:…``).

        Raises :class:`BadReference` for a malformed ref and :class:`UnknownReference`, whose
        hint lists what exists, for an unknown name, version, alias or model_id.
        """
        if isinstance(ref, str) and ":" in ref:
            found = self.find_by_model_id(ref)
            if found is None:
                raise UnknownReference(
                    f"No model version has the model_id {ref!r}.",
                    hint="See `tuneloop models versions NAME` for the registered ids.",
                    param="model",
                )
            return found
        return super().get(ref)

    def resolve(self, ref: str) -> ModelVersion | None:
        """Like :meth:`get`, but None instead of an error when ``ref`` is no model ref or names
        no version — for the model catalog, which tries several kinds of names in turn."""
        if ":" in ref:
            return self.find_by_model_id(ref)
        return super().resolve(ref)

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

    def promote(
        self,
        ref: str,
        alias: str = DEFAULT_ALIAS,
        *,
        by: str,
        reason: str = "",
        force: bool = False,
    ) -> AliasMove:
        """Point ``alias`` (production by default) at the version ``ref`` names — ``name@3``,
        ``name@staging`` (promote what staging has), ``name`` (the newest) or a model_id —
        through the gate rule of :meth:`set_alias`."""
        refs.check_alias(alias)
        target = self.get(ref)
        return self.set_alias(target.name, alias, target.version, by=by, reason=reason, force=force)
