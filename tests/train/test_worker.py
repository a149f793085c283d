"""The training worker with a fake engine: success, failure, cancel, shutdown, and recovery of jobs
whose worker died."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from fixtures.server import make_project
from tuneloop.store.schema import utcnow
from tuneloop.train.base import Hyperparameters, Registration, TrainRequest
from tuneloop.train.jobs import job_output_dir
from tuneloop.train.local_lora import LocalLoraTrainer
from tuneloop.train.worker import ExecutableTrainer, Worker

from .test_jobs_fakes import FakeEngine, write_chat_jsonl


@pytest.fixture
def setup(store, tmp_path, tiny_model_dir, tiny_adapter_dir):
    settings = make_project(tmp_path / "project")
    store.registrations.register("tiny", "local", {"path": str(tiny_model_dir)})
    engine = FakeEngine(tiny_model_dir, adapter_from=tiny_adapter_dir)
    trainer = LocalLoraTrainer(settings, store, engine=engine)
    data = write_chat_jsonl(tmp_path / "train.jsonl")

    def start(**kw):
        request = TrainRequest(
            base_model="tiny",
            training_data=str(data),
            hyperparameters=Hyperparameters(n_epochs=1),
            **kw,
        )
        return trainer.start(request)

    def worker(name: str = "w1", **kw) -> Worker:
        kw.setdefault("heartbeat_interval", 0.05)
        kw.setdefault("stale_after", 30.0)
        kw.setdefault("poll_interval", 0.05)
        return Worker(settings, store, trainers={"local-lora": trainer}, name=name, **kw)

    return store, engine, trainer, start, worker


def _messages(trainer, job_id):
    return [e.message for e in trainer.events(job_id, limit=1000)][::-1]


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_local_lora_trainer_is_executable_by_workers(setup):
    _, _, trainer, _, _ = setup
    assert isinstance(trainer, ExecutableTrainer)


def test_worker_trains_a_queued_job_and_registers_the_servable_model(setup):
    store, engine, trainer, start, worker = setup
    job = start(suffix="seoul")
    done = worker().run_once()
    assert done.id == job.id and done.status == "succeeded"
    assert done.fine_tuned_model == f"ft:tiny:tuneloop:seoul:{job.id[6:14]}"
    assert done.trained_tokens == 10 * 4 * 3
    assert done.finished_at is not None and done.started_at is not None
    version = store.models.find_by_model_id(done.fine_tuned_model)
    # No registration (as for an API job): named from the suffix under the api- prefix.
    assert version.name == "api-seoul" and version.backend == "local" and version.job_id == job.id
    assert (Path(version.config["path"]) / "config.json").is_file()
    assert version.dataset_ref == job.training_data
    assert version.artifacts["training_data_sha256"].startswith("sha256:")
    assert version.hyperparameters["seed"] == job.seed
    assert [c.step for c in trainer.checkpoints(job.id)] == [4, 2]
    assert trainer.checkpoints(job.id)[0].model_id.endswith(":ckpt-step-4")
    events = trainer.events(job.id, limit=100)
    metrics = [e for e in events if e.type == "metrics"]
    assert [e.data["step"] for e in metrics] == [4, 3, 2, 1]
    assert events[0].message == "The job has successfully completed"
    assert engine.calls == [
        {"base_model": engine.model_dir, "resume": False, "first_step": 1, "n": 3}
    ]


def test_an_empty_queue_returns_none(setup):
    *_, worker = setup
    assert worker().run_once() is None


def test_a_crashing_run_fails_the_job_with_openais_error_object(setup):
    store, engine, trainer, start, worker = setup
    engine.fail_at = 3
    job = start()
    done = worker().run_once()
    assert done.status == "failed"
    assert done.error["code"] == "internal_error" and "boom at step 3" in done.error["message"]
    assert trainer.events(job.id)[0].level == "error"
    assert store.models.find_by_job(job.id) == []


def test_cancel_during_a_run_stops_it_at_a_checkpoint_and_marks_it_cancelled(setup):
    _store, engine, trainer, start, worker = setup
    engine.gate = threading.Event()
    engine.steps = 6
    job = start()
    runner = worker()
    thread = threading.Thread(target=runner.run_once)
    thread.start()
    assert engine.started.wait(10)
    trainer.cancel(job.id)
    time.sleep(0.3)  # several heartbeats: the worker has seen cancel_requested
    engine.gate.set()
    thread.join(10)
    final = trainer.get(job.id)
    assert final.status == "cancelled" and final.fine_tuned_model is None
    assert [c.step for c in trainer.checkpoints(job.id)] == [2]
    messages = _messages(trainer, job.id)
    assert "Cancellation requested; the job stops at its next step" in messages
    assert messages[-1] == "Fine-tuning job cancelled"


def test_worker_shutdown_requeues_the_job_and_the_next_worker_resumes_it(setup):
    _store, engine, trainer, start, worker = setup
    engine.gate = threading.Event()
    engine.gate_step = 3
    job = start()
    first = worker("w1")
    thread = threading.Thread(target=first.run_once)
    thread.start()
    _wait_for(lambda: trainer.checkpoints(job.id))
    first.stop()
    time.sleep(0.3)
    engine.gate.set()
    thread.join(10)
    assert trainer.get(job.id).status == "queued"
    assert "resumes from its last checkpoint" in _messages(trainer, job.id)[-1]
    engine.gate = None
    done = worker("w2").run_once()
    assert done.status == "succeeded"
    assert engine.calls[-1]["resume"] is True and engine.calls[-1]["first_step"] == 4
    assert "Fine-tuning job started on worker w2 from checkpoint step 3" in _messages(
        trainer, job.id
    )


def test_a_job_whose_worker_died_is_resumed_from_its_checkpoint_by_a_new_worker(setup):
    store, engine, trainer, start, worker = setup
    job = start()
    store.train_jobs.claim("dead-host:123", ["local-lora"])
    folder = job_output_dir(store, job.id) / "checkpoints" / "step-000002"
    folder.mkdir(parents=True)
    store.train_jobs.add_checkpoint(job.id, step=2, path=str(folder), metrics={"train_loss": 1.0})
    store.train_jobs.update(job.id, heartbeat_at=utcnow() - timedelta(minutes=10))

    worker("w-new", stale_after=60.0).run(until_idle=True)

    final = trainer.get(job.id)
    assert final.status == "succeeded"
    assert engine.calls == [
        {"base_model": engine.model_dir, "resume": True, "first_step": 3, "n": 3}
    ]
    messages = _messages(trainer, job.id)
    assert any("stopped responding; the job resumes from checkpoint step 2" in m for m in messages)
    assert "Fine-tuning job started on worker w-new from checkpoint step 2" in messages


def test_a_running_job_with_a_fresh_heartbeat_is_left_to_its_worker(setup):
    store, engine, trainer, start, worker = setup
    job = start()
    store.train_jobs.claim("alive-host:1", ["local-lora"])
    store.train_jobs.heartbeat(job.id, "alive-host:1")
    assert worker(stale_after=60.0).recover() == []
    assert worker().run_once() is None
    assert trainer.get(job.id).status == "running" and engine.calls == []


def test_jobs_of_remote_trainers_are_never_claimed(setup):
    store, _engine, _trainer, _start, worker = setup
    store.train_jobs.create(
        trainer="openai", base_model="gpt-4o-mini", training_data="x", status="queued"
    )
    assert worker().run_once() is None


def test_run_until_idle_trains_every_queued_job_oldest_first(setup):
    store, _engine, trainer, start, worker = setup
    jobs = [start(suffix=f"s{i}") for i in range(3)]
    worker().run(until_idle=True)
    assert all(trainer.get(j.id).status == "succeeded" for j in jobs)
    order = [store.train_jobs.get(j.id).started_at for j in jobs]
    assert order == sorted(order)


def test_resume_requeues_a_failed_job_which_continues_from_its_checkpoint(setup):
    _store, engine, trainer, start, worker = setup
    engine.fail_at = 3
    job = start()
    assert worker().run_once().status == "failed"
    engine.fail_at = None
    resumed = trainer.resume(job.id)
    assert resumed.status == "queued" and resumed.error is None
    assert worker().run_once().status == "succeeded"
    assert engine.calls[-1]["resume"] is True and engine.calls[-1]["first_step"] == 3


def test_the_registration_names_the_version_and_its_lineage(setup):
    store, _engine, _trainer, start, worker = setup
    job = start(
        suffix="seoul",
        registration=Registration(
            model_name="seoul-guide",
            dataset_ref="seoul-qa@3",
            prompt_ref="seoul-guide@2",
            author="kim",
        ),
    )
    done = worker().run_once()
    version = store.models.find_by_model_id(done.fine_tuned_model)
    assert version.ref == "seoul-guide@1" and version.dataset_ref == "seoul-qa@3"
    assert (version.prompt_ref, version.author) == ("seoul-guide@2", "kim")
    assert store.models.find_by_job(job.id) == [version]


def test_client_metadata_is_never_read_and_no_alias_ever_moves(setup):
    store, _engine, trainer, start, worker = setup
    trusted = start(registration=Registration(model_name="seoul-guide"))
    worker().run_once()
    store.models.promote("seoul-guide@1", "production", by="kim", force=True, reason="test setup")
    claims = {"model_name": "seoul-guide", "promote_to": "production", "dataset_ref": "x@9"}

    job = start(metadata=claims)
    done = worker().run_once()

    assert done.status == "succeeded" and done.metadata == claims  # stored and echoed
    assert store.models.get("seoul-guide@production").job_id == trusted.id
    assert [v.version for v in store.models.versions("seoul-guide")] == [1]
    version = store.models.find_by_job(job.id)[0]
    assert version.name == "api-tiny-ft" and version.dataset_ref == job.training_data
    assert store.models.aliases(version.name) == {}
    assert not any("Promoted" in m for m in _messages(trainer, job.id))


def test_checkpoints_with_an_adapter_are_servable_and_others_are_not_advertised(
    setup, tiny_adapter_dir
):
    store, engine, trainer, start, worker = setup
    job = start(suffix="seoul")
    worker().run_once()
    ids = [c.model_id for c in trainer.checkpoints(job.id)]
    assert ids == [f"ft:tiny:tuneloop:seoul:{job.id[6:14]}:ckpt-step-{n}" for n in (4, 2)]
    served = store.registrations.get(ids[0])
    assert served.backend == "local"
    assert served.config["adapter"].endswith("step-000004/adapter")

    engine.adapter_from = None
    bare = start(suffix="bare")
    worker().run_once()
    assert [c.model_id for c in trainer.checkpoints(bare.id)] == [None, None]
    assert store.train_jobs.checkpoints(bare.id, servable_only=True) == ([], False)
