"""The local LoRA supervised fine-tuning engine: ``run_sft`` trains, ``estimate`` predicts,
``validate_training_inputs`` refuses bad input before any compute.

It is a function with callbacks and no database: the job worker (``train/jobs``) turns its events
and checkpoints into job rows, and the CLI into a progress bar.

Why a plain PyTorch loop and not transformers' ``Trainer``: exact resume. The loop owns every
source of randomness and order — LoRA init and dropout from ``torch.manual_seed(seed)``, the data
order from a permutation seeded with ``seed + epoch`` — so a checkpoint (adapter, AdamW state,
scheduler, RNG states, step) resumes to the very same trajectory as a run that was never
stopped (``tests/train/test_resume.py``). It also lets the loss skip the output layer for tokens
that are not targets (the prompt); with length-grouped or packed batches that is up to ~1.4× the
trained tokens/s of ``Trainer`` with padded batches on a CPU (``bench/train_throughput.py``).
LoRA itself is peft's.

Loss: mean cross-entropy over the target tokens of one optimizer step (all its micro-batches
together), so gradient accumulation gives the same update as one big batch. Gradients are
clipped to norm :data:`MAX_GRAD_NORM`. The learning rate warms up linearly over
``warmup_ratio`` of the steps, then follows ``scheduler`` (linear or cosine decay to 0, or
constant).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tuneloop.atomicfile import atomic_write_text
from tuneloop.data.records import Example
from tuneloop.errors import DataError, TrainError
from tuneloop.train.base import Hyperparameters
from tuneloop.train.base_model import (
    BaseModelLocation,
    linear_module_names,
    load_base,
    load_config,
    load_tokenizer,
    locate_base_model,
    meta_model,
    pick_device,
    use_segment_attention,
)
from tuneloop.train.checkpoints import (
    latest_checkpoint,
    load_state,
    replace_dir,
    rng_state,
    set_rng_state,
    write_checkpoint,
)
from tuneloop.train.sft_data import (
    IGNORE_INDEX,
    Batch,
    TokenizedExample,
    describe_example,
    epoch_microbatches,
    make_batch,
    pack_rows,
    padding_waste,
    steps_per_epoch,
    tokenize_example,
)

__all__ = [
    "CPU_TOKENS_PER_SECOND",
    "MAX_GRAD_NORM",
    "SftCallbacks",
    "SftEstimate",
    "SftResult",
    "check_training_inputs",
    "estimate",
    "run_sft",
    "validate_training_inputs",
]

log = logging.getLogger(__name__)

MAX_GRAD_NORM = 1.0
# Trained (non-padding) tokens per second of LoRA r=8 on SmolLM2-135M with packing, measured by
# bench/train_throughput.py on the project's 2-core CPU (see bench/README.md). estimate() scales
# it by parameter count and CPU cores; on a GPU it multiplies it by GPU_SPEEDUP (a rough guess).
CPU_TOKENS_PER_SECOND = 200.0
CPU_BASIS_PARAMS = 135e6
GPU_SPEEDUP = 50.0
# Micro-batches above this many tokens get a memory warning (SmolLM2-135M: ~1.5 MB per token).
LARGE_MICROBATCH = 4096
# Hyperparameters that may change between a run and its resumption without changing the result.
_RESUMABLE_CHANGES = {"save_every", "eval_every", "early_stopping_patience"}


def _ignore_event(message: str, data: dict[str, Any]) -> None:
    del message, data


def _ignore_checkpoint(step: int, path: Path, metrics: dict[str, float]) -> None:
    del step, path, metrics


def _never() -> bool:
    return False


@dataclass
class SftCallbacks:
    """How a run reports: ``on_event(message, data)`` for progress and warnings (``data`` holds
    metrics, or ``{"level": "warn"}``), ``on_checkpoint(step, folder, metrics)`` once a checkpoint
    folder is complete, and ``should_stop()`` polled after every step (true → save a checkpoint
    and return with status ``"cancelled"``)."""

    on_event: Callable[[str, dict[str, Any]], None] = _ignore_event
    on_checkpoint: Callable[[int, Path, dict[str, float]], None] = _ignore_checkpoint
    should_stop: Callable[[], bool] = _never


@dataclass
class SftResult:
    """What a run produced. ``train_loss`` is the last step's; ``adapter_dir`` is the final
    adapter (the best evaluated one after early stopping; the checkpoint's when cancelled)."""

    status: Literal["succeeded", "cancelled", "stopped_early"]
    steps: int
    epochs_completed: float
    trained_tokens: int
    train_loss: float
    valid_loss: float | None
    best_valid_loss: float | None
    adapter_dir: Path
    merged_dir: Path | None
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class SftEstimate:
    """The size of a run before it starts.

    ``rows`` are packed rows (examples when not packing); ``padding_waste`` is the share of padded
    positions in this run's batches, ``padding_waste_plain`` the share plain padding (no packing,
    no length grouping) would waste. ``seconds`` is ``trained_tokens / tokens_per_second``, where
    ``tokens_per_second`` is :data:`CPU_TOKENS_PER_SECOND` scaled as ``basis`` says: a rough
    guide, not a promise.
    """

    examples: int
    dropped: int
    tokens_per_epoch: int
    label_tokens_per_epoch: int
    rows: int
    steps_per_epoch: int
    steps: int
    trained_tokens: int
    padding_waste: float
    padding_waste_plain: float
    tokens_per_second: float
    seconds: float
    basis: str


@dataclass
class _Prepared:
    train: list[TokenizedExample]
    valid: list[TokenizedExample] | None
    units: list[list[int]]
    unit_lengths: list[int]
    steps_per_epoch: int
    total_steps: int
    warnings: list[str]
    n_params: int
    config: Any


def _examples_list(examples: Sequence[Example], what: str) -> list[str]:
    shown = [describe_example(e) for e in examples[:5]]
    more = f" and {len(examples) - 5} more" if len(examples) > 5 else ""
    return [f"{what}: {'; '.join(shown)}{more}"]


def _tokenize_all(examples: Sequence[Example], tokenizer: Any, name: str) -> list[TokenizedExample]:
    out: list[TokenizedExample] = []
    problems: list[str] = []
    for example in examples:
        try:
            out.append(tokenize_example(example, tokenizer))
        except DataError as exc:
            problems.append(exc.message)
    if problems:
        more = f"\n… and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise DataError(
            f"{len(problems)} {name} example(s) cannot be trained on:\n"
            + "\n".join(problems[:5])
            + more,
            hint="Fix or remove them (`tuneloop data validate` lists every problem).",
        )
    return out


