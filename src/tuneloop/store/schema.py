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
    DateTime,
    Dialect,
    Float,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ApiKey",
    "Artifact",
    "Base",
    "DatasetVersionRow",
    "ModelRegistrationRow",
    "Project",
    "PromptLabelEventRow",
    "PromptLabelRow",
    "PromptRunResultRow",
    "PromptRunRow",
    "PromptVersionRow",
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
    """An API key: only its sha256 and a short display prefix are stored, never the key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


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


class PromptLabelRow(Base):
    """Where a label (production, staging …) of a prompt points now; it must name a version."""

    __tablename__ = "prompt_labels"
    __table_args__ = (
        ForeignKeyConstraint(
            ["name", "version"],
            ["prompt_versions.name", "prompt_versions.version"],
            name="fk_prompt_labels_name_prompt_versions",
        ),
    )

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    label: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class PromptLabelEventRow(Base):
    """One move of a label: set (``from_version`` null), moved, or removed (``to_version`` null)."""

    __tablename__ = "prompt_label_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    label: Mapped[str] = mapped_column(String(100))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(200))


class PromptRunRow(Base):
    """One `tuneloop prompt run` / `compare` arm: which prompt, which model, with what params."""

    __tablename__ = "prompt_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    prompt_ref: Mapped[str] = mapped_column(String(500))
    prompt_name: Mapped[str] = mapped_column(String(200), index=True)
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    prompt_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(500))
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
