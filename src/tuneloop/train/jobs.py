"""The fine-tuning job service: create, read, cancel and resume jobs over the store, plus what
every trainer needs before it starts — training data resolved and validated, and names.

Why one service for every trainer: a job is the same thing whether it trains here (``local-lora``)
or on OpenAI (``openai``): OpenAI's states, events and checkpoints, kept in tuneloop's store so
``tuneloop train list`` and ``GET /v1/fine_tuning/jobs`` show both. A trainer adds only what is
its own — how the work is done.

Training data is named three ways (see :func:`resolve_training_data`): a dataset split reference
(``seoul-qa@1:train``), a record or chat JSONL file path, or an uploaded file id (``file-…``).
Every one is checked with the data stage's validator (OpenAI's cookbook checks) before a job is
created, so a bad line fails the request at once, naming ``file:line``, instead of a job minutes
later.

Ids follow OpenAI's: ``ftjob-…``, ``ftevent-…``, ``ftckpt-…``, ``file-…``. The fine-tuned model is
named ``ft:{base}:tuneloop:{suffix or 'model'}:{8 characters of the job id}``.
"""

from __future__ import annotations

import builtins
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.data.records import Example, Source, read_records
from tuneloop.errors import DataError, InvalidRequest, NotFound, TrainError
from tuneloop.registry.refs import parse_data_ref
from tuneloop.store.train_jobs import JOB_PREFIX
from tuneloop.train.base import Checkpoint, JobEvent, Trainer, TrainJob, TrainRequest

if TYPE_CHECKING:
    from tuneloop.registry import Store

__all__ = [
    "MAX_SUFFIX",
    "JobService",
    "TrainingData",
    "check_suffix",
    "checkpoint_model_id",
    "data_path",
    "fine_tuned_model_id",
    "job_output_dir",
    "resolve_training_data",
    "wait_for_job",
]

MAX_SUFFIX = 64
_SUFFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MAX_ISSUES_SHOWN = 5


def check_suffix(suffix: str | None) -> None:
    """A suffix names the model (``ft:base:tuneloop:SUFFIX:id``): up to 64 of ``A-Za-z0-9._-``."""
    if suffix is None:
        return
    if len(suffix) > MAX_SUFFIX or not _SUFFIX.fullmatch(suffix):
        raise InvalidRequest(
            f"Invalid suffix {suffix!r}: use 1 to {MAX_SUFFIX} letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
            param="suffix",
        )


def _short_id(job_id: str) -> str:
    return job_id.removeprefix(JOB_PREFIX)[:8]


def fine_tuned_model_id(base_model: str, suffix: str | None, job_id: str) -> str:
    """``ft:{base}:tuneloop:{suffix or 'model'}:{8 characters of the job id}``."""
    return f"ft:{base_model}:tuneloop:{suffix or 'model'}:{_short_id(job_id)}"


def checkpoint_model_id(base_model: str, suffix: str | None, job_id: str, step: int) -> str:
    """A checkpoint's id, as OpenAI names them: the model id plus ``:ckpt-step-N``."""
    return f"{fine_tuned_model_id(base_model, suffix, job_id)}:ckpt-step-{step}"


def job_output_dir(store: Store, job_id: str) -> Path:
    """Where a local job writes checkpoints, the adapter and the merged model."""
    return store.artifact_dir / "jobs" / job_id


@dataclass(frozen=True)
class TrainingData:
    """Training (or validation) data resolved from its reference and validated.

    ``path`` is a file holding it (the uploaded bytes, the record file, or the dataset split's
    record file); ``format`` says which kind (``openai`` chat JSONL or ``tuneloop`` records).
    """

    ref: str
    path: Path
    format: str
    examples: list[Example]
    warnings: list[str] = field(default_factory=list)


