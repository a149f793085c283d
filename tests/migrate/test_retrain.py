"""``migrate openai retrain``: the pulled job's settings become a local train file whose every
translated knob says why, and the file trains as the next version of the source's name."""

from __future__ import annotations

import pytest

from tuneloop.errors import InvalidRequest, UnknownReference
from tuneloop.migrate.retrain import (
    LORA_BASE_LR,
    LR_MAX,
    plan_retrain,
    train_file_path,
    write_train_file,
)
from tuneloop.train.config import load_train_config

from .sources import FT_ID, JOB_ID, NAME, seed_source


def _knobs(plan):
    return {k.key: k for k in plan.knobs}


def test_the_jobs_settings_become_a_train_file_with_a_reason_per_knob(store, tmp_path):
    source = seed_source(store, tmp_path)

    plan = plan_retrain(store, tmp_path, FT_ID, micro_batch_limit=8)
    path = write_train_file(plan)

    assert path == train_file_path(tmp_path, NAME) == tmp_path / "migrate" / NAME / "train.yaml"
    config = load_train_config(path)
    assert config == plan.config
    assert (config.model_name, config.dataset, config.trainer) == (
        NAME,
        "seoul-guide-openai@1",
        "local-lora",
    )
    hp = config.hyperparameters
    assert hp.n_epochs == 3
    assert hp.learning_rate == pytest.approx(LORA_BASE_LR * 1.8)
    # OpenAI's 12 examples per step: 6 per micro-batch (at most 8 fit) × 2 accumulation steps
    assert (hp.batch_size, hp.gradient_accumulation_steps) == (6, 2)
    assert config.base_model == "smollm2-135m"
    knobs = _knobs(plan)
    assert "gpt-4o-mini →" in knobs["base_model"].reason and "GPU" in knobs["base_model"].reason
    assert knobs["learning_rate"].openai == 1.8
    text = path.read_text(encoding="utf-8")
    for knob in plan.knobs:
        assert f"# {knob.reason}" in text
    assert source.model_id in text
    assert any("validation" in note for note in plan.notes)


def test_the_source_is_found_by_name_ft_id_or_job_id(store, tmp_path):
    seed_source(store, tmp_path)
    plans = [plan_retrain(store, tmp_path, ref) for ref in (NAME, FT_ID, JOB_ID)]
    assert {p.source.ref for p in plans} == {f"{NAME}@1"}


def test_auto_values_follow_openais_defaults_and_keep_the_local_learning_rate(store, tmp_path):
    auto = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}
    seed_source(store, tmp_path, hyperparameters={"hyperparameters": auto})

    plan = plan_retrain(store, tmp_path, NAME)

    hp = plan.config.hyperparameters
    # 8 training examples: the cookbook raises epochs so the model sees about 100 examples
    assert hp.n_epochs == 100 // 8
    assert (hp.batch_size, hp.gradient_accumulation_steps) == (1, 1)
    assert hp.learning_rate == LORA_BASE_LR
    assert "auto" in _knobs(plan)["n_epochs"].reason


def test_a_resolved_legacy_value_wins_over_auto_in_method(store, tmp_path):
    hp = {
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": "auto"}}},
        "n_epochs": 5,
        "batch_size": 3,
        "learning_rate_multiplier": 0.5,
    }
    seed_source(store, tmp_path, hyperparameters=hp)
    plan = plan_retrain(store, tmp_path, NAME)
    assert plan.config.hyperparameters.n_epochs == 5
    assert plan.config.hyperparameters.batch_size == 3


def test_a_large_multiplier_is_clamped_and_says_so(store, tmp_path):
    seed_source(store, tmp_path, hyperparameters={"learning_rate_multiplier": 20})
    plan = plan_retrain(store, tmp_path, NAME)
    assert plan.config.hyperparameters.learning_rate == LR_MAX
    assert "clamped" in _knobs(plan)["learning_rate"].reason


def test_an_effective_batch_without_a_good_divisor_rounds_up(store, tmp_path):
    seed_source(store, tmp_path, hyperparameters={"batch_size": 13})
    plan = plan_retrain(store, tmp_path, NAME, micro_batch_limit=8)
    hp = plan.config.hyperparameters
    assert (hp.batch_size, hp.gradient_accumulation_steps) == (8, 2)
    assert "rounded up" in _knobs(plan)["gradient_accumulation_steps"].reason


def test_the_longest_family_prefix_names_the_base(store, tmp_path):
    seed_source(store, tmp_path, base_model="gpt-4.1-mini-2025-04-14")
    plan = plan_retrain(store, tmp_path, NAME)
    assert plan.config.base_model == "smollm2-135m"
    assert _knobs(plan)["base_model"].reason.startswith("gpt-4.1-mini →")


def test_base_steps_and_seed_options(store, tmp_path):
    seed_source(store, tmp_path)
    plan = plan_retrain(store, tmp_path, NAME, base="tiny", steps=2, seed=11)
    hp = plan.config.hyperparameters
    assert (plan.config.base_model, hp.max_steps, hp.seed) == ("tiny", 2, 11)
    assert "--base" in _knobs(plan)["base_model"].reason


def test_refusals_name_what_to_do(store, tmp_path):
    with pytest.raises(UnknownReference) as missing:
        plan_retrain(store, tmp_path, FT_ID)
    assert "tuneloop migrate openai pull" in (missing.value.hint or "")

    seed_source(store, tmp_path)
    with pytest.raises(InvalidRequest, match="pulled as 'seoul-guide'"):
        plan_retrain(store, tmp_path, FT_ID, name="other")


def test_a_dpo_job_is_refused(store, tmp_path):
    dpo = {"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}}}
    seed_source(store, tmp_path, hyperparameters=dpo)
    with pytest.raises(InvalidRequest, match="supervised"):
        plan_retrain(store, tmp_path, NAME)
