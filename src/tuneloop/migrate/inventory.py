"""What an OpenAI account holds before it goes away: fine-tuning jobs and fine-tuned models, with
everything needed to reproduce them — base model, status, dates, trained tokens, hyperparameters,
result metrics, checkpoints, file ids — and each model's shutdown date.

Why plain dataclasses built by pure functions (:func:`job_info`, :func:`model_infos`) from the
API's JSON: ``pull`` and the later steps reuse them, tests build them from literal dicts, and the
network stays in two thin functions (:func:`take_inventory`, :func:`resolve_job`) that go
through the SDK client of :mod:`tuneloop.migrate.client` (pagination, retries with backoff and
``Retry-After``, errors mapped to tuneloop's). Objects are read as the server sent them
(``to_dict(warnings=False)``): OpenAI has sent ``shutdown_date`` both as text and as a number,
whatever type the installed SDK declares.

Nothing here downloads a file: result metrics come from the checkpoints' ``metrics`` (OpenAI
keeps the last checkpoints of a succeeded job with their ``train_loss``, ``valid_loss``,
``full_valid_loss`` …); ``pull`` fetches the step-metrics CSV.

Shutdown dates: ``GET /v1/models`` carries a ``shutdown_date`` per model (an ISO date, or unix
seconds — both are read). A fine-tune without its own takes its base model's, and on OpenAI
itself the deprecations page's date for the GPT-4o / 4o-mini / 4.1 / 4.1-mini families and their
fine-tunes (2027-01-14; ``shared/DOMAIN.md``) fills what the listing leaves out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from tuneloop.errors import NotFound

if TYPE_CHECKING:
    from tuneloop.migrate.client import Account

__all__ = [
    "NEW_JOBS_STOP",
    "RESULT_METRICS",
    "SHUTDOWN_WARNING_DAYS",
    "CheckpointInfo",
    "Inventory",
    "JobInfo",
    "ModelInfo",
    "base_of",
    "default_name",
    "effective_hyperparameters",
    "fetch_job",
    "job_info",
    "known_shutdown",
    "model_infos",
    "parse_shutdown_date",
    "resolve_job",
    "take_inventory",
]

NEW_JOBS_STOP = date(2027, 1, 6)
"""OpenAI stops new fine-tuning jobs for every organisation on this day (deprecations page)."""

FAMILY_SHUTDOWN = date(2027, 1, 14)
_SHUTDOWN_FAMILIES = frozenset({"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"})
_DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")

SHUTDOWN_WARNING_DAYS = 30
"""Fewer days left than this are shown in red."""

RESULT_METRICS = (
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
)
"""The metrics a checkpoint reports (OpenAI's ``FineTuningJobCheckpoint.metrics``)."""

_KNOBS = ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")
_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")
_MAX_NAME = 200
JOB_PREFIX = "ftjob-"
FT_PREFIX = "ft:"


# -- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointInfo:
    """One saved checkpoint of a job: its servable id (``ft:…:ckpt-step-N``) and metrics."""

    id: str
    step: int
    model_id: str | None
    metrics: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "step": self.step,
            "model_id": self.model_id,
            "metrics": dict(self.metrics),
        }


