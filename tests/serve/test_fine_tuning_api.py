"""``/v1/fine_tuning/jobs`` end to end with the official ``openai`` SDK against a real server whose
worker trains with a fast fake engine."""

from __future__ import annotations

import csv
import io
import threading

import httpx
import jsonschema
import openai
import pytest

from train.test_jobs_fakes import chat_jsonl, fine_tuning_server, wait_for_status
from tuneloop.train.base import Hyperparameters


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model_dir):
    with fine_tuning_server(tmp_path_factory.mktemp("ft-server"), tiny_model_dir) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return server.client()


@pytest.fixture(scope="module")
def training_file(client):
    return client.files.create(file=("seoul.jsonl", chat_jsonl()), purpose="fine-tune")


@pytest.fixture(scope="module")
def finished(client, training_file):
    job = client.fine_tuning.jobs.create(
        model="tiny",
        training_file=training_file.id,
        suffix="seoul",
        seed=42,
        metadata={"team": "서울여행"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
    )
    assert job.status in ("queued", "running")
    return wait_for_status(client, job.id, {"succeeded", "failed", "cancelled"})


def test_a_job_trains_to_a_servable_ft_model(finished, training_file):
    assert finished.status == "succeeded", finished.error
    assert finished.object == "fine_tuning.job"
    assert finished.fine_tuned_model == f"ft:tiny:tuneloop:seoul:{finished.id[6:14]}"
    assert finished.model == "tiny" and finished.training_file == training_file.id
    assert finished.seed == 42 and finished.metadata == {"team": "서울여행"}
    assert finished.hyperparameters.n_epochs == 2
    assert (
        finished.hyperparameters.batch_size == Hyperparameters().batch_size
    )  # "auto" → the default
    assert finished.method.type == "supervised"
    assert finished.method.supervised.hyperparameters.n_epochs == 2
    assert finished.trained_tokens > 0
    assert finished.finished_at >= finished.created_at


def test_a_succeeded_job_lists_its_step_metrics_csv_in_result_files(client, finished):
    # OpenAI attaches one fine-tune-results file per succeeded job: a CSV, one row per step.
    assert len(finished.result_files) == 1
    meta = client.files.retrieve(finished.result_files[0])
    assert meta.purpose == "fine-tune-results"
    rows = list(csv.DictReader(io.StringIO(client.files.content(meta.id).text)))
    assert list(rows[0]) == [
        "step",
        "train_loss",
        "train_accuracy",
        "valid_loss",
        "valid_mean_token_accuracy",
    ]
    logged = {
        e.data["step"]: e.data["train_loss"]
        for e in client.fine_tuning.jobs.list_events(finished.id, limit=100)
        if e.type == "metrics"
    }
    assert [int(r["step"]) for r in rows] == sorted(logged)
    assert [float(r["train_loss"]) for r in rows] == pytest.approx(
        [logged[s] for s in sorted(logged)], abs=1e-5
    )
    assert all(r["valid_loss"] == "" for r in rows)  # this job had no validation file
    uploads = [f.id for f in client.files.list(purpose="fine-tune")]
    assert meta.id not in uploads


def test_events_are_newest_first_and_paginate(client, finished):
    events = client.fine_tuning.jobs.list_events(finished.id, limit=100).data
    assert events[0].message == "The job has successfully completed"
    assert events[-1].message == f"Created fine-tuning job: {finished.id}"
    assert all(e.object == "fine_tuning.job.event" for e in events)
    metrics = [e for e in events if e.type == "metrics"]
    assert [e.data["step"] for e in metrics] == [4, 3, 2, 1]
    first = client.fine_tuning.jobs.list_events(finished.id, limit=2)
    assert first.has_more and [e.id for e in first.data] == [e.id for e in events[:2]]
    paged = [e.id for e in client.fine_tuning.jobs.list_events(finished.id, limit=2)]
    assert paged == [e.id for e in events]  # the SDK's auto-pagination follows `after`


def test_checkpoints_list_steps_newest_first(client, finished):
    checkpoints = client.fine_tuning.jobs.checkpoints.list(finished.id).data
    assert [c.step_number for c in checkpoints] == [4, 2]
    assert checkpoints[0].fine_tuning_job_id == finished.id
    assert checkpoints[0].fine_tuned_model_checkpoint == (
        f"{finished.fine_tuned_model}:ckpt-step-4"
    )
    assert checkpoints[0].metrics.train_loss == pytest.approx(0.5)
    assert checkpoints[0].metrics.step == 4


def test_the_fine_tuned_model_is_listed_and_answers_chat_completions(client, finished):
    assert finished.fine_tuned_model in {m.id for m in client.models.list()}
    completion = client.chat.completions.create(
        model=finished.fine_tuned_model,
        messages=[{"role": "user", "content": "경복궁 입장료는?"}],
        max_tokens=4,
        temperature=0,
    )
    assert completion.model == finished.fine_tuned_model
    assert isinstance(completion.choices[0].message.content, str)
    assert completion.usage.prompt_tokens > 0


def test_every_advertised_checkpoint_id_answers_chat_completions(client, finished):
    checkpoints = client.fine_tuning.jobs.checkpoints.list(finished.id).data
    assert checkpoints
    for checkpoint in checkpoints:
        completion = client.chat.completions.create(
            model=checkpoint.fine_tuned_model_checkpoint,
            messages=[{"role": "user", "content": "경복궁 입장료는?"}],
            max_tokens=3,
            temperature=0,
        )
        assert completion.model == checkpoint.fine_tuned_model_checkpoint
        assert completion.usage.prompt_tokens > 0


def test_client_metadata_cannot_register_over_or_promote_a_project_model(
    server, client, training_file
):
    """The reproduction from issue 9: metadata naming a model, an alias and a lineage."""
    registry = server.store.models
    owned = registry.register_version(
        "seoul-guide",
        model_id="ft:tiny:tuneloop:seoul-guide:owned001",
        backend="local",
        config={"path": "/nowhere"},
        base_model="tiny",
        author="kim",
        dataset_ref="seoul-qa@1",
    )
    registry.promote(owned.ref, "production", by="kim", force=True, reason="test setup")
    claims = {"model_name": "seoul-guide", "promote_to": "production", "dataset_ref": "seoul-qa@9"}

    job = client.fine_tuning.jobs.create(
        model="tiny", training_file=training_file.id, suffix="seoul-guide", metadata=claims
    )
    done = wait_for_status(client, job.id, {"succeeded", "failed", "cancelled"})

    assert done.status == "succeeded", done.error
    assert done.metadata == claims  # stored and echoed as OpenAI does
    assert registry.get("seoul-guide@production").model_id == owned.model_id
    assert [v.model_id for v in registry.versions("seoul-guide")] == [owned.model_id]
    assert [e.to_version for e in registry.alias_history("seoul-guide")] == [owned.version]
    made = registry.find_by_model_id(done.fine_tuned_model)
    assert made.name == "api-seoul-guide" and registry.aliases(made.name) == {}
    assert made.dataset_ref == training_file.id  # the real file, not the claimed seoul-qa@9
    assert made.base_model == "tiny" and made.job_id == job.id
    assert made.artifacts["training_data"] == training_file.id
    stored = server.store.files.get(training_file.id)
    assert made.artifacts["training_data_sha256"] == f"sha256:{stored.sha256}"


def test_jobs_list_newest_first_with_cursor_pagination(client, training_file, finished):
    newer = client.fine_tuning.jobs.create(model="tiny", training_file=training_file.id)
    wait_for_status(client, newer.id, {"succeeded"})
    page = client.fine_tuning.jobs.list(limit=1)
    assert [j.id for j in page.data] == [newer.id] and page.has_more
    ids = [j.id for j in client.fine_tuning.jobs.list(limit=1)]
    assert ids.index(newer.id) < ids.index(finished.id)
    retrieved = client.fine_tuning.jobs.retrieve(newer.id)
    assert retrieved.fine_tuned_model.startswith("ft:tiny:tuneloop:model:")


def test_cancel_stops_a_job(server, client, training_file):
    server.engine.gate = threading.Event()
    try:
        job = client.fine_tuning.jobs.create(model="tiny", training_file=training_file.id)
        cancelled = client.fine_tuning.jobs.cancel(job.id)
        assert cancelled.id == job.id and cancelled.status in ("cancelled", "running")
        import time

        time.sleep(0.3)  # the worker's heartbeat sees the request
    finally:
        server.engine.gate.set()
        server.engine.gate = None
    final = wait_for_status(client, job.id, {"cancelled", "succeeded", "failed"})
    assert final.status == "cancelled" and final.fine_tuned_model is None
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(
            next(j.id for j in client.fine_tuning.jobs.list() if j.status == "succeeded")
        )


def test_unknown_job_is_404_in_openais_shape(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.fine_tuning.jobs.retrieve("ftjob-doesnotexist")
    assert "ftjob-doesnotexist" in info.value.message
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.list_events("ftjob-doesnotexist")


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"model": "no-such-model"}, "model"),
        ({"training_file": "file-doesnotexist"}, "training_file"),
        ({"training_file": "/etc/passwd"}, "training_file"),
        ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs"),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"lr": 1}}}},
            "hyperparameters.lr",
        ),
        ({"method": {"type": "dpo"}}, "method.type"),
        ({"suffix": "서울 여행"}, "suffix"),
    ],
)
def test_bad_requests_are_400_naming_the_parameter(client, training_file, params, param):
    body = {"model": "tiny", "training_file": training_file.id, **params}
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**body)
    assert info.value.param == param
    assert info.value.status_code == 400


