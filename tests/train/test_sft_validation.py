"""Bad data and hyperparameters are refused before any weights load; estimates add up."""

from __future__ import annotations

import pytest

from tuneloop.data.records import Example
from tuneloop.errors import DataError, ModelNotFound, TrainError
from tuneloop.train.sft_trainer import (
    check_training_inputs,
    estimate,
    run_sft,
    validate_training_inputs,
)

from .sft_examples import QA, fast_hp, qa_examples


def test_unknown_target_modules_are_named_with_the_available_ones(tiny_model_dir):
    hp = fast_hp(target_modules=["q_proj", "query_key_value"])
    with pytest.raises(TrainError) as caught:
        validate_training_inputs(qa_examples(), None, hp, tiny_model_dir)
    message = str(caught.value)
    assert "query_key_value" in message
    assert "v_proj" in message and "gate_proj" in message and "down_proj" in message


def test_max_length_below_the_shortest_example_is_refused(tiny_model_dir):
    with pytest.raises(TrainError, match="shortest training example"):
        validate_training_inputs(qa_examples(), None, fast_hp(max_length=16), tiny_model_dir)


def test_examples_longer_than_max_length_are_left_out_with_a_warning(tiny_model_dir, tmp_path):
    long_answer = "경복궁 근정전 " * 40
    data = [*qa_examples(), *qa_examples([("긴 질문", long_answer)], path="long.jsonl")]
    with pytest.warns(UserWarning, match=r"long\.jsonl:1"):
        validate_training_inputs(data, None, fast_hp(), tiny_model_dir)
    plan = estimate(data, fast_hp(), tiny_model_dir)
    assert plan.dropped == 1 and plan.examples == len(QA)


def test_empty_data_and_missing_assistant_replies_are_data_errors(tiny_model_dir):
    with pytest.raises(DataError, match="empty"):
        validate_training_inputs([], None, fast_hp(), tiny_model_dir)
    no_reply = Example(messages=[{"role": "user", "content": "Only a question"}])
    bad = [*qa_examples(), no_reply]
    with pytest.raises(DataError, match=no_reply.id):
        validate_training_inputs(bad, None, fast_hp(), tiny_model_dir)
    with pytest.raises(DataError, match="validation data is empty"):
        validate_training_inputs(qa_examples(), [], fast_hp(), tiny_model_dir)


def test_bad_input_fails_before_any_checkpoint_is_written(tiny_model_dir, tmp_path):
    hp = fast_hp(target_modules=["nope"])
    with pytest.raises(TrainError):
        run_sft(tiny_model_dir, qa_examples(), None, hp, tmp_path)
    assert not any(tmp_path.iterdir())


def test_early_stopping_without_validation_is_refused(tiny_model_dir):
    with pytest.raises(TrainError, match="early_stopping_patience"):
        validate_training_inputs(
            qa_examples(), None, fast_hp(early_stopping_patience=2), tiny_model_dir
        )


def test_one_step_per_epoch_is_warned_about(tiny_model_dir):
    notes = check_training_inputs(qa_examples(), None, fast_hp(batch_size=64), tiny_model_dir)
    assert any("single optimizer step" in note for note in notes)


def test_unknown_base_model_name_is_model_not_found():
    with pytest.raises(ModelNotFound, match="smollm2-135m"):
        validate_training_inputs(qa_examples(), None, fast_hp(), "no-such-model")


def test_estimate_counts_tokens_steps_and_padding(tiny_model_dir):
    plain = estimate(qa_examples(), fast_hp(packing=False, n_epochs=3), tiny_model_dir)
    packed = estimate(qa_examples(), fast_hp(n_epochs=3, batch_size=1), tiny_model_dir)
    assert plain.tokens_per_epoch == packed.tokens_per_epoch > 0
    assert plain.rows == 10 and plain.steps_per_epoch == 5 and plain.steps == 15
    assert packed.rows < 10 and packed.padding_waste == 0.0  # one row per batch: no padding
    assert plain.trained_tokens == 3 * plain.tokens_per_epoch
    assert 0 < plain.padding_waste_plain < 1
    assert packed.seconds == pytest.approx(packed.trained_tokens / packed.tokens_per_second)
    assert "tokens/s" in packed.basis
