"""The train file (``train.yaml``): what ``tuneloop train run FILE`` trains, and how it becomes a
:class:`~tuneloop.train.base.TrainRequest`.

Why a file and not only flags: a training run is a record — the base model, the dataset version,
the prompt, every hyperparameter and the seed — that belongs in version control next to the data
pipeline (``data.yaml``) and the evaluation suites, so the same run can be repeated and reviewed.
Flags override the file for one-off experiments (``--epochs 1``).

The format is one pydantic model (:class:`TrainConfig`, ``extra="forbid"``): the same model
validates the file, documents it (``Field(description=...)``) and yields its JSON Schema, and
hyperparameters are :class:`~tuneloop.train.base.Hyperparameters` itself, so file keys and job
fields can never drift apart. YAML is read with :mod:`tuneloop.yamlfile` so a wrong key or value
is reported as ``train.yaml:12:5``; a ``.toml`` file is read with the standard library's
``tomllib`` (TOML has no node positions, so its errors name the dotted key instead).

Data is named either as a dataset version — ``dataset: seoul-qa@latest`` trains on its ``train``
split and validates on its ``validation`` split when it has one, and the version is pinned
(``seoul-qa@3``) when the request is built, so the job and the model's lineage record what was
really used — or explicitly with ``training_data`` / ``validation_data`` (a dataset split such as
``seoul-qa@3:train``, a JSONL file relative to the train file, or an uploaded ``file-…`` id).

What becomes of the result is only registration (``model_name``, with the lineage): the file
cannot move an alias. ``promote_to`` is refused with a pointer to the gated way
(:data:`PROMOTE_TO_GONE`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tuneloop.errors import ConfigError, DataError
from tuneloop.train.base import Hyperparameters, Registration, TrainRequest
from tuneloop.train.finish import model_name_for
from tuneloop.yamlfile import load_yaml, validate_yaml

if TYPE_CHECKING:
    from tuneloop.registry import Store

__all__ = [
    "DEFAULT_TRAINER",
    "PROMOTE_TO_GONE",
    "OpenAITrainOptions",
    "ResolvedData",
    "TrainConfig",
    "apply_overrides",
    "load_train_config",
    "registry_name",
    "resolve_data",
    "train_request",
]

DEFAULT_TRAINER = "local-lora"
TRAIN_SPLIT = "train"
VALIDATION_SPLIT = "validation"
PROMOTE_TO_GONE = (
    "promotion now goes through `tuneloop eval gate` and `tuneloop models promote`; "
    "see docs/train.md"
)


class OpenAITrainOptions(BaseModel):
    """Where the ``openai`` trainer sends the job; unset keys fall back to the project's
    ``[openai]`` settings."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        None,
        description="Fine-tuning API base URL, e.g. http://127.0.0.1:8000/v1 for a tuneloop "
        "server; default: the project's [openai] base_url (None means OpenAI).",
    )
    api_key_env: str | None = Field(
        None, description="Environment variable holding the API key (default: [openai])."
    )


class TrainConfig(BaseModel):
    """A training run: trainer, base model, data, hyperparameters, and the registry name and
    lineage of the result (registered, never promoted)."""

    model_config = ConfigDict(extra="forbid")

    trainer: str = Field(
        DEFAULT_TRAINER,
        description="Trainer name: local-lora (LoRA on this machine) or openai (a fine-tuning "
        "API); plugins may add others.",
        json_schema_extra={"examples": ["local-lora", "openai"]},
    )
    base_model: str = Field(
        description="Model to fine-tune: a model name (smollm2-135m), a local folder, or for "
        "openai a model such as gpt-4o-mini-2024-07-18."
    )
    dataset: str | None = Field(
        None,
        description="Dataset version (seoul-qa@3, seoul-qa@latest): trains on its train split and "
        "validates on its validation split.",
    )
    training_data: str | None = Field(
        None,
        description="Explicit training data instead of dataset: a split (seoul-qa@3:train), a "
        "JSONL file (relative to this file) or an uploaded file id.",
    )
    validation_data: str | None = Field(
        None, description="Explicit validation data (overrides the dataset's validation split)."
    )
    hyperparameters: Hyperparameters = Field(
        default_factory=Hyperparameters,
        description="Epochs, batch size, learning rate, LoRA, schedule, seed (see docs/train.md).",
    )
    suffix: str | None = Field(
        None,
        description="Names the result ft:BASE:tuneloop:SUFFIX:ID (default: model_name).",
    )
    model_name: str | None = Field(
        None,
        description="Model-registry name the result is versioned under, e.g. seoul-guide.",
    )
    prompt: str | None = Field(
        None, description="Prompt version used with this model (seoul-guide@2), for lineage."
    )
    openai: OpenAITrainOptions = Field(
        default_factory=OpenAITrainOptions,
        description="Where the openai trainer sends the job.",
    )

    @model_validator(mode="after")
    def _data_named_once(self) -> TrainConfig:
        if self.dataset is None and self.training_data is None:
            raise ValueError("name the data: dataset (seoul-qa@3) or training_data")
        if self.dataset is not None and self.training_data is not None:
            raise ValueError(
                "give dataset or training_data, not both (training_data overrides nothing)"
            )
        return self

    @property
    def result_name(self) -> str | None:
        """The suffix the job is submitted with: ``suffix``, else ``model_name``."""
        return self.suffix or self.model_name


