"""The database tables, as typed SQLAlchemy 2 declarative models.

Why typed ``Mapped[...]`` models: mypy checks every column access, and the same metadata lets a
test compare the hand-written Alembic migrations with the models (autogenerate's
``compare_metadata``), so the two cannot drift apart unnoticed.

These ORM classes stay inside :mod:`tuneloop.store`. Callers get frozen dataclasses
(``ApiKeyRecord``, ``ArtifactRecord`` …) that are not bound to a session, so nothing lazy-loads
after the transaction that produced them is gone.

Times are timezone-aware UTC everywhere. PostgreSQL stores ``timestamptz``; SQLite has no time zone
type, so :class:`UTCDateTime` normalises to UTC on the way in and re-attaches UTC on the way out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AliasEventRow",
    "AliasRow",
    "ApiKey",
    "Artifact",
    "Base",
    "DatasetVersionRow",
    "EvalResultRow",
    "EvalRunRow",
    "FileRow",
    "GateResultRow",
    "IndexVersionRow",
    "ModelRegistrationRow",
    "ModelRouteRow",
    "ModelVersionRow",
    "Project",
    "PromptRunResultRow",
    "PromptRunRow",
    "PromptVersionRow",
    "ResponseCacheRow",
    "TrainCheckpointRow",
    "TrainJobEventRow",
    "TrainJobRow",
    "UTCDateTime",
    "utcnow",
]

# Deterministic constraint names, so migrations can drop or alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that always hands back aware UTC datetimes, also on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelRegistrationRow(Base):
    __tablename__ = "model_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    backend: Mapped[str] = mapped_column(String(100))
    config: Mapped[dict[str, Any]]
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key: only its sha256 and a short display prefix are stored, never the key.

    ``scopes`` is a JSON list of scope names; ``models`` a JSON list (the model allow-list) or
    NULL for every model.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    scopes: Mapped[list[str]] = mapped_column(JSON)
    models: Mapped[list[str] | None] = mapped_column(JSON)


class Artifact(Base):
    """Index row of a content-addressed file; ``relpath`` is relative to the artifact folder."""

    __tablename__ = "artifacts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(255))
    relpath: Mapped[str] = mapped_column(String(512))
    # ``metadata`` is reserved on declarative classes, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptVersionRow(Base):
    """One immutable version of a prompt: the YAML text as pushed, numbered 1, 2, 3 … per name.

    ``(name, version)`` is unique so concurrent pushes cannot both take the same number;
    ``(name, content_hash)`` is unique so pushing the same text twice cannot make a second version.
    """

    __tablename__ = "prompt_versions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_prompt_versions_name_version"),
        UniqueConstraint("name", "content_hash", name="uq_prompt_versions_name_content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptRunRow(Base):
    """One `tuneloop prompt run` / `compare` arm: which prompt, which model, with what params."""

    __tablename__ = "prompt_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    prompt_ref: Mapped[str] = mapped_column(String(500))
    prompt_name: Mapped[str] = mapped_column(String(200), index=True)
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    prompt_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(500))
    # The version `model` resolved to (seoul-guide@2) and its content hash; NULL before 0012.
    model_version: Mapped[str | None] = mapped_column(String(500))
    model_hash: Mapped[str | None] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    n_cases: Mapped[int] = mapped_column(Integer)
    n_errors: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptRunResultRow(Base):
    """One case of a prompt run: its variables, the messages sent, and the answer or error."""

    __tablename__ = "prompt_run_results"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id"],
            ["prompt_runs.id"],
            name="fk_prompt_run_results_run_id_prompt_runs",
            ondelete="CASCADE",
        ),
        UniqueConstraint("run_id", "idx", name="uq_prompt_run_results_run_id_idx"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(40))
    idx: Mapped[int] = mapped_column(Integer)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    messages: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    output: Mapped[str | None] = mapped_column(Text)
    finish_reason: Mapped[str | None] = mapped_column(String(20))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    # The retrieved passages the answer was given (numbered as in the messages); NULL before 0015.
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class DatasetVersionRow(Base):
    """One immutable version of a prepared dataset, numbered 1, 2, 3 … per name.

    ``files`` maps each split (``train``, ``validation``, ``test``, or ``all``) to the sha256 of a
    record file in the artifact store; ``content_hash`` is derived from those, so the same data
    pushed twice is one version. ``pipeline`` records the steps and parameters (seeds included)
    that produced it; ``parent`` is the reference of the version it was derived from, if any.
    """

    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
        UniqueConstraint("name", "content_hash", name="uq_dataset_versions_name_content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    parent: Mapped[str | None] = mapped_column(String(300))
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    pipeline: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    card: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvalRunRow(Base):
    """One `tuneloop eval run`: which suite (and its content hash), model, prompt and params.

    ``model`` is the reference the user typed; ``model_version`` / ``model_hash`` the immutable
    version and content hash it resolved to (``NULL`` for runs of a bare model or from before
    migration 0011). ``summary`` holds each metric's mean (``null`` where no case has the
    metric), so listing runs never has to read their results.
    """

    __tablename__ = "eval_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    suite: Mapped[str] = mapped_column(String(200), index=True)
    suite_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(500))
    model_version: Mapped[str | None] = mapped_column(String(500), index=True)
    model_hash: Mapped[str | None] = mapped_column(String(100))
    prompt_ref: Mapped[str | None] = mapped_column(String(500))
    metrics: Mapped[list[str]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    n_cases: Mapped[int] = mapped_column(Integer)
    n_errors: Mapped[int] = mapped_column(Integer)
    n_passed: Mapped[int] = mapped_column(Integer)
    n_failed: Mapped[int] = mapped_column(Integer)
    n_cached: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvalResultRow(Base):
    """One case of an eval run; everything but its position and id is one JSON document."""

    __tablename__ = "eval_results"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id"],
            ["eval_runs.id"],
            name="fk_eval_results_run_id_eval_runs",
            ondelete="CASCADE",
        ),
        UniqueConstraint("run_id", "idx", name="uq_eval_results_run_id_idx"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(40))
    idx: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ResponseCacheRow(Base):
    """A model answer remembered under the sha256 of (model identity, messages, sampling params)."""

    __tablename__ = "response_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(500))
    output: Mapped[str] = mapped_column(Text)
    finish_reason: Mapped[str] = mapped_column(String(20))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FileRow(Base):
    """An uploaded file (OpenAI's ``/v1/files``): its bytes live in the artifact store."""

    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(40))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="processed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainJobRow(Base):
    """A fine-tuning job (fields follow OpenAI's job object) plus what a worker needs to run it:
    who claimed it, its last heartbeat, and whether a cancel was requested."""

    __tablename__ = "train_jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    trainer: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    base_model: Mapped[str] = mapped_column(String(500))
    training_data: Mapped[str] = mapped_column(String(500))
    validation_data: Mapped[str | None] = mapped_column(String(500))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    suffix: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(Integer)
    fine_tuned_model: Mapped[str | None] = mapped_column(String(500))
    trained_tokens: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    external_id: Mapped[str | None] = mapped_column(String(200))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    # Set only by trusted callers (``tuneloop train run``), never from an API request: where the
    # result is registered and its lineage. ``metadata`` above is the client's and never read.
    registration: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    worker: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class TrainJobEventRow(Base):
    """One event of a job (a message or a metrics line), in order of ``seq``."""

    __tablename__ = "train_job_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["job_id"],
            ["train_jobs.id"],
            name="fk_train_job_events_job_id_train_jobs",
            ondelete="CASCADE",
        ),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    job_id: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainCheckpointRow(Base):
    """A saved training state of a job (a folder on disk, under the artifact dir)."""

    __tablename__ = "train_checkpoints"
    __table_args__ = (
        ForeignKeyConstraint(
            ["job_id"],
            ["train_jobs.id"],
            name="fk_train_checkpoints_job_id_train_jobs",
            ondelete="CASCADE",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40), index=True)
    step: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1000))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_id: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelVersionRow(Base):
    """One immutable version of a named model, with its lineage: the base model, the dataset and
    prompt versions, the hyperparameters and job that made it, its metrics and artifacts.

    ``model_id`` is the servable name (``ft:smollm2-135m:tuneloop:seoul:abc123``); ``backend`` +
    ``config`` say how to serve it, as for a model registration.
    """

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_versions_name_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(String(500), unique=True)
    backend: Mapped[str] = mapped_column(String(100))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_model: Mapped[str] = mapped_column(String(500))
    job_id: Mapped[str | None] = mapped_column(String(40))
    dataset_ref: Mapped[str | None] = mapped_column(String(300))
    prompt_ref: Mapped[str | None] = mapped_column(String(300))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    artifacts: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AliasRow(Base):
    """Where an alias (production, staging …) of a prompt, dataset or model points now.

    One table for all three kinds (``kind`` is ``prompt``, ``dataset`` or ``model``), because an
    alias means the same thing for each: a movable name for one immutable version. There is no
    foreign key to the three version tables; :mod:`tuneloop.registry.core` checks the version
    exists in the same transaction that moves the alias.
    """

    __tablename__ = "aliases"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class AliasEventRow(Base):
    """One move of an alias — set (``from_version`` null), moved, or removed (``to_version``
    null) — with why: ``reason`` (required for forced moves and roll backs of protected aliases)
    and ``gate_id``, the stored gate result that allowed a protected move."""

    __tablename__ = "alias_events"
    __table_args__ = (Index("ix_alias_events_kind_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    alias: Mapped[str] = mapped_column(String(100))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    gate_id: Mapped[str | None] = mapped_column(String(40))


class GateResultRow(Base):
    """One stored gate decision: did ``candidate_version`` of ``model_name`` pass against the
    version its target alias pointed at, on a named suite?

    Why stored: a protected alias (``production``) moves only with evidence, and the evidence must
    name *that* version and *that* baseline version — not a run of whatever the alias meant then.
    Rows are never updated; a new gate writes a new row.
    """

    __tablename__ = "gate_results"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), index=True)
    candidate_version: Mapped[int] = mapped_column(Integer)
    candidate_hash: Mapped[str | None] = mapped_column(String(100))
    baseline_model: Mapped[str] = mapped_column(String(500))
    baseline_version: Mapped[int | None] = mapped_column(Integer)
    alias: Mapped[str | None] = mapped_column(String(100))
    suite: Mapped[str] = mapped_column(String(300))
    suite_hash: Mapped[str] = mapped_column(String(64))
    candidate_run_id: Mapped[str] = mapped_column(String(40))
    baseline_run_id: Mapped[str] = mapped_column(String(40))
    passed: Mapped[bool] = mapped_column(Boolean)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelRouteRow(Base):
    """A served model name answered by another model reference (``ft:…`` → ``support@production``),
    resolved by the catalog on every request (:mod:`tuneloop.store.model_routes`)."""

    __tablename__ = "model_routes"

    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    target: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexVersionRow(Base):
    """One immutable version of a knowledge index (``seoul-docs@3``), numbered 1, 2, 3 … per name.

    ``passages`` is the sha256 of a JSON Lines artifact holding every passage with its source,
    span, id and BM25 terms, and ``bm25`` that of the saved ``bm25s`` index over them (a tar;
    NULL: rebuild from the terms on load). ``documents`` is the lineage: each document's label →
    its sha256 and passage count. ``settings`` holds the chunking settings and retrieval method;
    ``content_hash`` is derived from the documents' hashes and the settings, so rebuilding
    unchanged documents is the same version. ``changes`` lists what differs from ``parent``
    (added, changed, removed files).
    """

    __tablename__ = "index_versions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_index_versions_name_version"),
        UniqueConstraint("name", "content_hash", name="uq_index_versions_name_content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    parent: Mapped[str | None] = mapped_column(String(300))
    passages: Mapped[str] = mapped_column(String(64))
    bm25: Mapped[str | None] = mapped_column(String(64))
    documents: Mapped[dict[str, Any]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
