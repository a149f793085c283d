"""The ``openai`` trainer: fine-tuning on OpenAI's API — or on any server that speaks it, tuneloop's
own ``tuneloop serve`` included — through the official ``openai`` SDK.

Why the official SDK: it is what teams already use, it speaks every compatible server given a
``base_url``, and it retries 429/5xx and connection errors with backoff. We check the training
file with the data stage's validator *before* uploading (a bad line fails here, naming
``file:line``, not minutes later in ``validating_files``), upload it with
``files.create(purpose="fine-tune")``, create the job with ``fine_tuning.jobs.create`` and the
``method={"type": "supervised", ...}`` shape, then follow it with ``retrieve``, ``list_events`` and
``checkpoints.list``.

The job is also recorded in tuneloop's store (trainer ``openai``, ``external_id`` = the remote job
id), so ``tuneloop train list`` shows it beside local jobs; each :meth:`OpenAITrainer.get` syncs
the row from the remote job. When the job succeeds, its ``fine_tuned_model`` is registered (by
:func:`tuneloop.train.finish.register_result`, the rule every trainer shares; no alias moves) as a
model version served by the ``openai`` backend at the same ``base_url``, so the new model is
usable by name in ``tuneloop chat``, evaluations and the server.

Hyperparameters: only OpenAI's three knobs are sent (``n_epochs``, ``batch_size``,
``learning_rate_multiplier``); one the request did not set explicitly is sent as ``"auto"``, so
the provider picks it as it would for its own users.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from tuneloop.errors import NotFound, TrainError
from tuneloop.models.openai_errors import remote_errors
from tuneloop.store.files import FILE_ID_PREFIX
from tuneloop.train.base import (
    TERMINAL,
    Checkpoint,
    Hyperparameters,
    JobEvent,
    TrainJob,
    TrainRequest,
)
from tuneloop.train.finish import register_result
from tuneloop.train.jobs import JobService, check_suffix, resolve_training_data, wait_for_job

if TYPE_CHECKING:
    import openai

    from tuneloop.config import Settings
    from tuneloop.registry import Store

__all__ = ["OPENAI_KNOBS", "OpenAITrainer", "method_for"]

NAME = "openai"
OPENAI_KNOBS = ("n_epochs", "batch_size", "learning_rate_multiplier")


def method_for(hp: Hyperparameters) -> dict[str, Any]:
    """OpenAI's ``method`` parameter for supervised fine-tuning with ``hp``'s three knobs
    (``"auto"`` for each knob ``hp`` leaves at its default)."""
    knobs: dict[str, Any] = {
        knob: getattr(hp, knob) if knob in hp.model_fields_set else "auto" for knob in OPENAI_KNOBS
    }
    return {"type": "supervised", "supervised": {"hyperparameters": knobs}}


def _when(unix: int | None) -> datetime | None:
    return None if unix is None else datetime.fromtimestamp(unix, UTC)


class OpenAITrainer:
    """:class:`~tuneloop.train.base.Trainer` over an OpenAI-compatible fine-tuning API."""

    name = NAME

    def __init__(
        self,
        store: Store,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        max_retries: int = 3,
        client: openai.OpenAI | None = None,
    ) -> None:
        import openai

        self.store = store
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.client = client or openai.OpenAI(
            base_url=base_url,
            api_key=api_key or os.environ.get(api_key_env) or "no-key",
            timeout=timeout,
            max_retries=max_retries,
        )
        self.jobs = JobService(store, NAME)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> OpenAITrainer:
        """The trainer for a project: ``[openai]`` settings give base_url, key variable, retries."""
        cfg = settings.openai
        return cls(
            store,
            base_url=cfg.base_url,
            api_key=os.environ.get(cfg.api_key_env),
            api_key_env=cfg.api_key_env,
            timeout=cfg.timeout,
            max_retries=cfg.max_retries,
        )

    @property
    def where(self) -> str:
        return str(self.client.base_url)

    def _remote(self, what: str) -> AbstractContextManager[None]:
        """Turn the SDK's exceptions into tuneloop's, naming the server and what we tried."""
        return remote_errors(self.where, what, key_env=self.api_key_env)

    # -- Trainer ------------------------------------------------------------------------------

    def _upload(self, ref: str, param: str) -> str:
        """Validate the data ``ref`` names and upload it; returns the remote file id. A
        ``file-…`` id unknown to the local store is taken to be a remote file already."""
        if ref.startswith(FILE_ID_PREFIX):
            try:
                self.store.files.get(ref)
            except NotFound:
                return ref
        data = resolve_training_data(ref, self.store, param=param)
        if data.format == "openai":
            payload = data.path.read_bytes()
        else:
            from tuneloop.data.export import openai_line

            payload = "".join(openai_line(e) + "\n" for e in data.examples).encode("utf-8")
        filename = data.path.name if data.path.suffix == ".jsonl" else f"{data.path.stem}.jsonl"
        with self._remote(f"upload {ref}"):
            uploaded = self.client.files.create(
                file=(filename, payload, "application/jsonl"), purpose="fine-tune"
            )
        return uploaded.id

    def start(self, request: TrainRequest) -> TrainJob:
        """Validate and upload the data, create the remote job, and record it locally."""
        check_suffix(request.suffix)
        training_file = self._upload(request.training_data, "training_file")
        validation_file = (
            self._upload(request.validation_data, "validation_file")
            if request.validation_data
            else None
        )
        hp = request.hyperparameters
        params: dict[str, Any] = {
            "model": request.base_model,
            "training_file": training_file,
            "method": method_for(hp),
            "seed": hp.seed,
        }
        if validation_file:
            params["validation_file"] = validation_file
        if request.suffix:
            params["suffix"] = request.suffix
        if request.metadata:
            params["metadata"] = dict(request.metadata)
        with self._remote(f"create a fine-tuning job on {request.base_model}"):
            remote = self.client.fine_tuning.jobs.create(**params)
        job = self.jobs.create(request, status=remote.status, external_id=remote.id)
        self.jobs.log(
            job.id,
            f"Created remote job {remote.id} on {self.where} (training file {training_file})",
            data={"external_id": remote.id, "training_file": training_file},
        )
        return self._sync(job, remote)

    def _local(self, job_id: str) -> TrainJob:
        try:
            return self.jobs.get(job_id)
        except NotFound:
            found = self.store.train_jobs.find_external(NAME, job_id)
            if found is None:
                raise
            return found

    def _remote_id(self, job: TrainJob) -> str:
        if not job.external_id:
            raise TrainError(
                f"Job {job.id} has no remote job id; it was never created on {self.where}."
            )
        return job.external_id

    def get(self, job_id: str) -> TrainJob:
        """The job, synced from the remote job unless it already finished."""
        job = self._local(job_id)
        if job.done:
            return job
        with self._remote(f"retrieve job {job.external_id}"):
            remote = self.client.fine_tuning.jobs.retrieve(self._remote_id(job))
        return self._sync(job, remote)

    def _sync(self, job: TrainJob, remote: Any) -> TrainJob:
        error = None
        if remote.error is not None and getattr(remote.error, "message", None):
            error = {
                "code": remote.error.code,
                "message": remote.error.message,
                "param": remote.error.param,
            }
        changes: dict[str, Any] = {
            "status": remote.status,
            "fine_tuned_model": remote.fine_tuned_model,
            "trained_tokens": remote.trained_tokens,
            "error": error,
            "finished_at": _when(remote.finished_at),
        }
        if remote.status == "running" and job.started_at is None:
            changes["started_at"] = datetime.now(UTC)
        updated = self.store.train_jobs.update(job.id, **changes)
        if remote.status != job.status:
            self.jobs.log(job.id, f"Remote job {remote.id} is {remote.status}")
        if updated.status == "succeeded" and updated.fine_tuned_model:
            self._register(updated)
        return updated

    def _register(self, job: TrainJob) -> None:
        model_id = cast(str, job.fine_tuned_model)
        if self.store.models.find_by_model_id(model_id) is not None:
            return
        config: dict[str, Any] = {"model": model_id, "api_key_env": self.api_key_env}
        if self.base_url:
            config["base_url"] = self.base_url
        register_result(
            self.store,
            job,
            model_id=model_id,
            backend="openai",
            config=config,
            metrics={"trained_tokens": job.trained_tokens} if job.trained_tokens else {},
            artifacts={"external_id": job.external_id, "base_url": self.where},
        )

    def events(self, job_id: str, *, after: str | None = None, limit: int = 20) -> list[JobEvent]:
        """The remote job's events, newest first."""
        from openai import omit

        job = self._local(job_id)
        with self._remote(f"list the events of job {job.external_id}"):
            page = self.client.fine_tuning.jobs.list_events(
                self._remote_id(job), limit=limit, after=after if after else omit
            )
        return [
            JobEvent(
                id=e.id,
                job_id=job.id,
                created_at=cast(datetime, _when(e.created_at)),
                level=e.level,
                message=e.message,
                type=e.type or "message",
                data=dict(e.data) if isinstance(e.data, dict) else {},
            )
            for e in page.data
        ]

    def checkpoints(self, job_id: str) -> list[Checkpoint]:
        """The remote job's checkpoints, newest first (``path`` and ``model_id`` are the
        servable checkpoint model name)."""
        job = self._local(job_id)
        with self._remote(f"list the checkpoints of job {job.external_id}"):
            page = self.client.fine_tuning.jobs.checkpoints.list(self._remote_id(job))
        found = []
        for c in page.data:
            metrics = {
                k: float(v) for k, v in c.metrics.model_dump().items() if isinstance(v, int | float)
            }
            found.append(
                Checkpoint(
                    id=c.id,
                    job_id=job.id,
                    step=c.step_number,
                    created_at=cast(datetime, _when(c.created_at)),
                    path=c.fine_tuned_model_checkpoint,
                    metrics=metrics,
                    model_id=c.fine_tuned_model_checkpoint,
                )
            )
        return found

    def cancel(self, job_id: str) -> TrainJob:
        job = self._local(job_id)
        if job.status in TERMINAL:
            return job
        with self._remote(f"cancel job {job.external_id}"):
            remote = self.client.fine_tuning.jobs.cancel(self._remote_id(job))
        return self._sync(job, remote)

    def resume(self, job_id: str) -> TrainJob:
        job = self._local(job_id)
        raise TrainError(
            f"Job {job.id} ({job.status}) cannot be resumed through OpenAI's fine-tuning API.",
            hint="Start a new job with the same data; the job's checkpoints (`checkpoints`) are "
            "servable models.",
        )

    def wait(
        self,
        job_id: str,
        *,
        poll_interval: float = 10.0,
        timeout: float | None = None,
        on_event: Callable[[JobEvent], None] | None = None,
    ) -> TrainJob:
        """Poll ``retrieve`` and ``list_events`` until the job finishes (see
        :func:`~tuneloop.train.jobs.wait_for_job`)."""
        return wait_for_job(
            self, job_id, poll_interval=poll_interval, timeout=timeout, on_event=on_event
        )
