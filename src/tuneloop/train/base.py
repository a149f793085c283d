"""The training seam: one :class:`Trainer` protocol, two kinds of implementation (``local-lora``
trains here; ``openai`` drives OpenAI's — or any compatible server's — fine-tuning API), and the
job values both report in.

Why OpenAI's job model for everything: it is what teams moving off OpenAI already script against
(statuses ``validating_files → queued → running → succeeded | failed | cancelled``, events,
checkpoints, ``fine_tuned_model``), and tuneloop's own server exposes local jobs through the same
``/v1/fine_tuning/jobs`` API. Using the same states and fields inside tuneloop means the server
routes are a thin mapping, not a translation layer.

Hyperparameters are given in one place (:class:`Hyperparameters`, pydantic: the CLI flags, the
``train.yaml`` keys and the JSON Schema all come from it). OpenAI's three knobs (``n_epochs``,
``batch_size``, ``learning_rate_multiplier``) are fields of it, so an OpenAI-style request maps
onto a local run one to one; the local trainer adds the LoRA and schedule knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "TERMINAL",
    "Checkpoint",
    "Hyperparameters",
    "JobEvent",
    "JobStatus",
    "Registration",
    "TrainJob",
    "TrainRequest",
    "Trainer",
]

JobStatus = Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class Hyperparameters(BaseModel):
    """Everything that shapes a training run. Defaults suit LoRA on a small model on a CPU.

    ``learning_rate`` is the local trainer's base rate; ``learning_rate_multiplier`` (OpenAI's
    knob) scales it, so ``learning_rate_multiplier: 2`` means the same thing on both trainers.
    """

    model_config = ConfigDict(extra="forbid")

    n_epochs: int = Field(3, ge=1, le=50, description="Passes over the training data.")
    batch_size: int = Field(
        4, ge=1, le=1024, description="Examples (or packed rows) per micro-batch."
    )
    learning_rate_multiplier: float = Field(
        1.0, gt=0, le=100, description="Scales learning_rate (OpenAI's knob)."
    )
    learning_rate: float = Field(2e-4, gt=0, le=1, description="Base learning rate (local).")
    gradient_accumulation_steps: int = Field(
        1, ge=1, le=1024, description="Micro-batches per optimizer step (larger effective batch)."
    )
    lora_r: int = Field(8, ge=1, le=512, description="LoRA rank.")
    lora_alpha: int = Field(16, ge=1, le=4096, description="LoRA scaling (alpha / r).")
    lora_dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA path.")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
        description="Module names LoRA adapts (attention projections by default).",
    )
    max_length: int = Field(1024, ge=16, le=131072, description="Tokens per example/packed row.")
    packing: bool | None = Field(
        None,
        description="Pack several examples per row (true), length-grouped batches (false), or "
        "auto (null): packing on a GPU, length grouping on a CPU, where packing measured slower "
        "(bench/README.md, train_throughput).",
    )
    warmup_ratio: float = Field(
        0.05, ge=0, lt=1, description="Share of steps with a linear learning-rate warm-up."
    )
    scheduler: Literal["linear", "cosine", "constant"] = Field(
        "linear", description="Learning-rate decay after warm-up."
    )
    weight_decay: float = Field(0.0, ge=0, le=1, description="AdamW weight decay.")
    seed: int = Field(0, description="Seeds data order, LoRA init and dropout.")
    eval_every: int | None = Field(
        None, ge=1, description="Validation every N steps (default: once per epoch)."
    )
    save_every: int = Field(50, ge=1, description="Checkpoint every N optimizer steps.")
    early_stopping_patience: int | None = Field(
        None, ge=1, description="Stop after this many evaluations without improvement."
    )
    max_steps: int | None = Field(None, ge=1, description="Stop after N steps (overrides epochs).")

    def for_device(self, device: str) -> Hyperparameters:
        """These hyperparameters with ``packing: auto`` decided for ``device``."""
        if self.packing is not None:
            return self
        return self.model_copy(update={"packing": device.startswith("cuda")})

    @property
    def effective_learning_rate(self) -> float:
        return self.learning_rate * self.learning_rate_multiplier


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
class TrainRequest:
    """What to train: a base model, training data (a dataset split ref such as
    ``seoul-qa@1:train``, a record file, or an uploaded file id ``file-…``), optional validation
    data, hyperparameters, and the suffix that names the result (``ft:BASE:tuneloop:SUFFIX:ID``).

    ``metadata`` is the client's and is only stored and echoed; ``registration`` is set only by a
    trusted caller (``tuneloop train run``), never from an API request."""

    base_model: str
    training_data: str
    validation_data: str | None = None
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    suffix: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    registration: Registration | None = None


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


@runtime_checkable
class Trainer(Protocol):
    """A way to fine-tune. Implementations register by name through the ``register_trainers``
    plugin hook; ``tuneloop train --trainer NAME`` and the server pick them by that name."""

    name: str

    def start(self, request: TrainRequest) -> TrainJob:
        """Validate the request (data, hyperparameters) before any compute, then create the
        job. Raises :class:`~tuneloop.errors.TrainError` / ``DataError`` for bad input."""
        ...

    def get(self, job_id: str) -> TrainJob: ...

    def events(self, job_id: str, *, after: str | None = None, limit: int = 20) -> list[JobEvent]:
        """Newest first, like OpenAI's list of events."""
        ...

    def checkpoints(self, job_id: str) -> list[Checkpoint]: ...

    def cancel(self, job_id: str) -> TrainJob: ...

    def resume(self, job_id: str) -> TrainJob:
        """Continue a failed or interrupted job from its last checkpoint."""
        ...
