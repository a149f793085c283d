"""The job store on real SQLite and PostgreSQL: jobs, pagination, events, checkpoints, the queue."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tuneloop.errors import InvalidRequest, NotFound
from tuneloop.registry import Store
from tuneloop.store.schema import utcnow


def _job(store: Store, **overrides):
    values = {
        "trainer": "local-lora",
        "base_model": "smollm2-135m",
        "training_data": "seoul-qa@1:train",
        "hyperparameters": {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 1.0},
        "seed": 7,
        "status": "queued",
    }
    values.update(overrides)
    return store.train_jobs.create(**values)


def test_created_job_reads_back_with_openai_style_id_and_metadata(store):
    job = _job(store, suffix="seoul", metadata={"team": "여행"}, validation_data="file-abc")
    assert job.id.startswith("ftjob-") and len(job.id) == len("ftjob-") + 24
    again = store.train_jobs.get(job.id)
    assert again == job
    assert again.metadata == {"team": "여행"}
    assert again.status == "queued" and not again.done
    assert again.hyperparameters["n_epochs"] == 2
    assert again.created_at.tzinfo is not None


def test_unknown_job_is_not_found(store):
    with pytest.raises(NotFound, match="ftjob-nope"):
        store.train_jobs.get("ftjob-nope")


def test_list_is_newest_first_and_pages_with_after_and_has_more(store):
    ids = [_job(store).id for _ in range(5)]
    first, more = store.train_jobs.list(limit=2)
    assert [j.id for j in first] == ids[::-1][:2] and more
    second, more = store.train_jobs.list(after=first[-1].id, limit=2)
    assert [j.id for j in second] == ids[::-1][2:4] and more
    last, more = store.train_jobs.list(after=second[-1].id, limit=2)
    assert [j.id for j in last] == [ids[0]] and not more


def test_list_filters_by_trainer(store):
    local = _job(store)
    remote = _job(store, trainer="openai", external_id="ftjob-remote1")
    assert [j.id for j in store.train_jobs.list(trainer="openai")[0]] == [remote.id]
    assert [j.id for j in store.train_jobs.list(trainer="local-lora")[0]] == [local.id]
    assert store.train_jobs.find_external("openai", "ftjob-remote1").id == remote.id


def test_events_come_newest_first_and_page_by_event_id(store):
    job = _job(store)
    messages = [f"step {i}: 손실 {1 / i:.2f}" for i in range(1, 6)]
    for text in messages:
        store.train_jobs.add_event(job.id, text, type="metrics", data={"step": 1})
    page, more = store.train_jobs.events(job.id, limit=3)
    assert [e.message for e in page] == messages[::-1][:3] and more
    assert page[0].id.startswith("ftevent-") and page[0].type == "metrics"
    rest, more = store.train_jobs.events(job.id, after=page[-1].id, limit=3)
    assert [e.message for e in rest] == messages[::-1][3:] and not more


def test_events_of_one_job_do_not_leak_into_another(store):
    a, b = _job(store), _job(store)
    store.train_jobs.add_event(a.id, "a")
    store.train_jobs.add_event(b.id, "b")
    assert [e.message for e in store.train_jobs.events(a.id)[0]] == ["a"]


def test_checkpoints_are_listed_highest_step_first(store, tmp_path):
    job = _job(store)
    for step in (10, 30, 20):
        store.train_jobs.add_checkpoint(
            job.id, step=step, path=str(tmp_path / f"step-{step}"), metrics={"train_loss": 1.0}
        )
    found, more = store.train_jobs.checkpoints(job.id)
    assert [c.step for c in found] == [30, 20, 10] and not more
    assert found[0].id.startswith("ftckpt-")
    assert store.train_jobs.latest_checkpoint(job.id).step == 30
    page, more = store.train_jobs.checkpoints(job.id, after=found[0].id, limit=1)
    assert [c.step for c in page] == [20] and more


def test_cancelling_a_queued_job_cancels_it_at_once(store):
    job = _job(store)
    cancelled = store.train_jobs.request_cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    assert store.train_jobs.claim("w1", ["local-lora"]) is None


def test_cancelling_a_running_job_only_flags_it_for_its_worker(store):
    job = _job(store)
    store.train_jobs.claim("w1", ["local-lora"])
    after = store.train_jobs.request_cancel(job.id)
    assert after.status == "running"
    beat = store.train_jobs.heartbeat(job.id, "w1")
    assert beat.owned and beat.cancel_requested


def test_claim_takes_the_oldest_queued_job_of_known_trainers(store):
    _job(store, trainer="openai")
    old = _job(store)
    _job(store)
    claimed = store.train_jobs.claim("w1", ["local-lora"])
    assert claimed.id == old.id
    assert claimed.status == "running" and claimed.started_at is not None


def test_heartbeat_reports_lost_ownership_after_a_stale_requeue(store):
    job = _job(store)
    store.train_jobs.claim("w1", ["local-lora"])
    requeued = store.train_jobs.requeue_stale(utcnow() + timedelta(seconds=1))
    assert [j.id for j in requeued] == [job.id]
    assert store.train_jobs.get(job.id).status == "queued"
    assert not store.train_jobs.heartbeat(job.id, "w1").owned
    assert store.train_jobs.claim("w2", ["local-lora"]).id == job.id


def test_fresh_heartbeats_are_not_requeued(store):
    job = _job(store)
    store.train_jobs.claim("w1", ["local-lora"])
    store.train_jobs.heartbeat(job.id, "w1")
    assert store.train_jobs.requeue_stale(utcnow() - timedelta(seconds=60)) == []
    assert store.train_jobs.get(job.id).status == "running"


def test_transition_is_guarded_by_status_and_worker(store):
    job = _job(store)
    store.train_jobs.claim("w1", ["local-lora"])
    assert store.train_jobs.transition(job.id, "succeeded", expect={"running"}, worker="w2") is None
    done = store.train_jobs.transition(
        job.id, "succeeded", expect={"running"}, worker="w1", fine_tuned_model="ft:x"
    )
    assert done.status == "succeeded" and done.finished_at is not None
    assert done.fine_tuned_model == "ft:x"


def test_only_failed_or_cancelled_jobs_can_be_requeued(store):
    job = _job(store)
    with pytest.raises(InvalidRequest, match="only failed or cancelled"):
        store.train_jobs.requeue(job.id)
    store.train_jobs.request_cancel(job.id)
    again = store.train_jobs.requeue(job.id)
    assert again.status == "queued" and again.finished_at is None


def test_sequential_claims_never_return_the_same_job(store):
    ids = {_job(store).id for _ in range(4)}
    claimed = [store.train_jobs.claim(f"w{i}", ["local-lora"]) for i in range(6)]
    got = [c.id for c in claimed if c is not None]
    assert sorted(got) == sorted(ids)
    assert claimed[4] is None and claimed[5] is None


def test_racing_workers_on_two_engines_never_claim_the_same_job(db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the race is exercised on PostgreSQL")
    first = Store(db_url, tmp_path / "a")
    second = Store(db_url, tmp_path / "b", migrate=False)
    try:
        ids = {_job(first).id for _ in range(20)}
        got: dict[str, list[str]] = {"a": [], "b": []}
        barrier = threading.Barrier(2)

        def drain(store: Store, key: str) -> None:
            barrier.wait()
            while (job := store.train_jobs.claim(key, ["local-lora"])) is not None:
                got[key].append(job.id)

        threads = [
            threading.Thread(target=drain, args=(first, "a")),
            threading.Thread(target=drain, args=(second, "b")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not set(got["a"]) & set(got["b"])
        assert set(got["a"]) | set(got["b"]) == ids
        with first.engine.connect() as conn:
            workers = dict(conn.execute(sa.text("SELECT id, worker FROM train_jobs")).all())
        assert {workers[i] for i in got["a"]} <= {"a"} and {workers[i] for i in got["b"]} <= {"b"}
    finally:
        first.close()
        second.close()


def test_uploaded_file_keeps_its_bytes_and_pages_newest_first(store):
    data = "서울 데이터\n".encode()
    records = [store.files.create(f"train-{i}.jsonl", "fine-tune", data) for i in range(3)]
    assert records[0].id.startswith("file-") and records[0].bytes == len(data)
    assert store.files.content(records[1].id) == data
    page, more = store.files.list(limit=2)
    assert [r.id for r in page] == [records[2].id, records[1].id] and more
    asc, _ = store.files.list(order="asc", after=records[0].id)
    assert [r.id for r in asc] == [records[1].id, records[2].id]
    store.files.delete(records[0].id)
    with pytest.raises(NotFound):
        store.files.get(records[0].id)
    with pytest.raises(NotFound):
        store.files.delete(records[0].id)