def data_path(ref: str, store: Store | None, param: str = "training_file") -> Path:
    """The file holding the data ``ref`` names: an uploaded file (purpose fine-tune), a path,
    or a dataset split (``seoul-qa@1:train``; a one-split version without ``:split``)."""
    data = parse_data_ref(ref, param=param)
    if data.file_id is not None:
        if store is None:
            raise DataError(f"{ref}: an uploaded file id needs the project's store.")
        record = store.files.get(data.file_id)
        if record.purpose != "fine-tune":
            raise InvalidRequest(
                f"File {ref} was uploaded with purpose {record.purpose!r}; fine-tuning needs "
                "purpose 'fine-tune'.",
                param=param,
            )
        return store.files.path(data.file_id)
    if data.path is not None and data.path.exists():
        return data.path
    if store is None or data.dataset is None:
        raise DataError(
            f"{ref}: no such file, uploaded file or dataset version.",
            hint="Give a dataset split such as seoul-qa@1:train (`tuneloop data list`), a record "
            "or chat JSONL file, or an uploaded file id (file-…).",
        )
    return store.datasets.split(data).path


def _openai_examples(path: Path, ref: str) -> list[Example]:
    examples = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        if text:
            data = json.loads(text)
            examples.append(Example(messages=list(data["messages"]), source=Source(ref, number)))
    return examples


def resolve_training_data(
    ref: str, store: Store | None, *, param: str = "training_file"
) -> TrainingData:
    """Find the data ``ref`` names, validate it like OpenAI would, and read its examples.

    Raises :class:`DataError` (400 on the server, ``param`` naming the request field) when the
    data cannot be found or has errors; the message lists the first problems as ``file:line``.
    """
    from tuneloop.data.validate import validate_file

    path = data_path(ref, store, param)
    report = validate_file(path)
    if not report.ok:
        shown = "; ".join(
            f"line {i.line}: {i.code}: {i.message}" if i.line else f"{i.code}: {i.message}"
            for i in report.errors[:_MAX_ISSUES_SHOWN]
        )
        more = len(report.errors) - _MAX_ISSUES_SHOWN
        raise DataError(
            f"Invalid {param} {ref}: {len(report.errors)} problem(s) — {shown}"
            + (f"; and {more} more" if more > 0 else "")
            + ".",
            hint="Each line must be a JSON object with a `messages` list in OpenAI's chat format "
            "and at least one assistant message; run `tuneloop data validate` on the file to see "
            "every problem.",
            param=param,
        )
    if report.format == "tuneloop":
        examples = [r for r in read_records(path) if isinstance(r, Example)]
    else:
        examples = _openai_examples(path, ref)
    if not examples:
        raise DataError(f"{param} {ref} holds no chat examples to train on.", param=param)
    return TrainingData(
        ref=ref,
        path=path,
        format=report.format,
        examples=examples,
        warnings=[str(i) for i in report.warnings],
    )


def _metadata(request: TrainRequest) -> dict[str, str]:
    """The client's metadata, checked against OpenAI's limits and stored as given — tuneloop never
    reads it (what becomes of the result is ``request.registration``, set by trusted callers)."""
    metadata = dict(request.metadata)
    if len(metadata) > 16 or any(len(k) > 64 or len(v) > 512 for k, v in metadata.items()):
        raise InvalidRequest(
            "metadata takes at most 16 pairs; keys up to 64 and values up to 512 characters.",
            param="metadata",
        )
    return metadata


