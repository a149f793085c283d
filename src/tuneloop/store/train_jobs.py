"""Fine-tuning jobs, their events and checkpoints — and the queue workers take jobs from.

Why the database is the queue: the server, the CLI and any number of ``tuneloop worker``
processes (on one machine or several, sharing PostgreSQL) must agree on who runs which job. A
worker *claims* the oldest queued job in one transaction:

- PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` — concurrent claimers skip a row another
  transaction holds instead of waiting for it, so two workers never take the same job and never
  block each other (the standard Postgres job-queue recipe);
- SQLite: every transaction starts with ``BEGIN IMMEDIATE`` (see :mod:`tuneloop.store.engine`),
  which takes the database's write lock before the read, so claims are serialised.

A running job carries its worker's name and a heartbeat the worker refreshes. A job whose
heartbeat went stale (its worker died: power cut, ``kill -9``, server restart) is put back in the
queue by :meth:`TrainJobs.requeue_stale`, and the next claim resumes it from its last checkpoint.
Cancelling a running job only sets ``cancel_requested``; the worker sees it on its next heartbeat
and stops the run.

Records handed out are the contract's values (:class:`~tuneloop.train.base.TrainJob`,
:class:`~tuneloop.train.base.JobEvent`, :class:`~tuneloop.train.base.Checkpoint`).
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session

from tuneloop.errors import InvalidRequest, NotFound
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import TrainCheckpointRow, TrainJobEventRow, TrainJobRow, utcnow
from tuneloop.store.train_values import (
    TERMINAL,
    Checkpoint,
    JobEvent,
    JobStatus,
    Registration,
    TrainJob,
)

__all__ = [
    "Heartbeat",
    "TrainJobs",
    "new_checkpoint_id",
    "new_event_id",
    "new_job_id",
]

JOB_PREFIX = "ftjob-"
EVENT_PREFIX = "ftevent-"
CHECKPOINT_PREFIX = "ftckpt-"

_UPDATABLE = frozenset(
    {
        "status",
        "fine_tuned_model",
        "trained_tokens",
        "error",
        "external_id",
        "metrics",
        "started_at",
        "finished_at",
        "worker",
        "heartbeat_at",
        "cancel_requested",
    }
)


def new_job_id() -> str:
    """``ftjob-`` + 24 hex digits."""
    return JOB_PREFIX + secrets.token_hex(12)


def new_event_id() -> str:
    return EVENT_PREFIX + secrets.token_hex(12)


def new_checkpoint_id() -> str:
    return CHECKPOINT_PREFIX + secrets.token_hex(12)


@dataclass(frozen=True)
class Heartbeat:
    """What a worker learns when it refreshes its heartbeat: whether it still owns the job (a
    job requeued as stale or cancelled before it started is no longer its own) and whether a
    cancel was requested."""

    owned: bool
    cancel_requested: bool


def _job(row: TrainJobRow) -> TrainJob:
    return TrainJob(
        id=row.id,
        trainer=row.trainer,
        status=cast(JobStatus, row.status),
        base_model=row.base_model,
        training_data=row.training_data,
        validation_data=row.validation_data,
        hyperparameters=dict(row.hyperparameters),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        fine_tuned_model=row.fine_tuned_model,
        trained_tokens=row.trained_tokens,
        error=dict(row.error) if row.error is not None else None,
        suffix=row.suffix,
        seed=row.seed,
        external_id=row.external_id,
        metrics=dict(row.metrics),
        metadata={str(k): str(v) for k, v in row.meta.items()},
        registration=Registration.from_dict(row.registration) if row.registration else None,
    )


def _event(row: TrainJobEventRow) -> JobEvent:
    return JobEvent(
        id=row.id,
        job_id=row.job_id,
        created_at=row.created_at,
        level=cast(Any, row.level),
        message=row.message,
        type=cast(Any, row.type),
        data=dict(row.data),
    )


def _checkpoint(row: TrainCheckpointRow) -> Checkpoint:
    return Checkpoint(
        id=row.id,
        job_id=row.job_id,
        step=row.step,
        created_at=row.created_at,
        path=row.path,
        metrics={str(k): float(v) for k, v in row.metrics.items() if v is not None},
        model_id=row.model_id,
    )


def _job_not_found(job_id: str) -> NotFound:
    return NotFound(
        f"Could not find fine-tune: {job_id}",
        hint="List jobs with GET /v1/fine_tuning/jobs or `tuneloop train list`.",
        param="fine_tuning_job_id",
    )


def _row(session: Session, job_id: str) -> TrainJobRow:
    row = session.get(TrainJobRow, job_id)
    if row is None:
        raise _job_not_found(job_id)
    return row


class TrainJobs:
    """The ``train_jobs``, ``train_job_events`` and ``train_checkpoints`` tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    # -- jobs ---------------------------------------------------------------------------------

    def create(
        self,
        *,
        trainer: str,
        base_model: str,
        training_data: str,
        validation_data: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        suffix: str | None = None,
        seed: int | None = None,
        metadata: Mapping[str, str] | None = None,
        registration: Registration | None = None,
        status: JobStatus = "validating_files",
        job_id: str | None = None,
        external_id: str | None = None,
    ) -> TrainJob:
        """Insert a new job (id ``ftjob-…`` unless given) and return it.

        ``metadata`` is the client's, stored as given; ``registration`` (trusted callers only)
        says where the result is registered."""
        row = TrainJobRow(
            id=job_id or new_job_id(),
            trainer=trainer,
            status=status,
            base_model=base_model,
            training_data=training_data,
            validation_data=validation_data,
            hyperparameters=dict(hyperparameters or {}),
            suffix=suffix,
            seed=seed,
            metrics={},
            meta=dict(metadata or {}),
            registration=registration.as_dict() if registration is not None else None,
            external_id=external_id,
            cancel_requested=False,
            created_at=utcnow(),
        )
        with session_scope(self._engine) as session:
            session.add(row)
            session.flush()
            return _job(row)

    def get(self, job_id: str) -> TrainJob:
        """The job ``job_id``; :class:`NotFound` (404) if there is none."""
        with session_scope(self._engine) as session:
            return _job(_row(session, job_id))

    def find_external(self, trainer: str, external_id: str) -> TrainJob | None:
        """The job ``trainer`` started remotely as ``external_id``, if any."""
        query = select(TrainJobRow).where(
            TrainJobRow.trainer == trainer, TrainJobRow.external_id == external_id
        )
        with session_scope(self._engine) as session:
            row = session.scalars(query.limit(1)).first()
            return None if row is None else _job(row)

    def list(
        self,
        *,
        after: str | None = None,
        limit: int = 20,
        trainer: str | None = None,
        status: str | None = None,
    ) -> tuple[builtins.list[TrainJob], bool]:
        """One page of jobs, newest first, and whether more follow (``after``: a job id)."""
        query = select(TrainJobRow)
        if trainer is not None:
            query = query.where(TrainJobRow.trainer == trainer)
        if status is not None:
            query = query.where(TrainJobRow.status == status)
        with session_scope(self._engine) as session:
            if after is not None:
                cursor = _row(session, after)
                query = query.where(
                    or_(
                        TrainJobRow.created_at < cursor.created_at,
                        and_(
                            TrainJobRow.created_at == cursor.created_at,
                            TrainJobRow.id < cursor.id,
                        ),
                    )
                )
            query = query.order_by(TrainJobRow.created_at.desc(), TrainJobRow.id.desc())
            rows = session.scalars(query.limit(limit + 1)).all()
            return [_job(r) for r in rows[:limit]], len(rows) > limit

    def update(self, job_id: str, **changes: Any) -> TrainJob:
        """Set the given columns (status, fine_tuned_model, trained_tokens, error, external_id,
        metrics, started_at, finished_at, worker, heartbeat_at, cancel_requested)."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update train job column(s) {sorted(unknown)}")
        with session_scope(self._engine) as session:
            row = _row(session, job_id)
            for name, value in changes.items():
                setattr(row, name, value)
            session.flush()
            return _job(row)

    def transition(
        self,
        job_id: str,
        to: JobStatus,
        *,
        expect: Collection[str],
        worker: str | None = None,
        **changes: Any,
    ) -> TrainJob | None:
        """Move the job to ``to`` only if its status is in ``expect`` (and, with ``worker``, it
        is still that worker's). Returns the updated job, or ``None`` if the guard failed — the
        job changed under us (cancelled, requeued)."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update train job column(s) {sorted(unknown)}")
        values: dict[str, Any] = {"status": to, **changes}
        if to in TERMINAL and "finished_at" not in values:
            values["finished_at"] = utcnow()
        guard = [TrainJobRow.id == job_id, TrainJobRow.status.in_(list(expect))]
        if worker is not None:
            guard.append(TrainJobRow.worker == worker)
        with session_scope(self._engine) as session:
            result = session.execute(update(TrainJobRow).where(*guard).values(**values))
            if not getattr(result, "rowcount", 0):
                _row(session, job_id)  # NotFound for an unknown id
                return None
            return _job(_row(session, job_id))

    def request_cancel(self, job_id: str) -> TrainJob:
        """Cancel: a job not yet running becomes ``cancelled`` at once; a running one gets
        ``cancel_requested`` and its worker stops it. Terminal jobs are returned unchanged."""
        with session_scope(self._engine) as session:
            query = select(TrainJobRow).where(TrainJobRow.id == job_id)
            if self._postgres:
                query = query.with_for_update()
            row = session.scalars(query).first()
            if row is None:
                raise _job_not_found(job_id)
            if row.status in ("validating_files", "queued"):
                row.status = "cancelled"
                row.finished_at = utcnow()
                row.cancel_requested = True
            elif row.status == "running":
                row.cancel_requested = True
            session.flush()
            return _job(row)

    def cancel_requested(self, job_id: str) -> bool:
        with session_scope(self._engine) as session:
            return bool(_row(session, job_id).cancel_requested)

    def requeue(self, job_id: str) -> TrainJob:
        """Put a failed or cancelled job back in the queue (for :meth:`resume`)."""
        with session_scope(self._engine) as session:
            row = _row(session, job_id)
            if row.status not in ("failed", "cancelled"):
                raise InvalidRequest(
                    f"Job {job_id} is {row.status}; only failed or cancelled jobs can be resumed.",
                    param="fine_tuning_job_id",
                )
            row.status = "queued"
            row.error = None
            row.finished_at = None
            row.cancel_requested = False
            row.worker = None
            row.heartbeat_at = None
            session.flush()
            return _job(row)

    # -- the queue ----------------------------------------------------------------------------

    def claim(self, worker: str, trainers: Collection[str]) -> TrainJob | None:
        """Take the oldest queued job of one of ``trainers`` for ``worker``: it becomes
        ``running`` with a fresh heartbeat. ``None`` if the queue is empty."""
        query = (
            select(TrainJobRow)
            .where(TrainJobRow.status == "queued", TrainJobRow.trainer.in_(list(trainers)))
            .order_by(TrainJobRow.created_at, TrainJobRow.id)
            .limit(1)
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        with session_scope(self._engine) as session:
            row = session.scalars(query).first()
            if row is None:
                return None
            now = utcnow()
            row.status = "running"
            row.worker = worker
            row.heartbeat_at = now
            if row.started_at is None:
                row.started_at = now
            session.flush()
            return _job(row)

    def heartbeat(self, job_id: str, worker: str) -> Heartbeat:
        """Refresh ``worker``'s heartbeat on ``job_id`` and report ownership and cancellation."""
        with session_scope(self._engine) as session:
            result = session.execute(
                update(TrainJobRow)
                .where(
                    TrainJobRow.id == job_id,
                    TrainJobRow.worker == worker,
                    TrainJobRow.status == "running",
                )
                .values(heartbeat_at=utcnow())
            )
            row = _row(session, job_id)
            return Heartbeat(
                owned=bool(getattr(result, "rowcount", 0)), cancel_requested=row.cancel_requested
            )

    def release(self, job_id: str, worker: str) -> bool:
        """Give a running job of ``worker`` back to the queue (the worker is shutting down);
        False if it is no longer that worker's."""
        with session_scope(self._engine) as session:
            result = session.execute(
                update(TrainJobRow)
                .where(
                    TrainJobRow.id == job_id,
                    TrainJobRow.worker == worker,
                    TrainJobRow.status == "running",
                )
                .values(status="queued", worker=None, heartbeat_at=None)
            )
            return bool(getattr(result, "rowcount", 0))

    def requeue_stale(self, stale_before: datetime) -> builtins.list[TrainJob]:
        """Put every ``running`` job whose heartbeat is older than ``stale_before`` back in the
        queue (its worker died); returns those jobs as requeued."""
        query = select(TrainJobRow).where(
            TrainJobRow.status == "running",
            or_(TrainJobRow.heartbeat_at.is_(None), TrainJobRow.heartbeat_at < stale_before),
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        with session_scope(self._engine) as session:
            rows = session.scalars(query).all()
            for row in rows:
                row.status = "queued"
                row.worker = None
                row.heartbeat_at = None
            session.flush()
            return [_job(r) for r in rows]

    # -- events -------------------------------------------------------------------------------

    def add_event(
        self,
        job_id: str,
        message: str,
        *,
        level: str = "info",
        type: str = "message",
        data: Mapping[str, Any] | None = None,
    ) -> JobEvent:
        row = TrainJobEventRow(
            id=new_event_id(),
            job_id=job_id,
            level=level,
            type=type,
            message=message,
            data=dict(data or {}),
            created_at=utcnow(),
        )
        with session_scope(self._engine) as session:
            session.add(row)
            session.flush()
            return _event(row)

    def events(
        self, job_id: str, *, after: str | None = None, limit: int = 20
    ) -> tuple[builtins.list[JobEvent], bool]:
        """One page of the job's events, newest first (``after``: an event id)."""
        query = select(TrainJobEventRow).where(TrainJobEventRow.job_id == job_id)
        with session_scope(self._engine) as session:
            _row(session, job_id)
            if after is not None:
                cursor = session.scalars(
                    select(TrainJobEventRow.seq).where(
                        TrainJobEventRow.id == after, TrainJobEventRow.job_id == job_id
                    )
                ).first()
                if cursor is None:
                    raise NotFound(
                        f"No event {after} in job {job_id}.",
                        hint="Pass the id of an event of this job as `after`.",
                        param="after",
                    )
                query = query.where(TrainJobEventRow.seq < cursor)
            query = query.order_by(TrainJobEventRow.seq.desc()).limit(limit + 1)
            rows = session.scalars(query).all()
            return [_event(r) for r in rows[:limit]], len(rows) > limit

    def count_events(self, job_id: str) -> int:
        with session_scope(self._engine) as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(TrainJobEventRow)
                    .where(TrainJobEventRow.job_id == job_id)
                )
                or 0
            )

    # -- checkpoints --------------------------------------------------------------------------

    def add_checkpoint(
        self,
        job_id: str,
        *,
        step: int,
        path: str,
        metrics: Mapping[str, float] | None = None,
        model_id: str | None = None,
    ) -> Checkpoint:
        row = TrainCheckpointRow(
            id=new_checkpoint_id(),
            job_id=job_id,
            step=step,
            path=path,
            metrics={k: float(v) for k, v in (metrics or {}).items()},
            model_id=model_id,
            created_at=utcnow(),
        )
        with session_scope(self._engine) as session:
            session.add(row)
            session.flush()
            return _checkpoint(row)

    def checkpoints(
        self,
        job_id: str,
        *,
        after: str | None = None,
        limit: int = 10,
        servable_only: bool = False,
    ) -> tuple[builtins.list[Checkpoint], bool]:
        """One page of the job's checkpoints, newest (highest step) first; with
        ``servable_only``, only those with a ``model_id`` a chat completion accepts."""
        query = select(TrainCheckpointRow).where(TrainCheckpointRow.job_id == job_id)
        if servable_only:
            query = query.where(TrainCheckpointRow.model_id.is_not(None))
        with session_scope(self._engine) as session:
            _row(session, job_id)
            if after is not None:
                cursor = session.get(TrainCheckpointRow, after)
                if cursor is None or cursor.job_id != job_id:
                    raise NotFound(
                        f"No checkpoint {after} in job {job_id}.",
                        hint="Pass the id of a checkpoint of this job as `after`.",
                        param="after",
                    )
                query = query.where(
                    or_(
                        TrainCheckpointRow.step < cursor.step,
                        and_(
                            TrainCheckpointRow.step == cursor.step,
                            TrainCheckpointRow.id < cursor.id,
                        ),
                    )
                )
            query = query.order_by(
                TrainCheckpointRow.step.desc(), TrainCheckpointRow.id.desc()
            ).limit(limit + 1)
            rows = session.scalars(query).all()
            return [_checkpoint(r) for r in rows[:limit]], len(rows) > limit

    def latest_checkpoint(self, job_id: str) -> Checkpoint | None:
        found, _ = self.checkpoints(job_id, limit=1)
        return found[0] if found else None