@dataclass(frozen=True)
class JobInfo:
    """One fine-tuning job as the account reports it (``raw`` is the job object verbatim)."""

    id: str
    status: str
    base_model: str
    fine_tuned_model: str | None
    created_at: datetime
    finished_at: datetime | None
    trained_tokens: int | None
    method: dict[str, Any]
    legacy_hyperparameters: dict[str, Any]
    seed: int | None
    training_file: str
    validation_file: str | None
    result_files: tuple[str, ...]
    checkpoints: tuple[CheckpointInfo, ...] = ()
    error: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def method_type(self) -> str:
        """``supervised``, ``dpo`` or ``reinforcement`` (jobs from before ``method`` existed are
        supervised)."""
        return str(self.method.get("type") or "supervised")

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The knobs in effect: ``method.<type>.hyperparameters`` over the legacy top-level
        ``hyperparameters``, plus the seed (``"auto"`` kept as reported)."""
        return effective_hyperparameters(self.method, self.legacy_hyperparameters, self.seed)

    @property
    def reported_hyperparameters(self) -> dict[str, Any]:
        """What a source model version records: the effective knobs and, verbatim, ``method``
        and the legacy ``hyperparameters`` as the job reported them."""
        return {
            **self.hyperparameters,
            "method": dict(self.method),
            "hyperparameters": dict(self.legacy_hyperparameters),
        }

    @property
    def metrics(self) -> dict[str, float]:
        """The newest checkpoint's metrics (the final ones for a succeeded job), or {}."""
        if not self.checkpoints:
            return {}
        newest = max(self.checkpoints, key=lambda c: c.step)
        return dict(newest.metrics)

    @property
    def suffix(self) -> str | None:
        """The suffix the job's model was created with (``support`` in
        ``ft:gpt-4o-mini-2024-07-18:acme:support:AbC123``), if any."""
        given = self.raw.get("user_provided_suffix") or self.raw.get("suffix")
        if isinstance(given, str) and given:
            return given
        return suffix_of(self.fine_tuned_model) if self.fine_tuned_model else None

    @property
    def default_name(self) -> str:
        """The tuneloop model name the migrate steps use unless told otherwise."""
        return default_name(self.fine_tuned_model, self.id, suffix=self.suffix)

    def as_dict(self) -> dict[str, Any]:
        """Everything, JSON-able (dates as ISO 8601)."""
        return {
            "id": self.id,
            "status": self.status,
            "base_model": self.base_model,
            "fine_tuned_model": self.fine_tuned_model,
            "default_name": self.default_name,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "trained_tokens": self.trained_tokens,
            "method": self.method_type,
            "hyperparameters": self.reported_hyperparameters,
            "seed": self.seed,
            "metrics": self.metrics,
            "checkpoints": [c.as_dict() for c in self.checkpoints],
            "training_file": self.training_file,
            "validation_file": self.validation_file,
            "result_files": list(self.result_files),
            "error": self.error,
        }


@dataclass(frozen=True)
class ModelInfo:
    """A fine-tuned model: where it came from and when it stops answering.

    ``shutdown_source`` says where ``shutdown_date`` came from: ``"model"`` (its own entry in
    ``/v1/models``), ``"base model"`` (its base model's entry) or ``"deprecations"`` (OpenAI's
    announced date for its family); ``listed`` is whether ``/v1/models`` lists it.
    """

    id: str
    base_model: str
    job_id: str | None
    created_at: datetime | None
    owned_by: str | None
    shutdown_date: date | None
    shutdown_source: str | None
    listed: bool

    def days_left(self, today: date) -> int | None:
        """Days from ``today`` to the shutdown (negative once past), or None when unknown."""
        return None if self.shutdown_date is None else (self.shutdown_date - today).days

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "id": self.id,
            "base_model": self.base_model,
            "job_id": self.job_id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "owned_by": self.owned_by,
            "shutdown_date": self.shutdown_date.isoformat() if self.shutdown_date else None,
            "shutdown_source": self.shutdown_source,
            "days_left": self.days_left(today),
            "listed": self.listed,
        }


@dataclass(frozen=True)
class Inventory:
    """An account's jobs (newest first, as listed) and fine-tuned models, taken at ``taken_at``."""

    base_url: str
    is_openai: bool
    taken_at: datetime
    jobs: list[JobInfo]
    models: list[ModelInfo]

    @property
    def today(self) -> date:
        return self.taken_at.date()

    @property
    def new_jobs_stop(self) -> date:
        """When OpenAI stops new fine-tuning jobs (shown whatever the server: it is the date
        by which a team still on OpenAI can no longer retrain there)."""
        return NEW_JOBS_STOP

    def as_dict(self) -> dict[str, Any]:
        stop = self.new_jobs_stop
        return {
            "base_url": self.base_url,
            "is_openai": self.is_openai,
            "taken_at": self.taken_at.isoformat(),
            "new_jobs_stop": stop.isoformat(),
            "new_jobs_days_left": (stop - self.today).days,
            "jobs": [j.as_dict() for j in self.jobs],
            "models": [m.as_dict(self.today) for m in self.models],
        }


