"""Registers the ``retrieve`` backend: the trivial baseline that answers with the best-matching
passage of the project's documents (see :mod:`tuneloop.knowledge.answer`).

The ``echo`` baseline needs no backend of its own: it is the ``echo`` backend of
:mod:`tuneloop.default_plugins.testing_backends`. A model on this backend takes its documents from
its config (``documents`` with ``base``), an ad-hoc target (``retrieve:docs/``, relative to the
current folder), or the project's ``[knowledge] documents``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl
from tuneloop.models.catalog import BackendFactory, ModelSpec

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.models.base import ChatModel


def _retrieve(spec: ModelSpec, settings: Settings) -> ChatModel:
    from tuneloop.knowledge.answer import RetrievalModel
    from tuneloop.knowledge.build import build_retriever

    config = spec.config
    documents = config.get("documents") or ([config["target"]] if config.get("target") else [])
    if isinstance(documents, str):
        documents = [documents]
    base = Path(str(config["base"])) if config.get("base") else Path.cwd()
    where = str(config.get("where") or f"model {spec.name!r} documents")
    retriever = build_retriever(settings, [str(d) for d in documents], base=base, where=where)
    return RetrievalModel(retriever, name=spec.name)


@hookimpl(tryfirst=True)
def register_backends(register: Callable[[str, BackendFactory], None]) -> None:
    register("retrieve", _retrieve)
