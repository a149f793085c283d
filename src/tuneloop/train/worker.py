"""The training worker: claims queued jobs, runs them, heartbeats, and recovers orphaned jobs.

Why a separate process (``tuneloop worker``, or the ones ``tuneloop serve`` starts): training is
CPU/GPU-bound for minutes or hours; inside the server it would starve the event loop, and a crash
would take the API down with it. Workers coordinate only through the database
(:mod:`tuneloop.store.train_jobs`), so any number of them — on one machine, or on several
sharing PostgreSQL — can serve one queue, and none ever runs a job another one holds.

Lifecycle of a claimed job:

- a heartbeat thread refreshes the job's ``heartbeat_at`` every ``heartbeat_interval`` seconds and
  reads ``cancel_requested``; the engine polls :meth:`RunControl.should_stop` between steps;
- cancelled → the run stops and the job becomes ``cancelled``;
- the worker is asked to stop (SIGTERM/SIGINT, server shutdown) → the run stops and the job goes
  back to ``queued``; the next worker resumes it from its last checkpoint;
- the worker dies without a word (``kill -9``, power cut) → its heartbeat goes stale; any worker
  starting up (and every running worker, periodically) puts jobs whose heartbeat is older than
  ``stale_after`` back in the queue — "jobs survive a server restart";
- the run raises → the job becomes ``failed`` with OpenAI's ``error`` object
  (``{code, message, param}``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from tuneloop.errors import TuneloopError
from tuneloop.store.schema import utcnow
from tuneloop.train.base import TrainJob

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.registry import Store

__all__ = [
    "ExecutableTrainer",
    "RunControl",
    "Worker",
    "run_worker_process",
    "start_worker_processes",
    "stop_worker_processes",
    "worker_name",
]

log = logging.getLogger("tuneloop.train.worker")


@runtime_checkable
class ExecutableTrainer(Protocol):
    """A trainer whose jobs run on this machine (``local-lora``): a worker calls ``execute``."""

    name: str

    def execute(self, job: TrainJob, control: RunControl) -> Literal["succeeded", "stopped"]: ...


@dataclass
class RunControl:
    """Handed to :meth:`ExecutableTrainer.execute`: who runs the job and whether to stop."""

    worker: str
    job_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    lost: threading.Event = field(default_factory=threading.Event)

    def should_stop(self) -> bool:
        """True once the job is cancelled, taken over, or the worker is shutting down."""
        return self.stop.is_set() or self.cancelled.is_set() or self.lost.is_set()


def worker_name() -> str:
    """``host:pid`` — enough to tell workers apart in events and in the ``worker`` column."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _local_trainers(settings: Settings, store: Store) -> dict[str, ExecutableTrainer]:
    from tuneloop.train.registry import trainer_factories

    found: dict[str, ExecutableTrainer] = {}
    for name, factory in trainer_factories().items():
        trainer = factory(settings, store)
        if isinstance(trainer, ExecutableTrainer):
            found[name] = trainer
    return found


