"""The one place a finished fine-tuning job becomes a model version, for every trainer.

Why one place: "where did this model come from?" must have the same answer whether the job
trained here (``local-lora``) or on a fine-tuning API (``openai``), and no trainer may decide on
its own what a result is called or where it is served from. :func:`register_result` records the
version with its lineage and **never moves an alias**: promotion is a separate, gated step
(``tuneloop eval gate`` then ``tuneloop models promote``), because a model that trained without
an error is not yet a model that is better.

Which name the version gets:

- the job's :class:`~tuneloop.train.base.Registration` (``model_name``), set only by a trusted
  caller — ``tuneloop train run`` copies it from the train file;
- otherwise (a job created through ``POST /v1/fine_tuning/jobs``, whose body is data from a
  client, not commands) ``api-`` + the job's ``suffix`` (else ``{base}-ft``). The prefix keeps a
  client from adding a version under a name the project's own training uses, which would change
  what ``seoul-guide`` (= ``seoul-guide@latest``) resolves to.

The lineage: the base model; the dataset reference (the registration's pinned dataset version,
``seoul-qa@3``, else the training data exactly as the job names it — the uploaded file's id
``file-…``); the prompt version (registration only); the hyperparameters, seed included; the job
id; and, in ``artifacts``, the training and validation references with the SHA-256 of the
training file whenever this project's store holds it. The client's ``metadata`` is never read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tuneloop.errors import DataError, NotFound

if TYPE_CHECKING:
    from tuneloop.registry import Store
    from tuneloop.registry.models import ModelVersion
    from tuneloop.train.base import TrainJob

__all__ = [
    "API_NAME_PREFIX",
    "model_name_for",
    "register_result",
    "registered_name",
    "training_data_sha256",
]

API_NAME_PREFIX = "api-"
DEFAULT_AUTHOR = "tuneloop"
_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 200


def model_name_for(suffix: str | None, base_model: str) -> str:
    """A registry name from a suffix, else ``{base}-ft`` (characters a name cannot hold
    become ``-``)."""
    name = suffix or f"{base_model}-ft"
    return _NAME_CHARS.sub("-", name).strip("-._")[:_MAX_NAME] or "model"


def registered_name(job: TrainJob) -> str:
    """The model-registry name ``job``'s result is versioned under (see the module docstring)."""
    if job.registration is not None:
        return job.registration.model_name
    return (API_NAME_PREFIX + model_name_for(job.suffix, job.base_model))[:_MAX_NAME]


def training_data_sha256(store: Store, ref: str) -> str | None:
    """``sha256:…`` of the file ``ref`` names (an uploaded file, a dataset split, a path), or
    None when this project's store does not hold it (a file on a remote fine-tuning API)."""
    from tuneloop.train.jobs import data_path

    try:
        path = data_path(ref, store)
    except (NotFound, DataError):
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def register_result(
    store: Store,
    job: TrainJob,
    *,
    model_id: str,
    backend: str,
    config: Mapping[str, Any],
    metrics: Mapping[str, Any] | None = None,
    artifacts: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Register ``job``'s model (served by ``backend`` with ``config`` as ``model_id``) as the
    next version of :func:`registered_name` with its lineage, log it, and return it.

    Idempotent: a job finished twice (a retried worker, a re-synced remote job) records one
    version. Never moves an alias.
    """
    registration = job.registration
    lineage: dict[str, Any] = {"training_data": job.training_data}
    if job.validation_data:
        lineage["validation_data"] = job.validation_data
    sha = training_data_sha256(store, job.training_data)
    if sha is not None:
        lineage["training_data_sha256"] = sha
    version = store.models.register_version(
        registered_name(job),
        model_id=model_id,
        backend=backend,
        config=config,
        base_model=job.base_model,
        author=(registration.author if registration else None) or DEFAULT_AUTHOR,
        job_id=job.id,
        dataset_ref=(registration.dataset_ref if registration else None) or job.training_data,
        prompt_ref=registration.prompt_ref if registration else None,
        hyperparameters=job.hyperparameters,
        metrics=dict(metrics or {}),
        artifacts={**lineage, **dict(artifacts or {})},
    )
    store.train_jobs.add_event(job.id, f"Registered {model_id} as {version.ref}")
    return version
