"""Versions of the things the loop produces and consumes, and the aliases that pick one.

A version is immutable and referred to as ``name@version``; an alias (production, staging …) is a
movable pointer to a version, so a release or a roll back moves an alias instead of changing code.
Prompts, datasets and models are three kinds of one versioned core (:mod:`.core`): the same
latest / get / versions / aliases / set_alias / remove_alias / rollback / alias_history, the same
reference syntax (:mod:`.refs`, which also parses data references such as
``seoul-qa@production:train``), one alias table, and one error for a bad reference
(:class:`~tuneloop.errors.BadReference`). A kind adds only its own: how a version is pushed and
what it holds (:mod:`.prompts`, :mod:`.datasets`, :mod:`.models`, :mod:`.indexes`).

Protected aliases (``production`` unless ``[registry] protected_aliases`` says otherwise) move only
through a gate: a stored, passing ``store.gate_results`` record that compared the new model
version with the alias's current one, or ``force`` with a reason; see :mod:`.core`.

Layering: the registry builds on :mod:`tuneloop.store` (tables, engine, artifacts, gate results);
the store never imports the registry. :class:`Store` here is the store *with* its registries —
what the CLI, the server and the worker open::

    with Store.from_settings(settings) as store:
        version, created = store.prompts.push("support", yaml_text, author="kim")
        dataset, created = store.datasets.push("seoul-qa", {"train": "train.jsonl"}, author="kim")
        store.models.promote("seoul-guide@3", "production", by="kim")   # needs a gate
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from tuneloop.registry.core import (
    DEFAULT_PROTECTED,
    Alias,
    AliasEvent,
    AliasMove,
    AliasPolicy,
    Versioned,
)
from tuneloop.registry.datasets import DatasetRegistry, DatasetSplit, DatasetVersion
from tuneloop.registry.indexes import IndexRegistry, IndexVersion
from tuneloop.registry.models import ModelRegistry, ModelVersion
from tuneloop.registry.prompts import (
    LATEST,
    PromptRegistry,
    PromptSummary,
    PromptVersion,
    content_hash,
    parse_ref,
)
from tuneloop.registry.refs import DataRef, Ref, parse_data_ref
from tuneloop.store import Store as _Tables

if TYPE_CHECKING:
    from tuneloop.config import Settings

__all__ = [
    "DEFAULT_PROTECTED",
    "LATEST",
    "Alias",
    "AliasEvent",
    "AliasMove",
    "AliasPolicy",
    "DataRef",
    "DatasetRegistry",
    "DatasetSplit",
    "DatasetVersion",
    "IndexRegistry",
    "IndexVersion",
    "ModelRegistry",
    "ModelVersion",
    "PromptRegistry",
    "PromptSummary",
    "PromptVersion",
    "Ref",
    "Store",
    "Versioned",
    "content_hash",
    "parse_data_ref",
    "parse_ref",
]


class Store(_Tables):
    """:class:`tuneloop.store.Store` plus ``prompts``, ``datasets``, ``models`` and ``indexes``.

    ``protected_aliases`` are the model aliases that move only with gate evidence (default
    ``production``); :meth:`from_settings` takes them from ``[registry] protected_aliases``.
    """

    def __init__(
        self,
        url: str,
        artifact_dir: str | Path,
        *,
        migrate: bool = True,
        protected_aliases: Collection[str] = DEFAULT_PROTECTED,
    ) -> None:
        super().__init__(url, artifact_dir, migrate=migrate)
        self.prompts = PromptRegistry(self.engine)
        self.datasets = DatasetRegistry(self.engine, self.artifacts)
        self.indexes = IndexRegistry(self.engine, self.artifacts)
        self.models = ModelRegistry(
            self.engine, AliasPolicy.of(self.gate_results, protected_aliases)
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Store:
        """The store a project's settings point at, with its protected aliases."""
        return cls(
            settings.resolved_database_url,
            settings.resolved_artifact_dir,
            migrate=migrate,
            protected_aliases=settings.registry.protected_aliases,
        )