class Worker:
    """Runs queued jobs of the trainers that execute locally, one at a time."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        trainers: Mapping[str, ExecutableTrainer] | None = None,
        name: str | None = None,
        poll_interval: float = 2.0,
        heartbeat_interval: float = 5.0,
        stale_after: float = 60.0,
    ) -> None:
        if stale_after <= heartbeat_interval:
            raise ValueError("stale_after must be longer than heartbeat_interval")
        self.settings = settings
        self.store = store
        self.trainers = dict(trainers) if trainers is not None else None
        self.name = name or worker_name()
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.stopping = threading.Event()
        self._control: RunControl | None = None

    def _trainers(self) -> dict[str, ExecutableTrainer]:
        if self.trainers is None:
            self.trainers = _local_trainers(self.settings, self.store)
        return self.trainers

    def recover(self) -> list[TrainJob]:
        """Requeue running jobs whose heartbeat is older than ``stale_after``."""
        before = utcnow() - timedelta(seconds=self.stale_after)
        requeued = self.store.train_jobs.requeue_stale(before)
        for job in requeued:
            latest = self.store.train_jobs.latest_checkpoint(job.id)
            where = f"checkpoint step {latest.step}" if latest else "the start"
            self.store.train_jobs.add_event(
                job.id,
                f"The worker running this job stopped responding; the job resumes from {where}",
                level="warn",
            )
        return requeued

    def run_once(self) -> TrainJob | None:
        """Claim one queued job and run it to its end; ``None`` if the queue was empty."""
        job = self.store.train_jobs.claim(self.name, list(self._trainers()))
        if job is None:
            return None
        self._run(job)
        return self.store.train_jobs.get(job.id)

    def run(self, *, until_idle: bool = False) -> None:
        """Recover orphaned jobs, then run jobs until :meth:`stop` (or, with ``until_idle``,
        until the queue is empty)."""
        last_recovery = 0.0
        while not self.stopping.is_set():
            if time.monotonic() - last_recovery >= self.stale_after / 2:
                self.recover()
                last_recovery = time.monotonic()
            if self.run_once() is None:
                if until_idle:
                    return
                self.stopping.wait(self.poll_interval)

    def stop(self) -> None:
        """Ask the worker to stop: a running job stops at its next step and is requeued."""
        self.stopping.set()
        control = self._control
        if control is not None:
            control.stop.set()  # at once, not at the next heartbeat

    # -- one job ------------------------------------------------------------------------------

    def _heartbeat(self, control: RunControl, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_interval):
            try:
                beat = self.store.train_jobs.heartbeat(control.job_id, self.name)
            except TuneloopError as exc:
                log.warning("heartbeat for %s failed: %s", control.job_id, exc)
                continue
            if beat.cancel_requested:
                control.cancelled.set()
            if not beat.owned:
                control.lost.set()
            if self.stopping.is_set():
                control.stop.set()

    def _run(self, job: TrainJob) -> None:
        jobs = self.store.train_jobs
        trainer = self._trainers()[job.trainer]
        latest = jobs.latest_checkpoint(job.id)
        where = f" from checkpoint step {latest.step}" if latest else ""
        jobs.add_event(job.id, f"Fine-tuning job started on worker {self.name}{where}")
        control = RunControl(worker=self.name, job_id=job.id)
        self._control = control
        if self.stopping.is_set():
            control.stop.set()
        if jobs.cancel_requested(job.id):
            control.cancelled.set()
        done = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(control, done), name=f"heartbeat-{job.id}", daemon=True
        )
        beat.start()
        outcome: str = "failed"
        try:
            outcome = "stopped" if control.should_stop() else trainer.execute(job, control)
        except TuneloopError as exc:
            self._fail(job, exc.code, str(exc), exc.param)
        except Exception as exc:
            log.exception("fine-tuning job %s failed", job.id)
            self._fail(job, "internal_error", f"{type(exc).__name__}: {exc}", None)
        finally:
            self._control = None
            done.set()
            beat.join()
        if outcome == "stopped":
            self._stopped(job, control)

    def _fail(self, job: TrainJob, code: str, message: str, param: str | None) -> None:
        error = {"code": code, "message": message, "param": param}
        if self.store.train_jobs.transition(
            job.id, "failed", expect={"running"}, worker=self.name, error=error
        ):
            self.store.train_jobs.add_event(
                job.id, f"Fine-tuning job failed: {message}", level="error"
            )

    def _stopped(self, job: TrainJob, control: RunControl) -> None:
        jobs = self.store.train_jobs
        if control.cancelled.is_set() or jobs.cancel_requested(job.id):
            if jobs.transition(job.id, "cancelled", expect={"running"}, worker=self.name):
                jobs.add_event(job.id, "Fine-tuning job cancelled")
            return
        if control.lost.is_set():
            return
        if jobs.release(job.id, self.name):
            jobs.add_event(
                job.id,
                f"Worker {self.name} stopped; the job resumes from its last checkpoint when a "
                "worker is next available",
            )


def run_worker_process(
    project: str | None,
    *,
    name: str | None = None,
    poll_interval: float = 2.0,
    stale_after: float = 60.0,
    until_idle: bool = False,
    parent_pid: int | None = None,
) -> None:
    """Entry point of a worker process: load the project, stop cleanly on SIGTERM/SIGINT, and
    stop when ``parent_pid`` (the server that started it) is gone.

    ``tuneloop serve --train-workers N`` starts N of these (multiprocessing, spawn), and
    ``tuneloop worker`` runs one in the foreground.
    """
    import signal

    from tuneloop.config import load_settings
    from tuneloop.registry import Store

    settings = load_settings(project)
    with Store.from_settings(settings) as store:
        worker = Worker(
            settings, store, name=name, poll_interval=poll_interval, stale_after=stale_after
        )

        def _stop(signum: int, _frame: object) -> None:
            log.info("worker %s stopping (signal %d)", worker.name, signum)
            worker.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        if parent_pid is not None:
            threading.Thread(
                target=_stop_when_orphaned, args=(worker, parent_pid), daemon=True
            ).start()
        worker.run(until_idle=until_idle)


def _stop_when_orphaned(worker: Worker, parent: int, interval: float = 2.0) -> None:
    """Stop ``worker`` once the process that started it is gone (a server killed with -9 must
    not leave trainers running forever)."""
    while not worker.stopping.wait(interval):
        if os.getppid() != parent:
            log.warning("worker %s: parent process %d is gone; stopping", worker.name, parent)
            worker.stop()


def start_worker_processes(project: str | None, count: int) -> list[Any]:
    """Start ``count`` worker processes for the project at ``project`` (None: the environment's).

    Why ``spawn``: a fresh interpreter shares no threads, locks or CUDA state with the server
    that starts it (``fork`` after uvicorn or torch threads exist can deadlock).
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    processes = []
    for index in range(count):
        process = context.Process(
            target=run_worker_process,
            args=(project,),
            kwargs={"parent_pid": os.getpid()},
            name=f"tuneloop-train-worker-{index + 1}",
        )
        process.start()
        processes.append(process)
    return processes


def stop_worker_processes(processes: list[Any], *, timeout: float = 30.0) -> None:
    """Ask each worker to stop (SIGTERM: its job is checkpointed and requeued), then wait."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.warning("worker %s did not stop in %g s; killing it", process.name, timeout)
            process.kill()
            process.join()