def test_a_training_file_that_is_not_chat_data_is_refused(client, server):
    record = server.store.files.create("notes.jsonl", "fine-tune", b'{"text": "hello"}\n')
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(model="tiny", training_file=record.id)
    assert "line 1" in info.value.message and info.value.param == "training_file"


def test_fine_tuning_routes_require_an_api_key(server):
    anonymous = openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        anonymous.fine_tuning.jobs.list()
    response = httpx.get(server.base_url + "/fine_tuning/jobs")
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"


def test_openapi_spec_documents_the_routes_and_matches_real_responses(server, finished):
    spec = httpx.get(server.url + "/openapi.json").json()
    paths = spec["paths"]
    assert {
        "/v1/files",
        "/v1/files/{file_id}",
        "/v1/files/{file_id}/content",
        "/v1/fine_tuning/jobs",
        "/v1/fine_tuning/jobs/{fine_tuning_job_id}",
        "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events",
        "/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
        "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel",
    } <= set(paths)
    assert paths["/v1/fine_tuning/jobs"]["post"]["security"]
    assert "422" not in paths["/v1/fine_tuning/jobs"]["post"]["responses"]
    headers = {"Authorization": f"Bearer {server.api_key}"}
    for name, url in [
        ("FineTuningJob", f"/fine_tuning/jobs/{finished.id}"),
        ("FineTuningJobList", "/fine_tuning/jobs"),
        ("FineTuningEventList", f"/fine_tuning/jobs/{finished.id}/events"),
        ("FineTuningCheckpointList", f"/fine_tuning/jobs/{finished.id}/checkpoints"),
        ("FileList", "/files"),
    ]:
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        body = httpx.get(server.base_url + url, headers=headers).json()
        jsonschema.Draft202012Validator(schema).validate(body)


