"""A cancelled run resumed from its checkpoint ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import pytest

from tuneloop.errors import TrainError
from tuneloop.train.sft_trainer import SftCallbacks, run_sft

from .sft_examples import fast_hp, qa_examples


def _stop_at(step: int) -> SftCallbacks:
    done: list[int] = []

    def on_event(message: str, data: dict) -> None:
        if "train_loss" in data:
            done.append(data["step"])

    return SftCallbacks(on_event=on_event, should_stop=lambda: bool(done) and done[-1] >= step)


def test_resume_reaches_the_same_final_loss_as_an_uninterrupted_run(tiny_model_dir, tmp_path):
    # dropout on and gradient accumulation: resuming must restore RNG state and data order too
    hp = fast_hp(
        n_epochs=6,
        batch_size=1,
        gradient_accumulation_steps=2,
        lora_dropout=0.1,
        warmup_ratio=0.2,
        scheduler="cosine",
        save_every=2,
    )
    data = qa_examples()
    full = run_sft(tiny_model_dir, data, None, hp, tmp_path / "full", merge=False)

    out = tmp_path / "interrupted"
    first = run_sft(
        tiny_model_dir, data, None, hp, out, merge=False, callbacks=_stop_at(5), log_every=1
    )
    assert first.status == "cancelled" and first.steps == 5
    resumed = run_sft(tiny_model_dir, data, None, hp, out, merge=False, resume=True)

    assert resumed.status == "succeeded"
    assert resumed.steps == full.steps == 12
    assert resumed.trained_tokens == full.trained_tokens
    assert resumed.train_loss == pytest.approx(full.train_loss, abs=1e-4)
    assert [h["train_loss"] for h in resumed.history] == pytest.approx(
        [h["train_loss"] for h in full.history], abs=1e-4
    )


def test_resume_without_checkpoint_starts_from_scratch(tiny_model_dir, tmp_path):
    hp = fast_hp(n_epochs=1)
    result = run_sft(tiny_model_dir, qa_examples(), None, hp, tmp_path, merge=False, resume=True)
    assert result.status == "succeeded" and result.steps == 2


def test_resume_refuses_other_data_or_hyperparameters(tiny_model_dir, tmp_path):
    hp = fast_hp(n_epochs=2, save_every=1)
    run_sft(tiny_model_dir, qa_examples(), None, hp, tmp_path, merge=False, callbacks=_stop_at(1))
    with pytest.raises(TrainError, match="different training data"):
        run_sft(tiny_model_dir, qa_examples()[:6], None, hp, tmp_path, merge=False, resume=True)
    with pytest.raises(TrainError, match="learning_rate"):
        other = fast_hp(n_epochs=2, save_every=1, learning_rate=1e-3)
        run_sft(tiny_model_dir, qa_examples(), None, other, tmp_path, merge=False, resume=True)