# -- pure functions ----------------------------------------------------------------------------


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def parse_shutdown_date(value: Any) -> date | None:
    """A ``shutdown_date`` as ``/v1/models`` gives it — ISO date or datetime text, or unix
    seconds (number or digits) — as a date (UTC); None when absent or unreadable."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC).date()
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), tz=UTC).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def base_of(model_id: str) -> str:
    """The base model named in a fine-tuned id: ``ft:BASE:ORG:SUFFIX:ID`` → ``BASE``."""
    parts = model_id.split(":")
    return parts[1] if model_id.startswith(FT_PREFIX) and len(parts) > 1 else model_id


def suffix_of(model_id: str) -> str | None:
    """``SUFFIX`` of ``ft:BASE:ORG:SUFFIX:ID`` (None when empty or absent)."""
    parts = model_id.split(":")
    if not model_id.startswith(FT_PREFIX) or len(parts) < 5:
        return None
    return parts[3] or None


def known_shutdown(base_model: str) -> date | None:
    """OpenAI's announced shutdown for ``base_model``'s family (and its fine-tunes), if any."""
    family = _DATED.sub("", base_model)
    return FAMILY_SHUTDOWN if family in _SHUTDOWN_FAMILIES else None


def default_name(fine_tuned_model: str | None, job_id: str, *, suffix: str | None = None) -> str:
    """The contract's default tuneloop name: the fine-tune's suffix, else
    ``openai-<last 8 characters of the job id>``; lower-cased, other characters as ``-``."""
    raw = suffix or (suffix_of(fine_tuned_model) if fine_tuned_model else None)
    if raw:
        name = _NAME_CHARS.sub("-", raw.lower()).lstrip("._-")[:_MAX_NAME]
        if name:
            return name
    tail = _NAME_CHARS.sub("-", job_id.lower()[-8:]).strip("-")
    return f"openai-{tail or 'job'}"


def effective_hyperparameters(
    method: Mapping[str, Any], legacy: Mapping[str, Any], seed: int | None
) -> dict[str, Any]:
    """The knobs in effect (see :attr:`JobInfo.hyperparameters`)."""
    kind = str(method.get("type") or "supervised")
    section = method.get(kind) or {}
    current = section.get("hyperparameters") if isinstance(section, Mapping) else None
    values: dict[str, Any] = {k: v for k, v in legacy.items() if v is not None}
    if isinstance(current, Mapping):
        values.update({k: v for k, v in current.items() if v is not None})
    ordered = {k: values.pop(k) for k in _KNOBS if k in values}
    ordered.update(values)
    if seed is not None:
        ordered["seed"] = seed
    return ordered


def _checkpoint(data: Mapping[str, Any]) -> CheckpointInfo:
    metrics = data.get("metrics") or {}
    return CheckpointInfo(
        id=str(data.get("id", "")),
        step=int(data.get("step_number") or metrics.get("step") or 0),
        model_id=data.get("fine_tuned_model_checkpoint"),
        metrics={k: float(metrics[k]) for k in RESULT_METRICS if metrics.get(k) is not None},
    )


def job_info(job: Mapping[str, Any], checkpoints: Iterable[Mapping[str, Any]] = ()) -> JobInfo:
    """A :class:`JobInfo` from a ``fine_tuning.job`` object and its checkpoint objects."""
    created = _when(job.get("created_at")) or datetime.fromtimestamp(0, tz=UTC)
    return JobInfo(
        id=str(job["id"]),
        status=str(job.get("status", "")),
        base_model=str(job.get("model", "")),
        fine_tuned_model=job.get("fine_tuned_model"),
        created_at=created,
        finished_at=_when(job.get("finished_at")),
        trained_tokens=job.get("trained_tokens"),
        method=dict(job.get("method") or {}),
        legacy_hyperparameters=dict(job.get("hyperparameters") or {}),
        seed=job.get("seed"),
        training_file=str(job.get("training_file", "")),
        validation_file=job.get("validation_file"),
        result_files=tuple(job.get("result_files") or ()),
        checkpoints=tuple(sorted((_checkpoint(c) for c in checkpoints), key=lambda c: c.step)),
        error=job.get("error") or None,
        raw=dict(job),
    )


def model_infos(
    jobs: Sequence[JobInfo], listed: Sequence[Mapping[str, Any]], *, is_openai: bool
) -> list[ModelInfo]:
    """Every fine-tuned model: those the jobs made and the ``ft:`` entries of ``/v1/models``
    (``listed``, model objects), each with its shutdown date (see the module docstring)."""
    entries = {str(m["id"]): m for m in listed if "id" in m}
    by_model = {j.fine_tuned_model: j for j in jobs if j.fine_tuned_model}
    ids = list(dict.fromkeys([*by_model, *(i for i in entries if i.startswith(FT_PREFIX))]))
    models: list[ModelInfo] = []
    for model_id in ids:
        entry = entries.get(model_id, {})
        job = by_model.get(model_id)
        base = job.base_model if job else base_of(model_id)
        shutdown, source = parse_shutdown_date(entry.get("shutdown_date")), "model"
        if shutdown is None:
            shutdown, source = (
                parse_shutdown_date(entries.get(base, {}).get("shutdown_date")),
                ("base model"),
            )
        if shutdown is None and is_openai:
            shutdown, source = known_shutdown(base), "deprecations"
        created = _when(entry.get("created")) or (job.finished_at if job else None)
        models.append(
            ModelInfo(
                id=model_id,
                base_model=base,
                job_id=job.id if job else None,
                created_at=created,
                owned_by=entry.get("owned_by"),
                shutdown_date=shutdown,
                shutdown_source=source if shutdown else None,
                listed=model_id in entries,
            )
        )
    return models


# -- the network edge --------------------------------------------------------------------------


def _checkpoint_objects(account: Account, job_id: str) -> list[dict[str, Any]]:
    with account.remote(f"list the checkpoints of {job_id}"):
        pages = account.client.fine_tuning.jobs.checkpoints.list(job_id, limit=100)
        return [c.to_dict(warnings=False) for c in pages]


def fetch_job(account: Account, job_id: str) -> JobInfo:
    """One job with its checkpoints (one request each, plus paging)."""
    with account.remote(f"retrieve fine-tuning job {job_id}"):
        job = account.client.fine_tuning.jobs.retrieve(job_id).to_dict(warnings=False)
    checkpoints = _checkpoint_objects(account, job_id) if job.get("status") == "succeeded" else []
    return job_info(job, checkpoints)


def _job_objects(account: Account, page_size: int) -> list[dict[str, Any]]:
    with account.remote("list fine-tuning jobs"):
        return [
            j.to_dict(warnings=False) for j in account.client.fine_tuning.jobs.list(limit=page_size)
        ]


def resolve_job(account: Account, ref: str, *, page_size: int = 100) -> JobInfo:
    """The job ``ref`` names: a ``ftjob-…`` id, or the ``ft:…`` model it produced (found by
    listing the account's jobs). :class:`~tuneloop.errors.NotFound` when there is none."""
    if ref.startswith(JOB_PREFIX):
        return fetch_job(account, ref)
    for job in _job_objects(account, page_size):
        if job.get("fine_tuned_model") == ref:
            return fetch_job(account, str(job["id"]))
    raise NotFound(
        f"No fine-tuning job on {account.base_url} produced {ref!r}.",
        hint="Give a fine-tuned model id (ft:…) or job id (ftjob-…) of this account; "
        "`tuneloop migrate openai inventory` lists them.",
        param="source",
    )


def take_inventory(
    account: Account, *, page_size: int = 100, now: datetime | None = None
) -> Inventory:
    """List every job (following the pages), the checkpoints of each succeeded job, and
    ``/v1/models``; build the :class:`Inventory`."""
    jobs: list[JobInfo] = []
    for job in _job_objects(account, page_size):
        succeeded = job.get("status") == "succeeded"
        checkpoints = _checkpoint_objects(account, str(job["id"])) if succeeded else []
        jobs.append(job_info(job, checkpoints))
    with account.remote("list models"):
        listed = [m.to_dict(warnings=False) for m in account.client.models.list()]
    return Inventory(
        base_url=account.base_url,
        is_openai=account.is_openai,
        taken_at=now or datetime.now(UTC),
        jobs=jobs,
        models=model_infos(jobs, listed, is_openai=account.is_openai),
    )
