"""``tuneloop train``: train files and flag overrides, --dry-run estimates, foreground runs that
register (never promote) the result, --detach, --resume, and status/list/cancel/events.

No real model is trained: the local trainer gets a fake engine that "trains" instantly through the
same callbacks the real engine uses; estimates use the tiny random model's tokenizer.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tuneloop.config import load_settings
from tuneloop.errors import ConfigError, DataError, InvalidRequest, NotFound
from tuneloop.registry import Store
from tuneloop.train.config import apply_overrides, load_train_config

SYSTEM = "당신은 서울 여행을 돕는 친절한 한국어 안내원입니다."
PAIRS = [
    ("경복궁은 언제 쉬나요?", "경복궁은 보통 매주 화요일에 쉽니다."),
    ("광장시장에서 무엇을 먹으면 좋을까요?", "빈대떡과 마약김밥을 많이 먹습니다."),
    ("How do I get to N Seoul Tower?", "Take the Namsan cable car or bus 01A from Myeongdong."),
    ("티머니 카드는 어디서 사나요?", "편의점과 지하철역 자판기에서 살 수 있습니다."),
]


def chat_jsonl(path: Path, pairs=PAIRS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": q},
                    {"role": "assistant", "content": a},
                ]
            },
            ensure_ascii=False,
        )
        for q, a in pairs
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class FakeEngine:
    """Trains instantly: three metrics events, a merged folder, a succeeded result."""

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    def check_training_inputs(self, train, validation, hp, base_model) -> list[str]:
        assert train, "the trainer passes the examples it resolved"
        return []

    def make_callbacks(self, on_event, on_checkpoint, should_stop):
        return SimpleNamespace(
            on_event=on_event, on_checkpoint=on_checkpoint, should_stop=should_stop
        )

    def run_sft(
        self, base_model, train, validation, hp, out_dir, *, resume, merge, callbacks, device
    ):
        self.runs.append({"train": len(train), "validation": validation, "hp": hp})
        for step in (1, 2, 3):
            callbacks.on_event(
                f"step {step}/3: train loss {2.0 / step:.4f}",
                {
                    "step": step,
                    "total_steps": 3,
                    "train_loss": 2.0 / step,
                    "tokens_per_second": 120.0,
                },
            )
        merged = Path(out_dir) / "merged"
        merged.mkdir(parents=True, exist_ok=True)
        return SimpleNamespace(
            status="succeeded",
            merged_dir=merged,
            adapter_dir=None,
            steps=3,
            train_loss=0.667,
            valid_loss=None,
            trained_tokens=300,
        )


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """Every local-lora trainer the CLI builds gets the fake engine."""
    from tuneloop.train import registry
    from tuneloop.train.local_lora import LocalLoraTrainer

    fake = FakeEngine()
    real = registry.get_trainer

    def get_trainer(name, settings, store):
        if name == "local-lora":
            return LocalLoraTrainer(settings, store, engine=fake)
        return real(name, settings, store)

    monkeypatch.setattr(registry, "get_trainer", get_trainer)
    return fake


@pytest.fixture
def project_store(project: Path):
    opened = Store.from_settings(load_settings(project))
    yield opened
    opened.close()


@pytest.fixture
def seoul_qa(project: Path, project_store: Store, tmp_path: Path) -> str:
    """Dataset seoul-qa@1 with train and validation splits (OpenAI chat JSONL)."""
    train = chat_jsonl(tmp_path / "splits" / "train.jsonl")
    valid = chat_jsonl(tmp_path / "splits" / "validation.jsonl", PAIRS[:2])
    version, _ = project_store.datasets.push(
        "seoul-qa", {"train": train, "validation": valid}, author="kim"
    )
    return version.ref


def write_config(folder: Path, text: str, name: str = "train.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# the train file


def test_train_file_data_paths_are_relative_to_the_file(tmp_path):
    chat_jsonl(tmp_path / "cfg" / "data" / "train.jsonl")
    path = write_config(
        tmp_path / "cfg",
        "base_model: smollm2-135m\ntraining_data: data/train.jsonl\n"
        "hyperparameters:\n  n_epochs: 2\n",
    )

    config = load_train_config(path)

    assert config.training_data == str((tmp_path / "cfg" / "data" / "train.jsonl").resolve())
    assert config.hyperparameters.n_epochs == 2
    assert config.trainer == "local-lora"


def test_train_file_errors_name_the_line_of_the_bad_key(tmp_path):
    path = write_config(
        tmp_path,
        "base_model: smollm2-135m\ndataset: seoul-qa@1\nhyperparameters:\n  n_epoch: 2\n",
    )

    with pytest.raises(ConfigError) as info:
        load_train_config(path)
    assert f"{path}:4:" in info.value.message
    assert "n_epoch" in info.value.message


def test_train_file_needs_exactly_one_way_of_naming_the_data(tmp_path):
    none = write_config(tmp_path, "base_model: smollm2-135m\n", "none.yaml")
    both = write_config(
        tmp_path, "base_model: x\ndataset: seoul-qa@1\ntraining_data: a.jsonl\n", "both.yaml"
    )

    with pytest.raises(ConfigError, match="dataset"):
        load_train_config(none)
    with pytest.raises(ConfigError, match="not both"):
        load_train_config(both)


def test_toml_train_files_are_read_too(tmp_path):
    path = write_config(
        tmp_path,
        'base_model = "smollm2-135m"\ndataset = "seoul-qa@2"\nmodel_name = "seoul-guide"\n'
        "[hyperparameters]\nlora_r = 4\n",
        "train.toml",
    )

    config = load_train_config(path)

    assert (config.dataset, config.model_name) == ("seoul-qa@2", "seoul-guide")
    assert config.hyperparameters.lora_r == 4


def test_flags_override_the_file_and_a_dataset_flag_replaces_training_data(tmp_path):
    chat_jsonl(tmp_path / "train.jsonl")
    path = write_config(
        tmp_path,
        "base_model: smollm2-135m\ntraining_data: train.jsonl\n"
        "hyperparameters:\n  n_epochs: 3\n  lora_r: 16\n",
    )

    config = apply_overrides(
        load_train_config(path), {"dataset": "seoul-qa@1"}, {"n_epochs": 1, "lora_r": None}
    )

    assert config.dataset == "seoul-qa@1"
    assert config.training_data is None
    assert (config.hyperparameters.n_epochs, config.hyperparameters.lora_r) == (1, 16)


# --dry-run


def test_dry_run_local_prints_tokens_time_and_openai_cost_without_creating_a_job(
    invoke, project, tiny_model_dir, tmp_path, project_store
):
    data = chat_jsonl(tmp_path / "train.jsonl")

    result = invoke(
        "--project", project, "train", "run", "--base-model", tiny_model_dir,
        "--training-data", data, "--epochs", "2", "--max-length", "256", "--dry-run", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    estimate = json.loads(result.stdout)
    assert estimate["examples"] == len(PAIRS)
    assert estimate["tokens_exact"] is True
    assert estimate["trained_tokens"] == 2 * estimate["tokens_per_epoch"] > 0
    assert estimate["steps"] >= 1 and estimate["seconds"] > 0
    costs = {row["model"]: row for row in estimate["openai_costs"]}
    assert {"gpt-4o-mini", "gpt-4.1"} <= set(costs)
    assert estimate["openai_token_counter"] == "o200k_base"  # what every priced model uses
    mini = costs["gpt-4o-mini"]
    assert mini["cost_usd"] == pytest.approx(mini["billed_tokens"] * 3.0 / 1e6)
    assert project_store.train_jobs.list()[0] == []


def test_dry_run_openai_shows_the_base_models_price_and_no_local_time(invoke, project, seoul_qa):
    result = invoke(
        "--project", project, "train", "run", "--trainer", "openai",
        "--base-model", "gpt-4o-mini-2024-07-18", "--dataset", "seoul-qa@latest",
        "--epochs", "3", "--dry-run", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    estimate = json.loads(result.stdout)
    assert estimate["training_data"] == "seoul-qa@1:train"
    assert estimate["validation_data"] == "seoul-qa@1:validation"
    assert estimate["seconds"] is None
    assert [row["model"] for row in estimate["openai_costs"]] == ["gpt-4o-mini"]
    assert estimate["openai_costs"][0]["billed_tokens"] == 3 * estimate["tokens_per_epoch"]


def test_dry_run_reports_bad_training_data_with_its_line(invoke, project, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "안녕"}]}\nnot json\n', "utf-8")

    result = invoke(
        "--project", project, "train", "run", "--trainer", "openai", "--base-model",
        "gpt-4o-mini", "--training-data", bad, "--dry-run",
    )  # fmt: skip

    assert isinstance(result.exception, DataError)
    assert "line 2" in str(result.exception)


# foreground runs


def test_run_trains_in_the_foreground_and_registers_the_result_with_its_lineage(
    invoke, project, seoul_qa, engine, project_store, tmp_path
):
    config = write_config(
        tmp_path,
        "base_model: smollm2-135m\ndataset: seoul-qa@latest\nmodel_name: seoul-guide\n"
        "suffix: seoul\nprompt: seoul-guide@2\n"
        "hyperparameters:\n  n_epochs: 2\n  seed: 7\n",
    )

    result = invoke("--project", project, "train", "run", config, "--json")

    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout)
    assert job["status"] == "succeeded"
    assert job["training_data"] == "seoul-qa@1:train"
    assert job["validation_data"] == "seoul-qa@1:validation"
    assert job["metadata"] == {}  # what the train file decides is not client metadata
    assert engine.runs[0]["hp"].n_epochs == 2
    version = project_store.models.get("seoul-guide@1")
    assert version.model_id == job["fine_tuned_model"]
    assert version.prompt_ref == "seoul-guide@2"
    assert version.name == "seoul-guide"  # model_name, not the suffix
    assert ":seoul:" in version.model_id
    assert version.dataset_ref == "seoul-qa@1"  # @latest pinned when the job was created
    assert version.job_id == job["id"]
    assert version.hyperparameters["seed"] == 7
    assert version.config["path"].endswith("merged")
    assert project_store.models.aliases("seoul-guide") == {}  # training moves no alias


def test_a_train_file_with_promote_to_fails_naming_its_line_and_the_new_way(
    invoke, project, seoul_qa, engine, project_store, tmp_path
):
    config = write_config(
        tmp_path,
        "base_model: smollm2-135m\ndataset: seoul-qa@1\nmodel_name: seoul-guide\n"
        "promote_to: staging\n",
    )

    result = invoke("--project", project, "train", "run", config)

    assert isinstance(result.exception, ConfigError)
    message = str(result.exception)
    assert f"{config}:4:1" in message
    assert "tuneloop eval gate" in message and "tuneloop models promote" in message
    assert "docs/train.md" in message
    assert engine.runs == [] and project_store.train_jobs.list()[0] == []


def test_a_toml_train_file_with_promote_to_fails_too(tmp_path):
    path = write_config(
        tmp_path, 'base_model = "x"\ndataset = "seoul-qa@1"\npromote_to = "staging"\n', "t.toml"
    )

    with pytest.raises(ConfigError, match="promote_to") as info:
        load_train_config(path)
    assert str(path) in info.value.message and "tuneloop models promote" in info.value.message


def test_the_promote_to_flag_is_gone(invoke, project):
    result = invoke("--project", project, "train", "run", "--promote-to", "staging")

    assert result.exit_code == 2 and "No such option" in result.output


def test_run_without_json_shows_the_registered_version(invoke, project, seoul_qa, engine, tmp_path):
    result = invoke(
        "--project", project, "train", "run", "--base-model", "smollm2-135m",
        "--dataset", "seoul-qa@1", "--model-name", "seoul-guide",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Succeeded" in result.stdout
    assert "seoul-guide@1" in result.stdout
    assert "tuneloop models promote seoul-guide@1" in result.stdout


def test_run_needs_a_file_or_a_base_model(invoke, project):
    result = invoke("--project", project, "train", "run", "--dataset", "seoul-qa@1")

    assert isinstance(result.exception, InvalidRequest)
    assert "Nothing to train" in str(result.exception)


# --detach, status, list, cancel, events, --resume


def test_detach_queues_the_job_and_the_job_commands_follow_it(
    invoke, project, seoul_qa, engine, project_store
):
    queued = invoke(
        "--project", project, "train", "run", "--base-model", "smollm2-135m",
        "--dataset", "seoul-qa@1", "--detach", "--json",
    )  # fmt: skip
    assert queued.exit_code == 0, queued.output
    job_id = json.loads(queued.stdout)["id"]
    assert engine.runs == []

    status = json.loads(invoke("--project", project, "train", "status", job_id, "--json").stdout)
    listed = json.loads(invoke("--project", project, "train", "list", "--json").stdout)
    events = json.loads(invoke("--project", project, "train", "events", job_id, "--json").stdout)
    assert status["status"] == "queued"
    assert [j["id"] for j in listed] == [job_id]
    assert events[0]["message"].startswith("Created fine-tuning job")
    text = invoke("--project", project, "train", "events", job_id)
    assert "seoul-qa@1:train:" in text.stdout  # not rendered as an emoji code

    cancelled = invoke("--project", project, "train", "cancel", job_id)
    assert cancelled.exit_code == 0, cancelled.output
    assert project_store.train_jobs.get(job_id).status == "cancelled"

    resumed = invoke("--project", project, "train", "run", "--resume", job_id, "--json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    assert len(engine.runs) == 1


def test_resume_refuses_a_job_that_already_succeeded(invoke, project, seoul_qa, engine):
    done = invoke(
        "--project", project, "train", "run", "--base-model", "smollm2-135m",
        "--dataset", "seoul-qa@1", "--json",
    )  # fmt: skip
    job_id = json.loads(done.stdout)["id"]

    again = invoke("--project", project, "train", "run", "--resume", job_id)

    assert isinstance(again.exception, InvalidRequest)
    assert "already succeeded" in str(again.exception)


def test_status_of_an_unknown_job_is_not_found(invoke, project):
    result = invoke("--project", project, "train", "status", "ftjob-nope")

    assert isinstance(result.exception, NotFound)


def test_the_seoul_sample_train_file_is_valid_and_trains_smollm2_on_seoul_qa():
    sample = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel" / "train.yaml"

    config = load_train_config(sample)

    assert (config.trainer, config.base_model) == ("local-lora", "smollm2-135m")
    assert config.dataset == "seoul-qa@latest"
    assert config.model_name == "seoul-guide"
    assert config.hyperparameters.max_length <= 1024
    assert "promote_to" not in sample.read_text(encoding="utf-8")