@pytest.mark.slow
def test_real_local_lora_engine_trains_the_tiny_model_through_the_api(tmp_path, tiny_model_dir):
    with fine_tuning_server(tmp_path / "real", tiny_model_dir, real_engine=True) as real:
        client = real.client()
        upload = client.files.create(file=("seoul.jsonl", chat_jsonl()), purpose="fine-tune")
        knobs = {"n_epochs": 2, "batch_size": 1, "max_length": 256, "save_every": 2}
        job = client.fine_tuning.jobs.create(
            model="tiny",
            training_file=upload.id,
            suffix="seoul",
            method={"type": "supervised", "supervised": {"hyperparameters": knobs}},
        )
        done = wait_for_status(client, job.id, {"succeeded", "failed", "cancelled"}, timeout=300)
        assert done.status == "succeeded", done.error
        assert done.trained_tokens > 0
        steps = [c.step_number for c in client.fine_tuning.jobs.checkpoints.list(job.id)]
        assert steps and steps == sorted(steps, reverse=True) and steps[0] % 2 == 0
        losses = [
            e.data["train_loss"]
            for e in client.fine_tuning.jobs.list_events(job.id, limit=100)
            if e.type == "metrics" and "train_loss" in (e.data or {})
        ]
        assert losses and all(loss > 0 for loss in losses)
        answer = client.chat.completions.create(
            model=done.fine_tuned_model,
            messages=[{"role": "user", "content": "경복궁 입장료는 얼마인가요?"}],
            max_tokens=4,
        )
        assert answer.model == done.fine_tuned_model
        version = real.store.models.find_by_model_id(done.fine_tuned_model)
        assert version.config["path"].endswith("merged")
        checkpoint = client.fine_tuning.jobs.checkpoints.list(job.id).data[-1]
        from_checkpoint = client.chat.completions.create(
            model=checkpoint.fine_tuned_model_checkpoint,
            messages=[{"role": "user", "content": "경복궁 입장료는 얼마인가요?"}],
            max_tokens=4,
        )
        assert from_checkpoint.model == checkpoint.fine_tuned_model_checkpoint