class JobService:
    """Jobs of one trainer (``trainer``) in ``store``; every call is its own transaction."""

    def __init__(self, store: Store, trainer: str) -> None:
        self.store = store
        self.trainer = trainer

    def create(
        self, request: TrainRequest, *, status: str = "validating_files", **extra: Any
    ) -> TrainJob:
        """Record a new job for ``request`` and log its creation."""
        check_suffix(request.suffix)
        hp = request.hyperparameters
        job = self.store.train_jobs.create(
            trainer=self.trainer,
            base_model=request.base_model,
            training_data=request.training_data,
            validation_data=request.validation_data,
            hyperparameters=hp.model_dump(mode="json"),
            suffix=request.suffix,
            seed=hp.seed,
            metadata=_metadata(request),
            registration=request.registration,
            status=status,  # type: ignore[arg-type]
            **extra,
        )
        self.log(job.id, f"Created fine-tuning job: {job.id}")
        return job

    def log(
        self,
        job_id: str,
        message: str,
        *,
        level: str = "info",
        type: str = "message",
        data: dict[str, Any] | None = None,
    ) -> JobEvent:
        """Append an event to the job's log."""
        return self.store.train_jobs.add_event(job_id, message, level=level, type=type, data=data)

    def get(self, job_id: str) -> TrainJob:
        job = self.store.train_jobs.get(job_id)
        if job.trainer != self.trainer:
            raise NotFound(
                f"Job {job_id} belongs to the {job.trainer!r} trainer, not {self.trainer!r}.",
                hint=f"Use --trainer {job.trainer}.",
                param="fine_tuning_job_id",
            )
        return job

    def list(self, *, after: str | None = None, limit: int = 20) -> tuple[list[TrainJob], bool]:
        return self.store.train_jobs.list(after=after, limit=limit, trainer=self.trainer)

    def events(
        self, job_id: str, *, after: str | None = None, limit: int = 20
    ) -> tuple[builtins.list[JobEvent], bool]:
        """Newest first."""
        self.get(job_id)
        return self.store.train_jobs.events(job_id, after=after, limit=limit)

    def checkpoints(
        self,
        job_id: str,
        *,
        after: str | None = None,
        limit: int = 10,
        servable_only: bool = False,
    ) -> tuple[builtins.list[Checkpoint], bool]:
        """Newest (highest step) first; ``servable_only``: those a chat completion accepts."""
        self.get(job_id)
        return self.store.train_jobs.checkpoints(
            job_id, after=after, limit=limit, servable_only=servable_only
        )

    def cancel(self, job_id: str) -> TrainJob:
        """Cancel a job: at once if it has not started, else its worker stops it. Cancelling a
        cancelled job is a no-op; a finished one cannot be cancelled (:class:`InvalidRequest`)."""
        before = self.get(job_id)
        if before.status in ("succeeded", "failed"):
            raise InvalidRequest(
                f"Job {job_id} has already {before.status}; it cannot be cancelled.",
                param="fine_tuning_job_id",
            )
        if before.status == "cancelled":
            return before
        job = self.store.train_jobs.request_cancel(job_id)
        if job.status == "cancelled":
            self.log(job_id, "Fine-tuning job cancelled")
        elif job.status == "running":
            self.log(job_id, "Cancellation requested; the job stops at its next step")
        return job

    def resume(self, job_id: str) -> TrainJob:
        """Queue a failed or cancelled job again; its worker resumes from the last checkpoint."""
        self.get(job_id)
        job = self.store.train_jobs.requeue(job_id)
        latest = self.store.train_jobs.latest_checkpoint(job_id)
        where = f"from checkpoint step {latest.step}" if latest else "from the start"
        self.log(job_id, f"Fine-tuning job resumed {where}")
        return job


def wait_for_job(
    trainer: Trainer,
    job_id: str,
    *,
    poll_interval: float = 5.0,
    timeout: float | None = None,
    on_event: Callable[[JobEvent], None] | None = None,
) -> TrainJob:
    """Poll ``trainer`` until the job is ``succeeded``, ``failed`` or ``cancelled`` and return it;
    ``on_event`` gets each new event once, oldest first. After ``timeout`` seconds,
    :class:`TrainError` (the job keeps running)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    seen: set[str] = set()
    while True:
        job = trainer.get(job_id)
        if on_event is not None:
            fresh = [e for e in trainer.events(job.id, limit=100) if e.id not in seen]
            for event in reversed(fresh):
                seen.add(event.id)
                on_event(event)
        if job.done:
            return job
        if deadline is not None and time.monotonic() > deadline:
            raise TrainError(
                f"Job {job.id} is still {job.status} after {timeout:g} s.",
                hint=f"It keeps running; check on it with `tuneloop train status {job.id}`.",
            )
        time.sleep(poll_interval)