def _refuse_promote_to(data: Any, where: str) -> None:
    """``promote_to`` used to move an alias when training succeeded; a file that still has it
    must fail loudly, not train and silently leave the alias where it was."""
    if isinstance(data, Mapping) and "promote_to" in data:
        raise ConfigError(
            f"{where}: `promote_to` is no longer a train file key: training registers a new "
            f"version and never moves an alias — {PROMOTE_TO_GONE}.",
            hint="Remove promote_to, train, then run `tuneloop eval gate …` and "
            "`tuneloop models promote NAME@N --to ALIAS`.",
            param="promote_to",
        )


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file.", hint="Check the path.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text.", hint="Save the file as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML — {exc}.", hint="Fix the TOML syntax.") from exc


def _validation_error(source: str, exc: ValidationError) -> ConfigError:
    lines = []
    for err in exc.errors():
        dotted = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{source}: {dotted}: {msg}")
    return ConfigError("; ".join(lines) + ".", hint="See docs/train.md for the train file keys.")


def _relative_paths(config: TrainConfig, base_dir: Path) -> TrainConfig:
    """Data paths in a file are relative to that file (as in ``data.yaml``)."""
    changes: dict[str, str] = {}
    for key in ("training_data", "validation_data"):
        value = getattr(config, key)
        if value and not Path(value).is_absolute() and (base_dir / value).exists():
            changes[key] = str((base_dir / value).resolve())
    return config.model_copy(update=changes) if changes else config


def load_train_config(path: str | Path) -> TrainConfig:
    """Read and validate a train file (YAML, or TOML when it ends in ``.toml``).

    Raises :class:`ConfigError` naming ``file:line:column`` (YAML) or the dotted key (TOML).
    """
    file = Path(path)
    if file.suffix == ".toml":
        data = _toml(file)
        _refuse_promote_to(data, str(file))
        try:
            config = TrainConfig.model_validate(data)
        except ValidationError as exc:
            raise _validation_error(str(file), exc) from exc
    else:
        doc = load_yaml(file, ConfigError)
        _refuse_promote_to(doc.data, doc.where(("promote_to",)))
        config = validate_yaml(doc, TrainConfig, ConfigError)
    return _relative_paths(config, file.resolve().parent)


def apply_overrides(
    config: TrainConfig | None,
    fields: Mapping[str, Any],
    hyperparameters: Mapping[str, Any],
    *,
    source: str = "command line",
) -> TrainConfig:
    """``config`` with the given top-level ``fields`` and ``hyperparameters`` replaced (None
    values are skipped), validated again. With no config the fields must make a whole one.

    Giving ``dataset`` drops the file's ``training_data`` and vice versa, so a flag can switch
    how the data is named.
    """
    base: dict[str, Any] = config.model_dump(exclude_unset=True) if config is not None else {}
    given = {k: v for k, v in fields.items() if v is not None}
    _refuse_promote_to(given, source)
    if "dataset" in given:
        base.pop("training_data", None)
    if "training_data" in given:
        base.pop("dataset", None)
    base.update(given)
    hp = {k: v for k, v in hyperparameters.items() if v is not None}
    if hp:
        base["hyperparameters"] = {**dict(base.get("hyperparameters") or {}), **hp}
    try:
        return TrainConfig.model_validate(base)
    except ValidationError as exc:
        raise _validation_error(source, exc) from exc


@dataclass(frozen=True)
class ResolvedData:
    """Training and validation data refs after the dataset version is pinned (``dataset_ref``
    is ``seoul-qa@3``, or None when the data was named explicitly)."""

    training: str
    validation: str | None
    dataset_ref: str | None


def resolve_data(config: TrainConfig, store: Store | None) -> ResolvedData:
    """Pin ``dataset`` to a version number and name its splits; explicit data passes through.

    Raises :class:`DataError` if the dataset version has no ``train`` split, and NotFound (from
    the registry) for an unknown dataset or version.
    """
    if config.dataset is None:
        assert config.training_data is not None  # the model validator guarantees it
        return ResolvedData(config.training_data, config.validation_data, None)
    if store is None:
        raise DataError(
            f"dataset: {config.dataset} needs the project's store.",
            hint="Run inside a project (tuneloop init), or give training_data as a file.",
        )
    version = store.datasets.get(config.dataset)
    if TRAIN_SPLIT not in version.files:
        raise DataError(
            f"Dataset {version.ref} has no {TRAIN_SPLIT!r} split (it has "
            f"{', '.join(version.splits)}).",
            hint=f"Name the split to train on: training_data: {version.ref}:{version.splits[0]}.",
        )
    validation = config.validation_data
    if validation is None and VALIDATION_SPLIT in version.files:
        validation = f"{version.ref}:{VALIDATION_SPLIT}"
    return ResolvedData(f"{version.ref}:{TRAIN_SPLIT}", validation, version.ref)


def registry_name(config: TrainConfig) -> str:
    """The model-registry name a run's result is versioned under: ``model_name``, else the
    suffix, else ``{base}-ft``."""
    return config.model_name or model_name_for(config.result_name, config.base_model)


def train_request(config: TrainConfig, data: ResolvedData, *, author: str) -> TrainRequest:
    """The request a trainer starts from. The registry name, the pinned dataset version, the
    prompt and ``author`` travel in the job's :class:`~tuneloop.train.base.Registration` — the
    trusted field an API request can never set — so whoever finishes the job (this process or
    a worker) registers the result as the train file says."""
    return TrainRequest(
        base_model=config.base_model,
        training_data=data.training,
        validation_data=data.validation,
        hyperparameters=config.hyperparameters,
        suffix=config.result_name,
        registration=Registration(
            model_name=registry_name(config),
            dataset_ref=data.dataset_ref,
            prompt_ref=config.prompt,
            author=author,
        ),
    )
