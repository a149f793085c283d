"""OpenAI's wire format for ``/v1/files`` and ``/v1/fine_tuning/jobs``, as pydantic models.

Why hand-written (as :mod:`tuneloop.serve.schemas`): they generate the OpenAPI spec and validate
requests strictly (an unknown field is a 400 naming it). Shapes follow the official SDK's types
(``openai.types.FileObject``, ``openai.types.fine_tuning.FineTuningJob``,
``FineTuningJobEvent``, ``FineTuningJobCheckpoint``), which the tests parse our answers with.

tuneloop extension: ``method.supervised.hyperparameters`` (and the older top-level
``hyperparameters``) also accept the local trainer's knobs — ``lora_r``, ``max_length``,
``max_steps`` … (:class:`tuneloop.train.base.Hyperparameters`) — besides OpenAI's three.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "CheckpointMetrics",
    "CreateFineTuningJobRequest",
    "DeletedFile",
    "FileList",
    "FileObject",
    "FineTuningCheckpoint",
    "FineTuningCheckpointList",
    "FineTuningEvent",
    "FineTuningEventList",
    "FineTuningJob",
    "FineTuningJobList",
    "HyperparametersIn",
    "JobError",
    "JobHyperparameters",
    "JobMethod",
    "MethodIn",
]

Auto = Literal["auto"]

METADATA_MAX_PAIRS = 16
METADATA_MAX_KEY = 64
METADATA_MAX_VALUE = 512


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- files -------------------------------------------------------------------------------------


class FileObject(BaseModel):
    """An uploaded file."""

    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int = Field(description="Unix seconds.")
    filename: str
    purpose: Literal["fine-tune", "fine-tune-results"]
    status: Literal["uploaded", "processed", "error"] = "processed"
    expires_at: int | None = None
    status_details: str | None = None


class FileList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FileObject]
    has_more: bool
    first_id: str | None = None
    last_id: str | None = None


class DeletedFile(BaseModel):
    id: str
    object: Literal["file"] = "file"
    deleted: bool


# -- job requests ------------------------------------------------------------------------------


class HyperparametersIn(BaseModel):
    """OpenAI's three knobs (``"auto"`` = tuneloop's default) plus, as a tuneloop extension, any
    field of the local trainer's hyperparameters."""

    model_config = ConfigDict(extra="allow")

    batch_size: Auto | int = "auto"
    learning_rate_multiplier: Auto | float = "auto"
    n_epochs: Auto | int = "auto"


class SupervisedIn(_Strict):
    hyperparameters: HyperparametersIn | None = None


class MethodIn(_Strict):
    type: Literal["supervised", "dpo", "reinforcement"]
    supervised: SupervisedIn | None = None
    dpo: dict[str, Any] | None = None
    reinforcement: dict[str, Any] | None = None


class CreateFineTuningJobRequest(_Strict):
    """``POST /v1/fine_tuning/jobs``."""

    model: str = Field(min_length=1, description="A base model this server can train.")
    training_file: str = Field(
        min_length=1,
        description="An uploaded file id (file-…), or a dataset split such as seoul-qa@1:train.",
    )
    validation_file: str | None = None
    hyperparameters: HyperparametersIn | None = Field(
        None, description="Deprecated by OpenAI in favour of method; still accepted."
    )
    method: MethodIn | None = None
    suffix: str | None = Field(None, max_length=64)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    metadata: dict[str, str] | None = Field(
        None,
        description="Up to 16 string pairs (keys up to 64 characters, values up to 512), stored "
        "and returned exactly; tuneloop never acts on them.",
    )
    integrations: list[dict[str, Any]] | None = None

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_is_openais_shape(cls, value: Any) -> Any:
        """OpenAI's limits, checked whole so every problem is reported as ``param: metadata``."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _metadata_error("expected an object of string keys and string values")
        if len(value) > METADATA_MAX_PAIRS:
            raise _metadata_error(
                f"too many properties: at most {METADATA_MAX_PAIRS} pairs, got {len(value)}"
            )
        for key, item in value.items():
            if len(key) > METADATA_MAX_KEY:
                raise _metadata_error(
                    f"key {key[:20]!r}… is {len(key)} characters; the limit is {METADATA_MAX_KEY}"
                )
            if not isinstance(item, str):
                raise _metadata_error(
                    f"the value of {key!r} is {_json_type(item)}; values must be strings"
                )
            if len(item) > METADATA_MAX_VALUE:
                raise _metadata_error(
                    f"the value of {key!r} is {len(item)} characters; the limit is "
                    f"{METADATA_MAX_VALUE}"
                )
        return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "an array" if isinstance(value, list) else "an object"


def _metadata_error(reason: str) -> PydanticCustomError:
    return PydanticCustomError("metadata", "{reason}", {"reason": reason})


# -- job responses -----------------------------------------------------------------------------


class JobError(BaseModel):
    code: str
    message: str
    param: str | None = None


class JobHyperparameters(BaseModel):
    batch_size: Auto | int | None = None
    learning_rate_multiplier: Auto | float | None = None
    n_epochs: Auto | int | None = None


class SupervisedMethod(BaseModel):
    hyperparameters: JobHyperparameters | None = None


class JobMethod(BaseModel):
    type: Literal["supervised", "dpo", "reinforcement"]
    supervised: SupervisedMethod | None = None


class FineTuningJob(BaseModel):
    """The ``fine_tuning.job`` object."""

    id: str
    object: Literal["fine_tuning.job"] = "fine_tuning.job"
    created_at: int
    finished_at: int | None = None
    model: str
    fine_tuned_model: str | None = None
    organization_id: str
    result_files: list[str] = Field(default_factory=list)
    status: Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
    validation_file: str | None = None
    training_file: str
    hyperparameters: JobHyperparameters
    trained_tokens: int | None = None
    error: JobError | None = None
    seed: int
    method: JobMethod
    metadata: dict[str, str] | None = None
    estimated_finish: int | None = None
    integrations: list[dict[str, Any]] | None = None


class FineTuningJobList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FineTuningJob]
    has_more: bool


class FineTuningEvent(BaseModel):
    id: str
    object: Literal["fine_tuning.job.event"] = "fine_tuning.job.event"
    created_at: int
    level: Literal["info", "warn", "error"]
    message: str
    type: Literal["message", "metrics"] = "message"
    data: dict[str, Any] | None = None


class FineTuningEventList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FineTuningEvent]
    has_more: bool


class CheckpointMetrics(BaseModel):
    step: float | None = None
    train_loss: float | None = None
    train_mean_token_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None


class FineTuningCheckpoint(BaseModel):
    id: str
    object: Literal["fine_tuning.job.checkpoint"] = "fine_tuning.job.checkpoint"
    created_at: int
    fine_tuned_model_checkpoint: str
    fine_tuning_job_id: str
    metrics: CheckpointMetrics
    step_number: int


class FineTuningCheckpointList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FineTuningCheckpoint]
    has_more: bool
    first_id: str | None = None
    last_id: str | None = None
