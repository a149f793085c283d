"""The job service and the local-lora trainer's ``start``: data resolution, validation, naming."""

from __future__ import annotations

import json

import pytest

from fixtures.server import make_project
from tuneloop.data.records import Example, Source, write_records
from tuneloop.errors import DataError, InvalidRequest, TrainError
from tuneloop.train.base import Hyperparameters, Registration, TrainRequest
from tuneloop.train.finish import model_name_for
from tuneloop.train.jobs import (
    JobService,
    check_suffix,
    fine_tuned_model_id,
    resolve_training_data,
)
from tuneloop.train.local_lora import LocalLoraTrainer
from tuneloop.train.registry import get_trainer, trainer_factories

from .test_jobs_fakes import SEOUL_CHATS, FakeEngine, chat_jsonl, write_chat_jsonl


@pytest.fixture
def trainer(store, tmp_path, tiny_model_dir):
    settings = make_project(tmp_path / "project")
    store.registrations.register("tiny", "local", {"path": str(tiny_model_dir)})
    return LocalLoraTrainer(settings, store, engine=FakeEngine(tiny_model_dir))


def test_fine_tuned_model_id_follows_openai_naming():
    job_id = "ftjob-0123456789abcdef01234567"
    assert fine_tuned_model_id("smollm2-135m", "seoul", job_id) == (
        "ft:smollm2-135m:tuneloop:seoul:01234567"
    )
    assert fine_tuned_model_id("tiny", None, job_id) == "ft:tiny:tuneloop:model:01234567"


@pytest.mark.parametrize("bad", ["", "has space", "a" * 65, "-lead", "서울"])
def test_bad_suffixes_are_refused(bad):
    with pytest.raises(InvalidRequest, match="suffix"):
        check_suffix(bad)


def test_model_name_falls_back_to_base_name_and_strips_path_characters():
    assert model_name_for("seoul", "smollm2-135m") == "seoul"
    assert model_name_for(None, "local:/models/tiny") == "local-models-tiny-ft"


def test_chat_jsonl_file_resolves_to_examples(tmp_path):
    path = write_chat_jsonl(tmp_path / "train.jsonl")
    data = resolve_training_data(str(path), None)
    assert data.format == "openai"
    assert [e.first("user") for e in data.examples] == [m[-2]["content"] for m in SEOUL_CHATS]


def test_record_file_and_dataset_split_resolve_to_examples(store, tmp_path):
    examples = [
        Example(messages=m, source=Source("seed.csv", i)) for i, m in enumerate(SEOUL_CHATS, 1)
    ]
    path = tmp_path / "train.records.jsonl"
    write_records(path, examples)
    from_file = resolve_training_data(str(path), store)
    assert from_file.format == "tuneloop" and len(from_file.examples) == 3
    store.datasets.push("seoul-qa", {"train": path}, author="kim")
    from_ref = resolve_training_data("seoul-qa@1:train", store)
    assert [e.id for e in from_ref.examples] == [e.id for e in examples]


def test_uploaded_file_id_resolves_and_wrong_purpose_is_refused(store):
    record = store.files.create("train.jsonl", "fine-tune", chat_jsonl())
    assert len(resolve_training_data(record.id, store).examples) == 3
    other = store.files.create("batch.jsonl", "batch", chat_jsonl())
    with pytest.raises(InvalidRequest, match="purpose"):
        resolve_training_data(other.id, store)


def test_invalid_lines_are_reported_with_their_line_numbers(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = [
        json.dumps({"messages": SEOUL_CHATS[0]}, ensure_ascii=False),
        "{not json",
        json.dumps({"messages": [{"role": "user", "content": "질문만"}]}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        resolve_training_data(str(path), None, param="validation_file")
    message = str(info.value)
    assert "line 2: invalid_json" in message
    assert "line 3: example_missing_assistant_message" in message
    assert info.value.param == "validation_file"


def test_missing_data_names_the_three_ways_to_give_it(tmp_path):
    with pytest.raises(DataError, match="dataset split"):
        resolve_training_data(str(tmp_path / "nope.jsonl"), None)


def test_start_validates_then_queues_and_logs_the_validation(trainer, tmp_path):
    path = write_chat_jsonl(tmp_path / "train.jsonl")
    job = trainer.start(
        TrainRequest(
            base_model="tiny",
            training_data=str(path),
            hyperparameters=Hyperparameters(n_epochs=1, seed=3),
            suffix="seoul",
            metadata={"team": "서울"},
            registration=Registration(model_name="seoul-guide", prompt_ref="seoul-guide@2"),
        )
    )
    assert job.status == "queued" and job.trainer == "local-lora"
    assert job.seed == 3 and job.hyperparameters["n_epochs"] == 1
    assert job.metadata == {"team": "서울"}  # the client's, untouched
    stored = trainer.store.train_jobs.get(job.id).registration
    assert stored == Registration(model_name="seoul-guide", prompt_ref="seoul-guide@2")
    messages = [e.message for e in trainer.events(job.id, limit=100)][::-1]
    assert messages[0] == f"Created fine-tuning job: {job.id}"
    assert any("3 examples" in m for m in messages)
    assert "fake engine: 3 examples" in messages  # the engine's warnings become events
    assert messages[-1] == "Files validated, moving job to queued state"


def test_start_refuses_bad_data_before_creating_any_job(trainer, store, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": []}\n', encoding="utf-8")
    with pytest.raises(DataError):
        trainer.start(TrainRequest(base_model="tiny", training_data=str(path)))
    assert store.train_jobs.list()[0] == []


def test_start_refuses_a_base_model_without_local_weights(trainer, store, tmp_path):
    store.registrations.register("remote", "openai", {"model": "gpt-4o-mini"})
    path = write_chat_jsonl(tmp_path / "train.jsonl")
    with pytest.raises(TrainError, match="local LoRA"):
        trainer.start(TrainRequest(base_model="remote", training_data=str(path)))


def test_cancel_of_a_finished_job_is_refused_and_of_a_cancelled_one_is_a_no_op(trainer, tmp_path):
    path = write_chat_jsonl(tmp_path / "train.jsonl")
    job = trainer.start(TrainRequest(base_model="tiny", training_data=str(path)))
    assert trainer.cancel(job.id).status == "cancelled"
    assert trainer.cancel(job.id).status == "cancelled"
    events = [e.message for e in trainer.events(job.id)]
    assert events.count("Fine-tuning job cancelled") == 1
    trainer.store.train_jobs.update(job.id, status="succeeded")
    with pytest.raises(InvalidRequest, match="already succeeded"):
        trainer.cancel(job.id)


def test_job_service_hides_other_trainers_jobs(store):
    job = store.train_jobs.create(trainer="openai", base_model="gpt-4o-mini", training_data="x")
    with pytest.raises(Exception, match="openai"):
        JobService(store, "local-lora").get(job.id)


def test_both_builtin_trainers_are_registered_through_the_plugin_hook(store, tmp_path):
    assert {"local-lora", "openai"} <= set(trainer_factories())
    settings = make_project(tmp_path / "p")
    assert get_trainer("local-lora", settings, store).name == "local-lora"
    with pytest.raises(TrainError, match="Installed trainers"):
        get_trainer("nope", settings, store)