def _drop_long(
    examples: Sequence[Example],
    tokens: list[TokenizedExample],
    max_length: int,
    name: str,
    notes: list[str],
) -> list[TokenizedExample]:
    kept = [t for t in tokens if len(t) <= max_length]
    if len(kept) == len(tokens):
        return kept
    long_ones = [e for e, t in zip(examples, tokens, strict=True) if len(t) > max_length]
    shortest = min(len(t) for t in tokens)
    if not kept:
        raise TrainError(
            f"max_length {max_length} is smaller than the shortest {name} example "
            f"({shortest} tokens): nothing is left to train on.",
            hint=f"Raise max_length to at least {shortest} (each example must fit whole).",
            param="max_length",
        )
    notes.extend(
        _examples_list(
            long_ones,
            f"{len(long_ones)} {name} example(s) longer than max_length {max_length} tokens "
            "are left out (truncating would cut answers mid-sentence)",
        )
    )
    return kept


def _prepare(
    location: BaseModelLocation,
    tokenizer: Any,
    train: Sequence[Example],
    validation: Sequence[Example] | None,
    hp: Hyperparameters,
) -> _Prepared:
    """Every check that needs no model weights, and the tokenized data."""
    if not train:
        raise DataError("The training data is empty.", hint="Give at least one example.")
    if validation is not None and not validation:
        raise DataError(
            "The validation data is empty.", hint="Give validation examples or none at all."
        )
    if hp.early_stopping_patience is not None and validation is None:
        raise TrainError(
            "early_stopping_patience needs validation data to watch.",
            hint="Pass validation examples, or drop early_stopping_patience.",
            param="early_stopping_patience",
        )
    config = load_config(location)
    window = getattr(config, "max_position_embeddings", None)
    if window and hp.max_length > int(window):
        raise TrainError(
            f"max_length {hp.max_length} exceeds what {location.name!r} accepts ({window}).",
            hint=f"Use max_length ≤ {window}.",
            param="max_length",
        )
    model = meta_model(config)
    modules = linear_module_names(model)
    missing = [m for m in hp.target_modules if m not in modules]
    if missing:
        raise TrainError(
            f"target_modules {missing} do not exist in {location.name!r}; its linear modules "
            f"are: {', '.join(modules)}.",
            hint="Pick target_modules from that list (attention: q_proj, k_proj, v_proj, o_proj).",
            param="target_modules",
        )
    n_params = sum(p.numel() for p in model.parameters())
    notes: list[str] = []
    tied = getattr(config, "tie_word_embeddings", False)
    if tied and any(m in ("lm_head", "embed_tokens") for m in hp.target_modules):
        notes.append(
            f"{location.name!r} ties its output layer to its input embeddings: an adapter on "
            "lm_head saves the whole embedding matrix, and merging it changes the input "
            "embeddings too, so the merged model differs from the adapter."
        )
    train_tokens = _drop_long(
        train, _tokenize_all(train, tokenizer, "training"), hp.max_length, "training", notes
    )
    valid_tokens = None
    if validation is not None:
        valid_tokens = _drop_long(
            validation,
            _tokenize_all(validation, tokenizer, "validation"),
            hp.max_length,
            "validation",
            notes,
        )
    lengths = [len(t) for t in train_tokens]
    singles = [[i] for i in range(len(lengths))]
    units = pack_rows(lengths, hp.max_length) if hp.packing else singles
    unit_lengths = [sum(lengths[i] for i in unit) for unit in units]
    row_tokens = hp.batch_size * max(unit_lengths)
    if row_tokens > LARGE_MICROBATCH:
        notes.append(
            f"one micro-batch holds up to {row_tokens} tokens (batch_size {hp.batch_size} × rows "
            f"of up to {max(unit_lengths)}); activations take roughly 1.5 MB per token for a "
            "135M-parameter model, so this may not fit in memory: lower batch_size or max_length "
            "and raise gradient_accumulation_steps instead."
        )
    per_step = hp.batch_size * hp.gradient_accumulation_steps
    if per_step > len(units):
        what = "packed rows" if hp.packing else "examples"
        notes.append(
            f"batch_size × gradient_accumulation_steps = {per_step} but the data makes only "
            f"{len(units)} {what}: each epoch is a single optimizer step."
        )
    spe = steps_per_epoch(len(units), hp.batch_size, hp.gradient_accumulation_steps)
    total = hp.max_steps or hp.n_epochs * spe
    if hp.eval_every is not None and validation is not None and hp.eval_every > total:
        notes.append(
            f"eval_every {hp.eval_every} exceeds the {total} steps of this run: validation runs "
            "only at the end."
        )
    return _Prepared(
        train=train_tokens,
        valid=valid_tokens,
        units=units,
        unit_lengths=unit_lengths,
        steps_per_epoch=spe,
        total_steps=total,
        warnings=notes,
        n_params=n_params,
        config=config,
    )


def check_training_inputs(
    train: Sequence[Example],
    validation: Sequence[Example] | None,
    hp: Hyperparameters,
    base_model: str | Path,
) -> list[str]:
    """Like :func:`validate_training_inputs`, returning the warnings instead of emitting them."""
    location = locate_base_model(base_model)
    hp = hp.for_device(pick_device(None))
    return _prepare(location, load_tokenizer(location), train, validation, hp).warnings


def validate_training_inputs(
    train: Sequence[Example],
    validation: Sequence[Example] | None,
    hp: Hyperparameters,
    base_model: str | Path,
) -> None:
    """Refuse a run that would fail or waste compute, before loading any weights.

    Raises :class:`DataError` (empty data, malformed messages, no assistant reply to learn from —
    naming ``file:line`` and ids) or :class:`TrainError` (unknown base model, ``target_modules``
    the model lacks — listing those it has —, ``max_length`` shorter than every example or longer
    than the model's window, early stopping without validation data). Softer problems (examples
    longer than ``max_length`` are left out; one step covers the whole data set) are emitted with
    :func:`warnings.warn`.
    """
    for note in check_training_inputs(train, validation, hp, base_model):
        warnings.warn(note, stacklevel=2)


def _throughput(n_params: int, device: str) -> tuple[float, str]:
    scale = min(10.0, max(0.01, CPU_BASIS_PARAMS / max(n_params, 1)))
    cores = os.cpu_count() or 2
    tps = CPU_TOKENS_PER_SECOND * scale * cores / 2
    basis = (
        f"{CPU_TOKENS_PER_SECOND:.0f} trained tokens/s for a 135M-parameter model on 2 CPU cores "
        f"(bench/train_throughput.py), × {scale:.2f} for {n_params / 1e6:.1f}M parameters "
        "(clamped to 0.01–10), "
        f"× {cores}/2 cores"
    )
    if device.startswith("cuda"):
        tps *= GPU_SPEEDUP
        basis += f", × {GPU_SPEEDUP:.0f} for a GPU (rough)"
    return tps, basis


def estimate(
    train: Sequence[Example],
    hp: Hyperparameters,
    tokenizer_or_model: str | Path,
    *,
    device: str | None = None,
) -> SftEstimate:
    """Tokens, steps, packed rows, padding waste and a time estimate for training on ``train``
    (``tokenizer_or_model``: a base model name or folder; only its tokenizer and config load)."""
    hp = hp.for_device(pick_device(device))
    location = locate_base_model(tokenizer_or_model)
    prepared = _prepare(location, load_tokenizer(location), train, None, hp)
    lengths = [len(t) for t in prepared.train]
    batches = epoch_microbatches(
        prepared.unit_lengths, hp.batch_size, seed=hp.seed, epoch=0, group_by_length=not hp.packing
    )
    naive = epoch_microbatches(lengths, hp.batch_size, seed=hp.seed, epoch=0, group_by_length=False)
    tokens = sum(lengths)
    epochs = prepared.total_steps / prepared.steps_per_epoch
    trained = round(tokens * epochs)
    tps, basis = _throughput(prepared.n_params, pick_device(device))
    return SftEstimate(
        examples=len(prepared.train),
        dropped=len(train) - len(prepared.train),
        tokens_per_epoch=tokens,
        label_tokens_per_epoch=sum(t.label_tokens for t in prepared.train),
        rows=len(prepared.units),
        steps_per_epoch=prepared.steps_per_epoch,
        steps=prepared.total_steps,
        trained_tokens=trained,
        padding_waste=padding_waste(batches, prepared.unit_lengths),
        padding_waste_plain=padding_waste(naive, lengths),
        tokens_per_second=tps,
        seconds=trained / tps,
        basis=basis,
    )


def _lr_lambda(hp: Hyperparameters, total: int) -> Callable[[int], float]:
    warmup = math.ceil(hp.warmup_ratio * total)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if hp.scheduler == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total - warmup)
        if hp.scheduler == "cosine":
            return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        return max(0.0, 1 - progress)

    return factor


