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
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

# The job values live in the store (a foundation), which persists them; re-exported here because
# they are the training seam's vocabulary.
from tuneloop.store.train_values import (
    TERMINAL,
    Checkpoint,
    JobEvent,
    JobStatus,
    Registration,
    TrainJob,
)

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
