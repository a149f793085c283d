"""``tuneloop migrate openai pull``: an OpenAI fine-tuning job's files, settings and metrics,
brought home as a dataset version and a *source model* version.

(Work in progress: the download itself lands in the next commit; :func:`find_source` and
:func:`pulled_dataset_ref` are the contract the later steps build on.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuneloop.errors import UnknownReference

if TYPE_CHECKING:
    from tuneloop.registry import Store
    from tuneloop.registry.models import ModelVersion

__all__ = ["DATASET_SUFFIX", "dataset_name", "find_source", "pulled_dataset_ref"]

DATASET_SUFFIX = "-openai"
JOB_PREFIX = "ftjob-"


def dataset_name(name: str) -> str:
    """The dataset a pull of model ``name`` registers its files under (``NAME-openai``)."""
    return name + DATASET_SUFFIX


def _is_source(version: ModelVersion) -> bool:
    return version.backend == "openai" and bool(version.artifacts.get("source"))


def _not_pulled(ref: str, what: str) -> UnknownReference:
    return UnknownReference(
        f"No OpenAI fine-tune pulled for {ref!r}: {what}.",
        hint=f"Pull it first: `tuneloop migrate openai pull {ref}` (a ft:… model id or ftjob-… "
        "job id; `tuneloop migrate openai inventory` lists them).",
        param="source",
    )


def find_source(store: Store, ref: str) -> ModelVersion:
    """The source model version (the old OpenAI fine-tune, as pull registered it) that ``ref``
    names: a tuneloop model name (its newest source version), ``NAME@N``, the ``ft:`` model id,
    or the ``ftjob-`` job id. :class:`~tuneloop.errors.UnknownReference` naming the pull command
    to run when there is none."""
    if ref.startswith(JOB_PREFIX):
        found = [v for v in store.models.find_by_job(ref) if _is_source(v)]
        if not found:
            raise _not_pulled(ref, "no model version came from this job")
        return found[-1]
    if ":" in ref:
        version = store.models.find_by_model_id(ref)
        if version is None or not _is_source(version):
            raise _not_pulled(ref, "no source model version has this id")
        return version
    name, _, selector = ref.partition("@")
    if selector:
        version = store.models.resolve(ref)
        if version is None or not _is_source(version):
            raise _not_pulled(ref, "it is not a version pull registered")
        return version
    try:
        sources = [v for v in store.models.versions(name) if _is_source(v)]
    except UnknownReference:
        sources = []
    if not sources:
        raise _not_pulled(ref, "the model has no source version")
    return sources[-1]


def pulled_dataset_ref(store: Store, name: str) -> str:
    """``NAME-openai@N:train``: the training split of the dataset version that pull registered
    for model ``name``'s newest source version (its ``dataset_ref``)."""
    source = find_source(store, name)
    if not source.dataset_ref:
        raise _not_pulled(name, "its source version names no dataset")
    return source.dataset_ref
