"""The training workflow (``train/run.py``): start from a train config, follow to the end,
stop at a checkpoint and resume — with a fake engine, as ``tuneloop train run`` drives it."""

from __future__ import annotations

import threading

import pytest

from fixtures.server import make_project
from tuneloop.errors import InvalidRequest
from tuneloop.train import run as train_run
from tuneloop.train.config import TrainConfig
from tuneloop.train.local_lora import LocalLoraTrainer

from .test_jobs_fakes import FakeEngine, write_chat_jsonl


@pytest.fixture
def project(store, tmp_path, tiny_model_dir, monkeypatch):
    settings = make_project(tmp_path / "project")
    store.registrations.register("tiny", "local", {"path": str(tiny_model_dir)})
    engine = FakeEngine(tiny_model_dir)
    monkeypatch.setattr(
        train_run,
        "trainer_for",
        lambda name, s, db: LocalLoraTrainer(s, db, engine=engine),
    )
    data = write_chat_jsonl(tmp_path / "train.jsonl")
    config = TrainConfig(
        base_model="tiny", training_data=str(data), model_name="seoul-guide", prompt="p@1"
    )
    return settings, store, engine, config


def test_a_run_trains_here_and_registers_the_train_files_name_without_moving_an_alias(project):
    settings, store, _engine, config = project

    started = train_run.start(config, settings, store, author="kim")
    final = started.follow()

    assert started.local and final.status == "succeeded"
    version = store.models.find_by_job(final.id)[0]
    assert (version.ref, version.author, version.prompt_ref) == ("seoul-guide@1", "kim", "p@1")
    assert store.models.aliases("seoul-guide") == {}
    assert final.metadata == {}


def test_stop_checkpoints_and_requeues_and_resume_continues_from_the_checkpoint(project):
    settings, store, engine, config = project
    engine.gate = threading.Event()
    engine.gate_step = 3
    started = train_run.start(config, settings, store, author="kim")
    thread = threading.Thread(target=started.follow)
    thread.start()
    assert engine.started.wait(10)
    started.stop()
    engine.gate.set()
    thread.join(10)
    assert store.train_jobs.get(started.job.id).status == "queued"
    engine.gate = None

    again = train_run.resume(started.job.id, settings, store)
    final = again.follow()

    assert final.status == "succeeded"
    assert engine.calls[-1]["resume"] is True and engine.calls[-1]["first_step"] > 1
    with pytest.raises(InvalidRequest, match="already succeeded"):
        train_run.resume(final.id, settings, store)
