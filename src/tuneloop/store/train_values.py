"""The values a fine-tuning job reports in: status, events, checkpoints, the job itself, and where
its result is registered.

Why here, in the store, and not in :mod:`tuneloop.train`: the store persists exactly these values
(:mod:`tuneloop.store.train_jobs`), and a foundation never imports a component. The training seam
(:mod:`tuneloop.train.base`) re-exports them as its vocabulary. Fields follow OpenAI's fine-tuning
job object, so the server routes are a thin mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["TERMINAL", "Checkpoint", "JobEvent", "JobStatus", "Registration", "TrainJob"]

JobStatus = Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class Registration:
    """Where a finished job's model is registered, and the lineage recorded with it.

    Why a value of its own, apart from ``metadata``: ``metadata`` is the client's (OpenAI's
    16 string pairs, stored and echoed, never read by tuneloop). What happens to a job's result is
    decided by whoever is trusted to decide it — ``tuneloop train run`` sets this from the train
    file; ``POST /v1/fine_tuning/jobs`` never can (a job without one is registered by the rule
    in :mod:`tuneloop.train.finish`). It is stored in its own column of the job record.
    """

    model_name: str
    dataset_ref: str | None = None
    prompt_ref: str | None = None
    author: str | None = None

    def as_dict(self) -> dict[str, str]:
        """Only the fields that are set (what the job record stores)."""
        return {k: v for k, v in vars(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Registration:
        return cls(
            model_name=str(data["model_name"]),
            dataset_ref=data.get("dataset_ref"),
            prompt_ref=data.get("prompt_ref"),
            author=data.get("author"),
        )


@dataclass(frozen=True)
class JobEvent:
    """One line of a job's log: a message, or metrics (``type="metrics"``, ``data`` holds step,
    train_loss, valid_loss, tokens_per_second …), as in OpenAI's fine-tuning events."""

    id: str
    job_id: str
    created_at: datetime
    level: Literal["info", "warn", "error"]
    message: str
    type: Literal["message", "metrics"] = "message"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checkpoint:
    """A saved training state a job can resume from or serve (``model_id`` is servable)."""

    id: str
    job_id: str
    step: int
    created_at: datetime
    path: str
    metrics: dict[str, float] = field(default_factory=dict)
    model_id: str | None = None


@dataclass(frozen=True)
class TrainJob:
    """A fine-tuning job as both trainers report it (fields follow OpenAI's job object)."""

    id: str
    trainer: str
    status: JobStatus
    base_model: str
    training_data: str
    validation_data: str | None
    hyperparameters: dict[str, Any]
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    error: dict[str, Any] | None = None
    suffix: str | None = None
    seed: int | None = None
    external_id: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    registration: Registration | None = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL
