"""The local LoRA training loop on a tiny random model: learning, events, cancel, early stop."""

from __future__ import annotations

import json

from tuneloop.train.checkpoints import checkpoint_dirs, latest_checkpoint, load_state
from tuneloop.train.sft_trainer import SftCallbacks, run_sft

from .sft_examples import QA, fast_hp, qa_examples


def test_loss_goes_down_on_a_memorizable_set(tiny_model_dir, tmp_path):
    result = run_sft(tiny_model_dir, qa_examples(), None, fast_hp(), tmp_path, merge=False)
    assert result.status == "succeeded"
    assert result.steps == 40  # 10 examples → 4 packed rows → 2 steps per epoch × 20 epochs
    assert result.epochs_completed == 20
    first = result.history[0]["train_loss"]
    assert result.train_loss < 0.6 * first
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    summary = json.loads((tmp_path / "training.json").read_text())
    assert summary["steps"] == 40 and summary["status"] == "succeeded"


def test_events_report_metrics_every_log_every_steps(tiny_model_dir, tmp_path):
    events: list[tuple[str, dict]] = []
    hp = fast_hp(n_epochs=5, save_every=4)
    checkpoints: list[int] = []
    callbacks = SftCallbacks(
        on_event=lambda message, data: events.append((message, data)),
        on_checkpoint=lambda step, path, metrics: checkpoints.append(step),
    )
    result = run_sft(
        tiny_model_dir, qa_examples(), None, hp, tmp_path, callbacks=callbacks, log_every=3
    )
    steps = [d["step"] for _, d in events if "train_loss" in d]
    assert steps == [1, 3, 6, 9, 10]
    last = next(d for _, d in reversed(events) if "train_loss" in d)
    assert last["total_steps"] == 10 and last["tokens_per_second"] > 0
    assert last["trained_tokens"] == result.trained_tokens > 0
    assert checkpoints == [4, 8]
    assert [p.name for p in checkpoint_dirs(tmp_path)] == ["step-000004", "step-000008"]
    assert result.merged_dir is not None and (result.merged_dir / "config.json").is_file()


def test_cancel_saves_a_complete_checkpoint_and_reports_cancelled(tiny_model_dir, tmp_path):
    seen: list[int] = []
    callbacks = SftCallbacks(
        on_checkpoint=lambda step, path, metrics: seen.append(step),
        should_stop=lambda: len(stop_after) > 0 and stop_after.pop() is None,
    )
    stop_after: list[None] = []
    steps_done: list[int] = []

    def on_event(message: str, data: dict) -> None:
        if "train_loss" in data:
            steps_done.append(data["step"])
            if data["step"] == 3:
                stop_after.append(None)

    callbacks.on_event = on_event
    result = run_sft(
        tiny_model_dir, qa_examples(), None, fast_hp(), tmp_path, callbacks=callbacks, log_every=1
    )
    assert result.status == "cancelled"
    assert result.steps == 3 and result.merged_dir is None
    checkpoint = latest_checkpoint(tmp_path)
    assert checkpoint is not None and checkpoint.name == "step-000003"
    assert seen == [3]
    assert result.adapter_dir == checkpoint / "adapter"
    assert (checkpoint / "adapter" / "adapter_model.safetensors").is_file()
    assert load_state(checkpoint)["loop"]["step"] == 3
    assert not [p for p in (tmp_path / "checkpoints").iterdir() if p.name.startswith(".tmp")]


def test_early_stopping_triggers_when_validation_gets_worse(tiny_model_dir, tmp_path):
    # Same questions, answers the training set never shows: memorizing the training answers
    # makes these less likely with every step.
    odd = [(q, "7 3 9 1 4 8 2 6 0 5") for q, _ in QA[:4]]
    hp = fast_hp(eval_every=2, early_stopping_patience=2)
    result = run_sft(
        tiny_model_dir, qa_examples(), qa_examples(odd, "valid.jsonl"), hp, tmp_path, merge=False
    )
    assert result.status == "stopped_early"
    assert result.steps < 40
    evals = [h for h in result.history if "valid_loss" in h]
    assert evals[0]["step"] == 0  # the baseline before training
    assert result.best_valid_loss == min(h["valid_loss"] for h in evals)
    assert result.valid_loss is not None and result.valid_loss > result.best_valid_loss


def test_validation_loss_is_reported_per_epoch_by_default(tiny_model_dir, tmp_path):
    hp = fast_hp(n_epochs=3)
    result = run_sft(tiny_model_dir, qa_examples(), qa_examples(QA[:3]), hp, tmp_path, merge=False)
    assert [h["step"] for h in result.history if "valid_loss" in h] == [0, 2, 4, 6]
    assert result.valid_loss == result.history[-1]["valid_loss"]
