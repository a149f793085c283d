"""tuneloop's storage layer: one database (SQLite or PostgreSQL) plus a content-addressed folder.

Why one facade: the CLI and the server open the store the same way —
``Store.from_settings(settings)`` — and get every table's API from it, already migrated to the
schema this version of tuneloop expects. Records handed out are frozen dataclasses, not ORM objects,
so they are safe to keep after the transaction, to pass between threads and to serialise.

::

    with Store.from_settings(settings) as store:
        record, key = store.keys.create("ci")
        store.registrations.register("support-bot", "transformers", {"path": "..."})
        artifact = store.artifacts.put_bytes(b"...", media_type="application/jsonl")

The versioned registries (prompts, datasets, models) build on this store and are not part of it —
the store never imports :mod:`tuneloop.registry`, so the two form no cycle. Open
:class:`tuneloop.registry.Store`, this class plus ``prompts``, ``datasets`` and ``models``, where
they are needed (the CLI, the server and the worker do).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.orm import Session

from tuneloop.store.artifacts import ArtifactRecord, ArtifactStore
from tuneloop.store.engine import connect, make_engine, masked_url, session_scope
from tuneloop.store.eval_runs import EvalRuns
from tuneloop.store.files import Files
from tuneloop.store.gate_results import GateRecord, GateResults
from tuneloop.store.keys import ApiKeyRecord, ApiKeys
from tuneloop.store.migrate import current_revision, downgrade, head_revision, upgrade
from tuneloop.store.model_routes import ModelRoute, ModelRoutes
from tuneloop.store.projects import ProjectRecord, Projects
from tuneloop.store.prompt_runs import PromptRuns
from tuneloop.store.registrations import ModelRegistration, Registrations
from tuneloop.store.response_cache import CachedResponses
from tuneloop.store.train_jobs import TrainJobs

if TYPE_CHECKING:
    from tuneloop.config import Settings

__all__ = [
    "ApiKeyRecord",
    "ApiKeys",
    "ArtifactRecord",
    "ArtifactStore",
    "GateRecord",
    "GateResults",
    "ModelRegistration",
    "ModelRoute",
    "ModelRoutes",
    "ProjectRecord",
    "Projects",
    "Registrations",
    "Store",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "session_scope",
    "upgrade",
]


class Store:
    """The database at ``url`` plus the artifact folder ``artifact_dir``.

    With ``migrate=True`` (the default) opening upgrades the schema to the newest revision, so a
    fresh URL just works; pass ``migrate=False`` where a separate step owns migrations. Raises
    :class:`~tuneloop.errors.StoreError` if the database cannot be reached and
    :class:`~tuneloop.errors.MigrationError` if it cannot be migrated.
    """

    def __init__(self, url: str, artifact_dir: str | Path, *, migrate: bool = True) -> None:
        self.url = url
        self.artifact_dir = Path(artifact_dir)
        self.engine = make_engine(url)
        try:
            if migrate:
                upgrade(self.engine)
            else:
                with connect(self.engine):
                    pass
        except BaseException:
            self.engine.dispose()
            raise
        self.keys = ApiKeys(self.engine)
        self.registrations = Registrations(self.engine)
        self.artifacts = ArtifactStore(self.engine, self.artifact_dir)
        self.projects = Projects(self.engine)
        self.prompt_runs = PromptRuns(self.engine)
        self.eval_runs = EvalRuns(self.engine)
        self.response_cache = CachedResponses(self.engine)
        self.files = Files(self.engine, self.artifacts)
        self.train_jobs = TrainJobs(self.engine)
        self.gate_results = GateResults(self.engine)
        self.model_routes = ModelRoutes(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Store:
        """The store a project's settings point at (``database_url``, ``artifact_dir``)."""
        return cls(settings.resolved_database_url, settings.resolved_artifact_dir, migrate=migrate)

    def session(self) -> AbstractContextManager[Session]:
        """An ORM session in one transaction: committed on success, rolled back on error."""
        return session_scope(self.engine)

    def close(self) -> None:
        """Close every pooled connection; the store is unusable afterwards."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({masked_url(self.url)!r}, {str(self.artifact_dir)!r})"
