"""The ``openai`` trainer drives a real tuneloop server's fine-tuning API end to end, through the
official SDK, and records the job and the resulting model in its own project's store."""

from __future__ import annotations

import json
import threading
import time

import pytest

from fixtures.server import make_project
from tuneloop.data.records import Example, write_records
from tuneloop.errors import AuthError, DataError, InvalidRequest, TrainError
from tuneloop.models.catalog import Catalog
from tuneloop.models.types import Message, SamplingParams
from tuneloop.registry import Store
from tuneloop.train.base import Hyperparameters, Registration, TrainRequest
from tuneloop.train.openai_trainer import OpenAITrainer, method_for

from .test_jobs_fakes import SEOUL_CHATS, fine_tuning_server, write_chat_jsonl


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model_dir):
    with fine_tuning_server(tmp_path_factory.mktemp("remote"), tiny_model_dir) as running:
        yield running


@pytest.fixture
def local(tmp_path, server, monkeypatch):
    """The client side: its own project and store, and a trainer pointed at the server."""
    monkeypatch.setenv("TL_FT_KEY", server.api_key)
    settings = make_project(tmp_path / "client")
    store = Store.from_settings(settings)
    trainer = OpenAITrainer(store, base_url=server.base_url, api_key_env="TL_FT_KEY")
    yield settings, store, trainer
    store.close()


def test_method_sends_auto_for_knobs_left_at_their_defaults():
    method = method_for(Hyperparameters(n_epochs=2, lora_r=4))
    assert method == {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {
                "n_epochs": 2,
                "batch_size": "auto",
                "learning_rate_multiplier": "auto",
            }
        },
    }


def test_trainer_runs_a_job_on_the_server_and_registers_the_resulting_model(
    local, server, tmp_path
):
    settings, store, trainer = local
    server_version = server.store.models.find_by_model_id
    data = write_chat_jsonl(tmp_path / "seoul.jsonl")
    job = trainer.start(
        TrainRequest(
            base_model="tiny",
            training_data=str(data),
            hyperparameters=Hyperparameters(n_epochs=2, seed=5),
            suffix="seoul",
            registration=Registration(
                model_name="seoul-guide", prompt_ref="seoul-guide@1", author="kim"
            ),
        )
    )
    assert job.trainer == "openai" and job.external_id.startswith("ftjob-")
    assert job.id != job.external_id
    seen = []
    done = trainer.wait(job.id, poll_interval=0.05, timeout=30, on_event=seen.append)
    assert done.status == "succeeded"
    assert done.fine_tuned_model == f"ft:tiny:tuneloop:seoul:{job.external_id[6:14]}"
    assert store.train_jobs.get(job.id).fine_tuned_model == done.fine_tuned_model
    assert seen[0].message == f"Created fine-tuning job: {job.external_id}"
    assert seen[-1].message == "The job has successfully completed"
    assert [c.step for c in trainer.checkpoints(job.id)] == [4, 2]

    version = store.models.find_by_model_id(done.fine_tuned_model)
    assert version.backend == "openai" and version.job_id == job.id
    assert version.config["base_url"] == trainer.base_url
    assert (version.ref, version.prompt_ref, version.author) == (
        "seoul-guide@1",
        "seoul-guide@1",
        "kim",
    )
    assert version.dataset_ref == str(data)
    assert version.artifacts["training_data_sha256"].startswith("sha256:")
    # The registration stays here: the remote server got plain data and named its copy itself.
    remote = trainer.client.fine_tuning.jobs.retrieve(job.external_id)
    assert not remote.metadata
    assert server_version(done.fine_tuned_model).name == "api-seoul"
    chat = Catalog(settings, store).get(done.fine_tuned_model)
    answer = chat.generate([Message("user", "경복궁?")], SamplingParams(max_tokens=3))
    assert isinstance(answer.text, str) and answer.usage.prompt_tokens > 0


def test_the_remote_job_id_also_finds_the_local_record(local, tmp_path):
    _, _, trainer = local
    job = trainer.start(
        TrainRequest(base_model="tiny", training_data=str(write_chat_jsonl(tmp_path / "t.jsonl")))
    )
    assert trainer.get(job.external_id).id == job.id


def test_a_record_dataset_is_uploaded_as_openai_chat_jsonl(local, server, tmp_path):
    _, store, trainer = local
    path = tmp_path / "train.records.jsonl"
    write_records(path, [Example(messages=m) for m in SEOUL_CHATS])
    store.datasets.push("seoul-qa", {"train": path}, author="kim")
    job = trainer.start(TrainRequest(base_model="tiny", training_data="seoul-qa@1:train"))
    remote = trainer.client.fine_tuning.jobs.retrieve(job.external_id)
    lines = server.store.files.content(remote.training_file).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"messages": m} for m in SEOUL_CHATS]
    assert store.train_jobs.get(job.id).training_data == "seoul-qa@1:train"


def test_bad_data_is_refused_before_anything_is_uploaded(local, server, tmp_path):
    _, _, trainer = local
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "답 없음"}]}\n', encoding="utf-8")
    before = len(server.store.files.list()[0])
    with pytest.raises(DataError, match="line 1"):
        trainer.start(TrainRequest(base_model="tiny", training_data=str(bad)))
    assert len(server.store.files.list()[0]) == before


def test_remote_refusals_become_tuneloop_errors(local, tmp_path, server, monkeypatch):
    _, store, trainer = local
    data = str(write_chat_jsonl(tmp_path / "t.jsonl"))
    with pytest.raises(InvalidRequest) as info:
        trainer.start(TrainRequest(base_model="no-such-model", training_data=data))
    assert info.value.param == "model"
    assert store.train_jobs.list()[0] == []
    wrong = OpenAITrainer(store, base_url=server.base_url, api_key="wrong-key")
    with pytest.raises(AuthError):
        wrong.start(TrainRequest(base_model="tiny", training_data=data))


def test_cancel_goes_to_the_server_and_resume_is_refused(local, server, tmp_path):
    _, _, trainer = local
    server.engine.gate = threading.Event()
    try:
        job = trainer.start(
            TrainRequest(
                base_model="tiny", training_data=str(write_chat_jsonl(tmp_path / "t.jsonl"))
            )
        )
        trainer.cancel(job.id)
        time.sleep(0.3)
    finally:
        server.engine.gate.set()
        server.engine.gate = None
    done = trainer.wait(job.id, poll_interval=0.05, timeout=30)
    assert done.status == "cancelled"
    assert server.store.train_jobs.get(job.external_id).status == "cancelled"
    with pytest.raises(TrainError, match="cannot be resumed"):
        trainer.resume(job.id)