def _fingerprint(prepared: _Prepared) -> str:
    blob = json.dumps(
        [[t.id, len(t), t.label_tokens] for t in prepared.train], separators=(",", ":")
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class _LossFn:
    """Summed cross-entropy over a batch's targets.

    Runs the decoder, then the output layer only on target positions (the prompt's logits are
    never needed). Models whose logits are post-processed (soft-capping, logit scale) or whose
    decoder cannot be found take the full forward pass instead.
    """

    def __init__(self, peft_model: Any) -> None:
        base = peft_model.get_base_model()
        config = base.config
        self.model = peft_model
        self.decoder: Any = None
        self.head: Any = None
        fancy = any(
            getattr(config, key, None) not in (None, 1.0)
            for key in ("final_logit_softcapping", "logit_scale", "logits_scaling")
        )
        if not fancy:
            try:
                self.decoder = base.get_decoder()
                self.head = base.get_output_embeddings()
            except (AttributeError, ValueError, NotImplementedError):
                self.decoder = None

    def __call__(self, batch: Batch) -> Any:
        import torch.nn.functional as F

        selected = batch.targets != IGNORE_INDEX
        if self.decoder is not None and self.head is not None:
            hidden = self.decoder(
                input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False
            ).last_hidden_state
            logits = self.head(hidden[selected])
        else:
            out = self.model(
                input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False
            )
            logits = out.logits[selected]
        return F.cross_entropy(logits.float(), batch.targets[selected], reduction="sum")


@dataclass
class _State:
    step: int = 0
    trained_tokens: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    best_valid: float | None = None
    best_step: int | None = None
    evals_since_best: int = 0
    last_valid: float | None = None
    last_train: float = float("nan")


def _emit(callbacks: SftCallbacks, message: str, data: dict[str, Any]) -> None:
    log.info("%s", message)
    callbacks.on_event(message, data)


def run_sft(
    base_model: str | Path,
    train: Sequence[Example],
    validation: Sequence[Example] | None,
    hp: Hyperparameters,
    out_dir: Path,
    *,
    resume: bool = False,
    merge: bool = True,
    callbacks: SftCallbacks | None = None,
    device: str | None = None,
    log_every: int = 10,
) -> SftResult:
    """Fine-tune ``base_model`` with LoRA on ``train`` and write the results under ``out_dir``:
    ``checkpoints/step-NNNNNN/`` every ``save_every`` steps, ``adapter/`` (final LoRA adapter),
    ``merged/`` (base + adapter as an HF folder, when ``merge``) and ``training.json`` (result
    and loss history).

    ``resume=True`` continues from the newest complete checkpoint in ``out_dir/checkpoints/``
    (a fresh start when there is none) and reaches the same weights and losses as a run that
    never stopped. Progress goes to ``callbacks.on_event`` on the first step, every
    ``log_every`` steps, the last step, and on every validation and checkpoint.
    """
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    callbacks = callbacks or SftCallbacks()
    hp = hp.for_device(pick_device(device))
    out_dir = Path(out_dir)
    location = locate_base_model(base_model)
    tokenizer = load_tokenizer(location)
    prepared = _prepare(location, tokenizer, train, validation, hp)
    for note in prepared.warnings:
        _emit(callbacks, note, {"level": "warn"})
    fingerprint = _fingerprint(prepared)

    checkpoint = latest_checkpoint(out_dir) if resume else None
    saved: dict[str, Any] | None = None
    if checkpoint is not None:
        saved = load_state(checkpoint)
        _check_resumable(saved, fingerprint, hp, checkpoint)

    loaded = load_base(location, device)
    dev = loaded.device
    attention = use_segment_attention(loaded.model) if dev == "cpu" else None
    random.seed(hp.seed)
    torch.manual_seed(hp.seed)
    lora = LoraConfig(
        r=hp.lora_r,
        lora_alpha=hp.lora_alpha,
        lora_dropout=hp.lora_dropout,
        target_modules=list(hp.target_modules),
        task_type="CAUSAL_LM",
    )
    model: Any = get_peft_model(loaded.model, lora)
    model.config.use_cache = False
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=hp.effective_learning_rate, weight_decay=hp.weight_decay
    )
    total = prepared.total_steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(hp, total))
    state = _State()
    best_weights: dict[str, Any] | None = None
    if saved is not None and checkpoint is not None:
        set_peft_model_state_dict(model, saved["adapter"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        state = _State(**saved["loop"])
        best_weights = saved.get("best_adapter")
        set_rng_state(saved["rng"])
        _emit(
            callbacks,
            f"resumed from {checkpoint.name} (step {state.step}/{total})",
            {"step": state.step, "total_steps": total},
        )

    autocast = dev.startswith("cuda") and torch.cuda.is_bf16_supported()
    loss_fn = _LossFn(model)
    pad_id = int(tokenizer.pad_token_id)
    spe = prepared.steps_per_epoch
    ga = hp.gradient_accumulation_steps

    def evaluate() -> float:
        assert prepared.valid is not None
        model.eval()
        rows = pack_rows([len(t) for t in prepared.valid], hp.max_length)
        loss_sum, count = 0.0, 0
        with torch.no_grad(), torch.autocast("cuda", torch.bfloat16, enabled=autocast):
            for i in range(0, len(rows), hp.batch_size):
                group = [[prepared.valid[j] for j in row] for row in rows[i : i + hp.batch_size]]
                batch = make_batch(group, pad_id).to(dev)
                loss_sum += float(loss_fn(batch))
                count += batch.label_tokens
        model.train()
        return loss_sum / max(count, 1)

    def save(status_metrics: dict[str, float]) -> Path:
        trainer_state = {
            "adapter": {k: v.detach().cpu() for k, v in _adapter_state(model).items()},
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": rng_state(),
            "loop": asdict(state),
            "best_adapter": best_weights,
            "fingerprint": fingerprint,
            "hyperparameters": hp.model_dump(mode="json"),
        }
        path = write_checkpoint(out_dir, state.step, model, trainer_state, status_metrics)
        callbacks.on_checkpoint(state.step, path, status_metrics)
        _emit(callbacks, f"checkpoint saved at step {state.step}", {"step": state.step})
        return path

    status: Literal["succeeded", "cancelled", "stopped_early"] = "succeeded"
    if state.step == 0 and prepared.valid is not None and saved is None:
        state.last_valid = state.best_valid = evaluate()
        state.best_step = 0
        state.history.append({"step": 0.0, "valid_loss": state.last_valid})
        _emit(
            callbacks,
            f"validation loss before training {state.last_valid:.4f}",
            {"step": 0, "valid_loss": state.last_valid},
        )

    model.train()
    epoch_cache: dict[int, list[list[int]]] = {}
    window_tokens, window_start = 0, time.perf_counter()
    last_checkpoint: Path | None = checkpoint
    while state.step < total and status == "succeeded":
        epoch, index = divmod(state.step, spe)
        if epoch not in epoch_cache:
            epoch_cache.clear()
            epoch_cache[epoch] = epoch_microbatches(
                prepared.unit_lengths,
                hp.batch_size,
                seed=hp.seed,
                epoch=epoch,
                group_by_length=not hp.packing,
            )
        micro = epoch_cache[epoch][index * ga : (index + 1) * ga]
        batches = [
            make_batch([[prepared.train[i] for i in prepared.units[u]] for u in unit_ids], pad_id)
            for unit_ids in micro
        ]
        label_total = max(1, sum(b.label_tokens for b in batches))
        step_loss = 0.0
        for batch in batches:
            with torch.autocast("cuda", torch.bfloat16, enabled=autocast):
                loss = loss_fn(batch.to(dev)) / label_total
            loss.backward()
            step_loss += float(loss.detach())
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        lr = float(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step_tokens = sum(b.tokens for b in batches)
        state.step += 1
        state.trained_tokens += step_tokens
        state.last_train = step_loss
        window_tokens += step_tokens
        record: dict[str, float] = {
            "step": float(state.step),
            "train_loss": step_loss,
            "learning_rate": lr,
            "epoch": state.step / spe,
        }
        at_end = state.step == total
        due = state.step % hp.eval_every == 0 if hp.eval_every else state.step % spe == 0
        if prepared.valid is not None and (due or at_end):
            valid = evaluate()
            record["valid_loss"] = state.last_valid = valid
            if state.best_valid is None or valid < state.best_valid:
                state.best_valid, state.best_step, state.evals_since_best = valid, state.step, 0
                best_weights = {
                    k: v.detach().cpu().clone() for k, v in _adapter_state(model).items()
                }
            else:
                state.evals_since_best += 1
            _emit(
                callbacks,
                f"step {state.step}: validation loss {valid:.4f}",
                {"step": state.step, "valid_loss": valid, "best_valid_loss": state.best_valid},
            )
            patience = hp.early_stopping_patience
            if patience is not None and state.evals_since_best >= patience and not at_end:
                status = "stopped_early"
        state.history.append(record)
        if state.step == 1 or state.step % log_every == 0 or at_end:
            elapsed = time.perf_counter() - window_start
            data: dict[str, Any] = {
                **record,
                "step": state.step,
                "total_steps": total,
                "tokens_per_second": window_tokens / elapsed if elapsed > 0 else 0.0,
                "trained_tokens": state.trained_tokens,
            }
            _emit(callbacks, f"step {state.step}/{total}: train loss {step_loss:.4f}", data)
            window_tokens, window_start = 0, time.perf_counter()
        metrics = {k: v for k, v in record.items() if k != "step"}
        if state.step % hp.save_every == 0:
            last_checkpoint = save(metrics)
        if status == "succeeded" and not at_end and callbacks.should_stop():
            status = "cancelled"
            if last_checkpoint is None or not last_checkpoint.name.endswith(f"{state.step:06d}"):
                last_checkpoint = save(metrics)

    if status == "cancelled":
        assert last_checkpoint is not None
        _emit(
            callbacks,
            f"cancelled at step {state.step}; resume continues from here",
            {"step": state.step},
        )
        return _result(status, state, spe, last_checkpoint / "adapter", None)

    if status == "stopped_early":
        _emit(
            callbacks,
            f"early stopping at step {state.step}: no improvement in "
            f"{state.evals_since_best} evaluations (best {state.best_valid:.4f} at step "
            f"{state.best_step})",
            {"step": state.step, "best_valid_loss": state.best_valid},
        )
    if status == "stopped_early" and best_weights is not None and state.best_step:
        set_peft_model_state_dict(model, best_weights)
    if attention is not None:
        model.get_base_model().set_attn_implementation(attention)
    adapter_dir = out_dir / "adapter"
    _save_adapter(model, tokenizer, adapter_dir)
    merged_dir = None
    if merge:
        from tuneloop.train.merge import save_merged

        merged_dir = save_merged(model, tokenizer, out_dir / "merged")
        _emit(callbacks, f"merged model saved to {merged_dir}", {"step": state.step})
    result = _result(status, state, spe, adapter_dir, merged_dir)
    summary = {
        **asdict(result),
        "adapter_dir": str(adapter_dir),
        "merged_dir": str(merged_dir) if merged_dir else None,
        "base_model": str(base_model),
        "hyperparameters": hp.model_dump(mode="json"),
    }
    atomic_write_text(out_dir / "training.json", json.dumps(summary, indent=2) + "\n")
    return result


def _adapter_state(model: Any) -> dict[str, Any]:
    from peft import get_peft_model_state_dict

    state: dict[str, Any] = get_peft_model_state_dict(model)
    return state


def _save_adapter(model: Any, tokenizer: Any, adapter_dir: Path) -> None:
    import tempfile

    adapter_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-adapter-", dir=adapter_dir.parent))
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    replace_dir(tmp, adapter_dir)


def _result(
    status: Literal["succeeded", "cancelled", "stopped_early"],
    state: _State,
    spe: int,
    adapter_dir: Path,
    merged_dir: Path | None,
) -> SftResult:
    return SftResult(
        status=status,
        steps=state.step,
        epochs_completed=state.step / spe,
        trained_tokens=state.trained_tokens,
        train_loss=state.last_train,
        valid_loss=state.last_valid,
        best_valid_loss=state.best_valid,
        adapter_dir=adapter_dir,
        merged_dir=merged_dir,
        history=list(state.history),
    )


def _check_resumable(
    saved: dict[str, Any], fingerprint: str, hp: Hyperparameters, checkpoint: Path
) -> None:
    if saved.get("fingerprint") != fingerprint:
        raise TrainError(
            f"Checkpoint {checkpoint} was made from different training data.",
            hint="Resume with the same data, or start over in a new output folder.",
        )
    before = saved.get("hyperparameters", {})
    now = hp.model_dump(mode="json")
    changed = sorted(k for k in now if before.get(k) != now[k] and k not in _RESUMABLE_CHANGES)
    if changed:
        raise TrainError(
            f"Checkpoint {checkpoint} was made with other hyperparameters ({', '.join(changed)}).",
            hint="Resume with the same hyperparameters, or start over in a new output folder.",
        )
