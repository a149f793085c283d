"""The training workflow: start a run from a train file, resume a stopped one, follow it to the end.

Why a workflow module and not the CLI: starting a run means resolving the data (a dataset
version pinned to its number), picking the trainer with the train file's settings, recording the
job with its trusted :class:`~tuneloop.train.base.Registration`, and then either working it here
(trainers that execute on this machine, through the same :class:`~tuneloop.train.worker.Worker`
a ``tuneloop worker`` runs) or polling it (remote trainers). ``tuneloop train run`` only parses
flags, calls :func:`start` or :func:`resume`, then :meth:`TrainRun.follow`, and prints;
``tuneloop update`` and tests call the same functions.

A finished job is registered (:mod:`tuneloop.train.finish`) and never promoted: moving an alias is
``tuneloop eval gate`` and ``tuneloop models promote``.

Stopping: :meth:`TrainRun.stop` (the CLI calls it on Ctrl-C) asks the local worker to stop at the
next step; the job is checkpointed and queued again, and :func:`resume` continues it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tuneloop.errors import InvalidRequest
from tuneloop.train.worker import ExecutableTrainer, Worker

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.registry import Store
    from tuneloop.train.base import Trainer, TrainJob
    from tuneloop.train.config import TrainConfig

__all__ = ["TrainRun", "resume", "start", "trainer_for"]

REMOTE_POLL_SECONDS = 5.0
# How soon a run killed without a word (its heartbeat frozen) may be resumed.
_RESUME_HEARTBEAT = 2.0
_RESUME_STALE_AFTER = 10.0


def trainer_for(name: str, settings: Settings, store: Store) -> Trainer:
    """The trainer called ``name`` for this project (plugins included)."""
    from tuneloop.train import registry

    return registry.get_trainer(name, settings, store)


def _trainer_settings(config: TrainConfig, settings: Settings) -> Settings:
    """The project's settings with the train file's ``openai`` table applied."""
    changes = config.openai.model_dump(exclude_none=True)
    if not changes:
        return settings
    return settings.model_copy(update={"openai": settings.openai.model_copy(update=changes)})


@dataclass
class TrainRun:
    """A job and the trainer that runs it, ready to be followed from this process."""

    settings: Settings
    store: Store
    trainer: Trainer
    job: TrainJob
    worker: Worker | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.trainer, ExecutableTrainer):
            self.worker = Worker(
                self.settings, self.store, trainers={self.trainer.name: self.trainer}
            )

    @property
    def local(self) -> bool:
        """True when the job trains in this process (else a remote API trains it)."""
        return self.worker is not None

    def stop(self) -> None:
        """Ask a local run to stop at its next step (a checkpoint is saved; it is requeued)."""
        if self.worker is not None:
            self.worker.stop()

    def follow(self, *, on_progress: Callable[[], None] | None = None) -> TrainJob:
        """Work the job here (local trainers: queued jobs of this trainer, oldest first, until
        this one is done or :meth:`stop` is called) or wait for it (remote ones); return it."""
        if self.worker is None:
            from tuneloop.train.jobs import wait_for_job

            self.job = wait_for_job(self.trainer, self.job.id, poll_interval=REMOTE_POLL_SECONDS)
            return self.job
        while True:
            job = self.store.train_jobs.get(self.job.id)
            if job.done or self.worker.stopping.is_set():
                break
            if self.worker.run_once() is None:
                break
            if on_progress is not None:
                on_progress()
        self.job = self.store.train_jobs.get(self.job.id)
        return self.job


def start(config: TrainConfig, settings: Settings, store: Store, *, author: str) -> TrainRun:
    """Validate and record a job for ``config`` (queued for local trainers, created remotely for
    the others); ``author`` is recorded in the model version's lineage."""
    from tuneloop.train.config import resolve_data, train_request

    data = resolve_data(config, store)
    project = _trainer_settings(config, settings)
    trainer = trainer_for(config.trainer, project, store)
    job = trainer.start(train_request(config, data, author=author))
    return TrainRun(project, store, trainer, job)


def resume(job_id: str, settings: Settings, store: Store) -> TrainRun:
    """Queue a failed, cancelled or killed job again (it continues from its last checkpoint).

    Raises :class:`InvalidRequest` for a job that already succeeded, or that another worker is
    still running (its heartbeat is fresh).
    """
    job = store.train_jobs.get(job_id)
    trainer = trainer_for(job.trainer, settings, store)
    if job.status == "running":
        # A run killed without a word stays "running" until its heartbeat goes stale.
        Worker(
            settings,
            store,
            trainers={},
            heartbeat_interval=_RESUME_HEARTBEAT,
            stale_after=_RESUME_STALE_AFTER,
        ).recover()
        job = store.train_jobs.get(job_id)
        if job.status == "running":
            raise InvalidRequest(
                f"Job {job_id} is running (its worker's heartbeat is fresh).",
                hint="Wait for it, or cancel it with `tuneloop train cancel` and resume then; "
                f"a killed run becomes resumable about {_RESUME_STALE_AFTER:g} seconds after it "
                "stopped.",
            )
    if job.status in ("failed", "cancelled"):
        job = trainer.resume(job_id)
    elif job.status == "succeeded":
        raise InvalidRequest(
            f"Job {job_id} has already succeeded ({job.fine_tuned_model}).",
            hint="Start a new run with `tuneloop train run FILE`.",
        )
    return TrainRun(settings, store, trainer, job)
