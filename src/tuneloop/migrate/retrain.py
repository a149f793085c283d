"""``tuneloop migrate openai retrain``: the OpenAI job's settings translated into a local train
file, with the reasoning written down, then trained by the ordinary training workflow.

What is translated, and why each rule (every rule also lands as a YAML comment in
``<project>/migrate/NAME/train.yaml`` and in ``--json``):

- **base model** — OpenAI's base models are not downloadable, so a local model stands in:
  ``--base``, else :data:`BASE_MODELS` by the job's base-model family (longest prefix:
  ``gpt-4o-mini-2024-07-18`` is ``gpt-4o-mini``, not ``gpt-4o``). On this machine only
  SmolLM2-135M's weights are available offline, so it is every family's default here; the table
  also names what a team with a GPU would run instead (``suggested``).
- **n_epochs** — copied. ``auto`` becomes the OpenAI cookbook's heuristic
  (:func:`tuneloop.data.tokenstats.default_epochs`: 3, more for small files, fewer for big ones).
- **learning_rate_multiplier** — OpenAI multiplies an undisclosed base learning rate of its own;
  the only transferable meaning is "relative to the default". The local LoRA default
  (:data:`LORA_BASE_LR`, the trainer's own default) is scaled the same way and clamped to
  [:data:`LR_MIN`, :data:`LR_MAX`], a range in which LoRA on small models trains stably. ``auto``
  keeps the local default.
- **batch_size** — the *effective* batch (examples per optimizer step) is kept, split into a
  micro-batch that fits this machine (at most :data:`CPU_MICRO_BATCH` on a CPU,
  :data:`GPU_MICRO_BATCH` on a GPU) times gradient-accumulation steps. ``auto`` is OpenAI's
  documented default of about 0.2 % of the training examples, capped at 256.
- **LoRA** — OpenAI does not say how it fine-tunes; rank 16 on every attention and MLP
  projection is what the bundled Seoul example uses and what the local trainer is tuned for.

The result trains as the next version of the **same model name** as the source (``NAME@2``
local vs ``NAME@1`` source), on the dataset version pull registered (``NAME-openai@N``: its
``train`` split, and its ``validation`` split when the job had one), through
:func:`tuneloop.train.run.start` — registered, never promoted (``parity`` gathers the evidence,
``tuneloop models promote`` moves the alias).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.atomicfile import atomic_write_text
from tuneloop.errors import InvalidRequest
from tuneloop.migrate.pull import find_source
from tuneloop.train.base import Hyperparameters
from tuneloop.train.config import DEFAULT_TRAINER, TrainConfig, load_train_config

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.registry import Store
    from tuneloop.registry.models import ModelVersion
    from tuneloop.train.run import TrainRun

__all__ = [
    "BASE_MODELS",
    "CPU_MICRO_BATCH",
    "GPU_MICRO_BATCH",
    "LORA_BASE_LR",
    "LR_MAX",
    "LR_MIN",
    "BaseChoice",
    "Knob",
    "RetrainPlan",
    "plan_retrain",
    "start_retrain",
    "train_file_path",
    "write_train_file",
]

LORA_BASE_LR = Hyperparameters.model_fields["learning_rate"].default
LR_MIN = 1e-5
LR_MAX = 1e-3
CPU_MICRO_BATCH = 8
GPU_MICRO_BATCH = 16
AUTO_BATCH_SHARE = 0.002
AUTO_BATCH_CAP = 256
LORA = {
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_dropout": 0.05,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}
_KNOBS = ("n_epochs", "batch_size", "learning_rate_multiplier")


@dataclass(frozen=True)
class BaseChoice:
    """A local stand-in for one OpenAI base-model family: what runs here, what a GPU would run."""

    local: str
    suggested: str


_HERE = "smollm2-135m"
BASE_MODELS: dict[str, BaseChoice] = {
    "gpt-4.1-nano": BaseChoice(_HERE, "Qwen2.5-1.5B-Instruct or Llama-3.2-1B/3B-Instruct"),
    "gpt-4o-mini": BaseChoice(
        _HERE, "Qwen2.5-7B-Instruct or Llama-3.1-8B-Instruct (EXAONE-3.5-7.8B for Korean)"
    ),
    "gpt-4.1-mini": BaseChoice(
        _HERE, "Qwen2.5-7B-Instruct or Llama-3.1-8B-Instruct (EXAONE-3.5-7.8B for Korean)"
    ),
    "gpt-3.5-turbo": BaseChoice(_HERE, "Qwen2.5-7B-Instruct or Llama-3.1-8B-Instruct"),
    "gpt-4o": BaseChoice(_HERE, "Qwen2.5-32B/72B-Instruct or Llama-3.3-70B-Instruct (multi-GPU)"),
    "gpt-4.1": BaseChoice(_HERE, "Qwen2.5-32B/72B-Instruct or Llama-3.3-70B-Instruct (multi-GPU)"),
}
"""OpenAI base-model family → local stand-in. Only SmolLM2-135M's weights ship offline here
(``shared/DOMAIN.md``), so it is every family's default; ``suggested`` is what to pass as
``--base`` on a machine with a GPU (roughly matching size class; Korean-strong where noted)."""


@dataclass(frozen=True)
class Knob:
    """One translated setting: the local ``key`` and ``value``, what OpenAI reported
    (``openai``, ``None`` when it has no counterpart) and why the value follows from it."""

    key: str
    value: Any
    openai: Any
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "openai": self.openai, "reason": self.reason}


@dataclass(frozen=True)
class RetrainPlan:
    """The source, the train config derived from it, the reasoning, and where the file goes."""

    source: ModelVersion
    config: TrainConfig
    knobs: tuple[Knob, ...]
    path: Path
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.source.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": {
                "ref": self.source.ref,
                "model_id": self.source.model_id,
                "base_model": self.source.base_model,
                "job_id": self.source.job_id,
                "hyperparameters": self.source.hyperparameters,
            },
            "train_file": str(self.path),
            "config": self.config.model_dump(mode="json", exclude_defaults=True),
            "knobs": [k.as_dict() for k in self.knobs],
            "notes": list(self.notes),
        }


def train_file_path(project_dir: Path, name: str) -> Path:
    """``<project>/migrate/NAME/train.yaml``."""
    return project_dir / "migrate" / name / "train.yaml"


# ------------------------------------------------------------------------------ translating


def _openai_knobs(hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """Each of OpenAI's three knobs as the job reported it: a resolved value from
    ``method.supervised.hyperparameters`` first, else from the legacy ``hyperparameters`` (nested
    or flat), else ``"auto"``."""
    method = hyperparameters.get("method")
    inner: dict[str, Any] = {}
    if isinstance(method, dict):
        kind = method.get("type") or "supervised"
        if kind != "supervised":
            raise InvalidRequest(
                f"The source job was trained with method {kind!r}; retrain reproduces supervised "
                "fine-tuning only (the pulled data of a DPO or reinforcement job is not a set of "
                "chats to imitate).",
                hint="Train it yourself from the pulled dataset with a train file, or pick a "
                "supervised job.",
                param="source",
            )
        section = method.get(kind)
        if isinstance(section, dict) and isinstance(section.get("hyperparameters"), dict):
            inner = section["hyperparameters"]
    nested = hyperparameters.get("hyperparameters")
    legacy = nested if isinstance(nested, dict) else hyperparameters
    out: dict[str, Any] = {}
    for knob in _KNOBS:
        for found in (inner.get(knob), legacy.get(knob)):
            if found is not None and found != "auto":
                out[knob] = found
                break
        else:
            out[knob] = "auto"
    return out


def _family(base_model: str) -> str:
    """``gpt-4o-mini`` for ``gpt-4o-mini-2024-07-18`` and ``ft:gpt-4o-mini-2024-07-18:acme::x``."""
    model = base_model.removeprefix("ft:").split(":")[0]
    matches = [f for f in BASE_MODELS if model == f or model.startswith(f + "-")]
    return max(matches, key=len) if matches else model


def _base(source: ModelVersion, base: str | None) -> Knob:
    family = _family(source.base_model)
    choice = BASE_MODELS.get(family)
    if base is not None:
        why = "given with --base"
        if choice is not None:
            why += f"; the table's stand-in for {family} here is {choice.local}"
        return Knob("base_model", base, source.base_model, why)
    if choice is None:
        return Knob(
            "base_model",
            _HERE,
            source.base_model,
            f"no mapping for {family!r}; {_HERE} is the model whose weights are available "
            "offline here — pass --base to choose another",
        )
    return Knob(
        "base_model",
        choice.local,
        source.base_model,
        f"{family} → {choice.local} (the only weights available offline here); with a GPU "
        f"use {choice.suggested}",
    )


def _integer(value: Any, knob: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        raise InvalidRequest(
            f"The source job's {knob} is {value!r}, not a positive number.",
            hint="Check the source version with `tuneloop models show NAME@N`.",
            param="source",
        )
    return int(value)


def _epochs(value: Any, examples: int) -> Knob:
    from tuneloop.data.tokenstats import default_epochs

    limit = Hyperparameters.model_fields["n_epochs"].metadata
    maximum = next((m.le for m in limit if hasattr(m, "le")), 50)
    if value == "auto":
        epochs = default_epochs(examples)
        return Knob(
            "n_epochs",
            epochs,
            value,
            f"OpenAI chose it (auto); the cookbook's heuristic gives {epochs} for "
            f"{examples} training examples",
        )
    epochs = _integer(value, "n_epochs")
    if epochs > maximum:
        return Knob("n_epochs", maximum, value, f"copied, capped at the local maximum {maximum}")
    return Knob("n_epochs", epochs, value, "copied: a pass over the data means the same here")


def _learning_rate(value: Any) -> Knob:
    if value == "auto":
        return Knob(
            "learning_rate",
            LORA_BASE_LR,
            value,
            f"OpenAI chose its multiplier (auto); the local LoRA default {LORA_BASE_LR:g} is kept",
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidRequest(
            f"The source job's learning_rate_multiplier is {value!r}, not a positive number.",
            hint="Check the source version with `tuneloop models show NAME@N`.",
            param="source",
        )
    scaled = LORA_BASE_LR * float(value)
    rate = min(LR_MAX, max(LR_MIN, scaled))
    clamp = "" if rate == scaled else f", clamped to [{LR_MIN:g}, {LR_MAX:g}] from {scaled:.3g}"
    return Knob(
        "learning_rate",
        float(f"{rate:.3g}"),
        value,
        f"OpenAI scales its own undisclosed base rate by {value:g}; the local LoRA default "
        f"{LORA_BASE_LR:g} is scaled the same way{clamp}",
    )


def _split_batch(effective: int, micro_limit: int) -> tuple[int, int]:
    """``(micro, accumulation)`` with ``micro <= micro_limit``: an exact divisor of
    ``effective`` when one of at least half the limit exists, else the limit (and the effective
    batch rounds up to a multiple of it)."""
    if effective <= micro_limit:
        return effective, 1
    for micro in range(micro_limit, max(1, micro_limit // 2) - 1, -1):
        if effective % micro == 0:
            return micro, effective // micro
    return micro_limit, math.ceil(effective / micro_limit)


def _batch(value: Any, examples: int, micro_limit: int, device: str) -> list[Knob]:
    if value == "auto":
        effective = max(1, min(AUTO_BATCH_CAP, round(AUTO_BATCH_SHARE * examples)))
        origin = (
            f"OpenAI chose it (auto): about {AUTO_BATCH_SHARE:.1%} of {examples} examples, "
            f"capped at {AUTO_BATCH_CAP}, is {effective}"
        )
    else:
        effective = _integer(value, "batch_size")
        origin = f"OpenAI's batch of {effective} examples per step is kept as the effective batch"
    micro, steps = _split_batch(effective, micro_limit)
    exact = "" if micro * steps == effective else f" (≈ {effective}, rounded up)"
    return [
        Knob(
            "batch_size",
            micro,
            value,
            f"{origin}: {micro} per micro-batch (at most {micro_limit} fit on this {device})",
        ),
        Knob(
            "gradient_accumulation_steps",
            steps,
            None,
            f"{micro} × {steps} = {micro * steps} examples per optimizer step{exact}",
        ),
    ]


def _device() -> str:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return "cpu"
    import torch

    return "gpu" if torch.cuda.is_available() else "cpu"


def _max_length(store: Store, base: str) -> Knob:
    """The trainer's default tokens per example, capped at the base model's window when its
    ``config.json`` says (a registered folder or a path; read as JSON, no weights loaded)."""
    default = int(Hyperparameters.model_fields["max_length"].default)
    registration = store.registrations.get(base)
    raw = registration.config.get("path") if registration is not None else base
    folder = Path(str(raw or "")).expanduser()
    config = folder / "config.json"
    window = None
    if folder.is_dir() and config.is_file():
        try:
            window = json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
        except (OSError, ValueError):
            window = None
    if isinstance(window, int) and 0 < window < default:
        return Knob(
            "max_length",
            window,
            None,
            f"the local default {default} tokens per example, capped at {base}'s window {window}",
        )
    return Knob(
        "max_length",
        default,
        None,
        f"the local default: {default} tokens per example (OpenAI allows far longer ones; "
        "longer examples are left out with a warning)",
    )


def _dataset(source: ModelVersion) -> str:
    from tuneloop.registry.refs import parse_data_ref

    if not source.dataset_ref:
        raise InvalidRequest(
            f"The source version {source.ref} names no pulled dataset.",
            hint=f"Pull it again: `tuneloop migrate openai pull {source.model_id}`.",
            param="source",
        )
    ref = parse_data_ref(source.dataset_ref, param="dataset_ref")
    if ref.dataset is None:
        raise InvalidRequest(
            f"The source version {source.ref} was trained on {source.dataset_ref}, which is not "
            "a dataset version.",
            hint=f"Pull it again: `tuneloop migrate openai pull {source.model_id}`.",
            param="source",
        )
    return str(ref.dataset)


def plan_retrain(
    store: Store,
    project_dir: Path,
    source_ref: str,
    *,
    name: str | None = None,
    base: str | None = None,
    steps: int | None = None,
    seed: int | None = None,
    micro_batch_limit: int | None = None,
) -> RetrainPlan:
    """The local train config for the source ``source_ref`` names (NAME, ``ft:`` id or
    ``ftjob-`` id), with one :class:`Knob` per translated setting.

    ``name`` must be the source's own name when given (the local model is the next version of
    it). ``steps`` caps optimizer steps (``max_steps``); ``micro_batch_limit`` overrides the
    device's micro-batch limit. Raises :class:`~tuneloop.errors.UnknownReference` (with the pull
    command) for an unpulled source and :class:`InvalidRequest` for a job retrain cannot
    reproduce.
    """
    source = find_source(store, source_ref)
    if name is not None and name != source.name:
        raise InvalidRequest(
            f"{source.model_id} was pulled as {source.name!r}, not {name!r}; the local model is "
            "trained as the next version of the same name.",
            hint=f"Use --name {source.name} (or leave --name out).",
            param="name",
        )
    dataset = _dataset(source)
    version = store.datasets.get(dataset)
    examples = int(version.counts.get("splits", {}).get("train", {}).get("examples", 0))
    openai = _openai_knobs(source.hyperparameters)
    device = _device()
    limit = micro_batch_limit or (GPU_MICRO_BATCH if device == "gpu" else CPU_MICRO_BATCH)
    base_knob = _base(source, base)
    knobs = [
        base_knob,
        _epochs(openai["n_epochs"], examples),
        _learning_rate(openai["learning_rate_multiplier"]),
        *_batch(openai["batch_size"], examples, limit, device),
        _max_length(store, str(base_knob.value)),
        Knob(
            "lora",
            dict(LORA),
            None,
            "OpenAI does not disclose its method; LoRA rank 16 on every attention and MLP "
            "projection, as in examples/seoul-travel/train.yaml",
        ),
    ]
    seed_value = seed if seed is not None else _seed(source)
    knobs.append(
        Knob(
            "seed",
            seed_value,
            source.hyperparameters.get("seed"),
            "given with --seed" if seed is not None else "the job's seed when it had one, else 0",
        )
    )
    if steps is not None:
        knobs.append(Knob("max_steps", steps, None, "given with --steps: stop after N steps"))
    hyper: dict[str, Any] = {
        k.key: k.value for k in knobs if k.key not in ("base_model", "lora") and k.value is not None
    }
    hyper.update(LORA)
    config = TrainConfig(
        trainer=DEFAULT_TRAINER,
        base_model=str(base_knob.value),
        dataset=dataset,
        model_name=source.name,
        hyperparameters=Hyperparameters.model_validate(hyper),
    )
    notes = []
    if "validation" in version.files:
        notes.append(f"validation: {dataset}:validation is watched during training")
    return RetrainPlan(
        source=source,
        config=config,
        knobs=tuple(knobs),
        path=train_file_path(project_dir, source.name),
        notes=tuple(notes),
    )


def _seed(source: ModelVersion) -> int:
    found = source.hyperparameters.get("seed")
    return found if isinstance(found, int) and not isinstance(found, bool) else 0


# ------------------------------------------------------------------------------ the file


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def train_file_text(plan: RetrainPlan) -> str:
    """The train file: a normal ``tuneloop train run`` file with a comment per translated knob."""
    reasons = {k.key: k.reason for k in plan.knobs}
    source = plan.source
    config = plan.config
    lines = [
        f"# Local retrain of {source.model_id} ({source.ref}, OpenAI job {source.job_id or '?'}),",
        "# written by `tuneloop migrate openai retrain`; every translated setting says why.",
        f"# Train it again with `tuneloop train run {plan.path.name}` from this folder; promotion",
        f"# is gated: `tuneloop migrate openai parity {plan.name} --gate X`, then",
        f"# `tuneloop models promote {plan.name}@N --to production`.",
        f"trainer: {config.trainer}",
        f"# {reasons['base_model']}",
        f"base_model: {_scalar(config.base_model)}",
        f"dataset: {_scalar(config.dataset)}  # pulled from OpenAI: train split (+ validation)",
        f"model_name: {_scalar(config.model_name)}  # next version of the source's name",
        "hyperparameters:",
    ]
    hp = config.hyperparameters
    keys = ("n_epochs", "learning_rate", "batch_size", "gradient_accumulation_steps", "max_length")
    for key in keys:
        lines.append(f"  # {reasons[key]}")
        lines.append(f"  {key}: {_scalar(getattr(hp, key))}")
    lines.append(f"  # {reasons['lora']}")
    for key in LORA:
        lines.append(f"  {key}: {_scalar(getattr(hp, key))}")
    lines.append(f"  seed: {hp.seed}  # {reasons['seed']}")
    if hp.max_steps is not None:
        lines.append(f"  max_steps: {hp.max_steps}  # {reasons['max_steps']}")
    return "\n".join(lines) + "\n"


def write_train_file(plan: RetrainPlan) -> Path:
    """Write the plan's train file atomically and read it back through the train-file loader
    (so what is written is exactly what trains); return its path."""
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(plan.path, train_file_text(plan))
    loaded = load_train_config(plan.path)
    if loaded != plan.config:  # pragma: no cover - a bug in train_file_text
        raise AssertionError(f"{plan.path} does not read back as the planned config")
    return plan.path


def start_retrain(plan: RetrainPlan, settings: Settings, store: Store, *, author: str) -> TrainRun:
    """Start training the plan's config (the file as written) through the training workflow;
    the caller follows the returned run (``run.follow()``)."""
    from tuneloop.train import run as train_run

    return train_run.start(load_train_config(plan.path), settings, store, author=author)
