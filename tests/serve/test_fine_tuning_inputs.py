"""What a fine-tuning request may carry: ``metadata`` is data within OpenAI's limits, returned
exactly; the base model must be on the key's allow-list."""

from __future__ import annotations

import httpx
import openai
import pytest

from fixtures.server import create_key
from train.test_jobs_fakes import chat_jsonl, fine_tuning_server


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model_dir):
    with fine_tuning_server(tmp_path_factory.mktemp("ft-inputs"), tiny_model_dir) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return server.client()


@pytest.fixture(scope="module")
def training_file(client):
    return client.files.create(file=("seoul.jsonl", chat_jsonl()), purpose="fine-tune")


def _create(server, body):
    headers = {"Authorization": f"Bearer {server.api_key}"}
    return httpx.post(server.base_url + "/fine_tuning/jobs", json=body, headers=headers)


LIMITS = {f"k{i:02d}": "v" for i in range(15)} | {"k" * 64: "서" * 512}


def test_metadata_at_openais_limits_is_stored_and_returned_exactly(client, training_file):
    job = client.fine_tuning.jobs.create(
        model="tiny", training_file=training_file.id, metadata=LIMITS
    )

    assert job.metadata == LIMITS
    assert client.fine_tuning.jobs.retrieve(job.id).metadata == LIMITS
    listed = {j.id: j.metadata for j in client.fine_tuning.jobs.list(limit=100)}
    assert listed[job.id] == LIMITS


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({f"k{i}": "v" for i in range(17)}, "at most 16 pairs, got 17"),
        ({"k" * 65: "v"}, "65 characters; the limit is 64"),
        ({"team": "v" * 513}, "513 characters; the limit is 512"),
        ({"epochs": 3}, "is a number; values must be strings"),
        ({"tags": ["a"]}, "is an array; values must be strings"),
        ({"team": None}, "is null; values must be strings"),
        (["team"], "expected an object"),
        ("team", "expected an object"),
    ],
)
def test_metadata_beyond_openais_limits_is_a_400_naming_metadata(
    server, training_file, metadata, reason
):
    before = len(server.store.train_jobs.list(limit=1000)[0])
    response = _create(
        server, {"model": "tiny", "training_file": training_file.id, "metadata": metadata}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == "metadata" and error["type"] == "invalid_request_error"
    assert reason in error["message"]
    assert len(server.store.train_jobs.list(limit=1000)[0]) == before  # no job was made


def test_the_sdk_raises_bad_request_for_too_much_metadata(client, training_file):
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(
            model="tiny", training_file=training_file.id, metadata={str(i): "v" for i in range(17)}
        )
    assert info.value.param == "metadata"


def test_a_base_model_outside_the_allow_list_is_refused_as_if_unknown(server, training_file):
    key = create_key(server.store, "fine_tuning", "files", models=["smollm2-135m"])
    limited = openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)

    with pytest.raises(openai.BadRequestError) as refused:
        limited.fine_tuning.jobs.create(model="tiny", training_file=training_file.id)
    with pytest.raises(openai.BadRequestError) as unknown:
        limited.fine_tuning.jobs.create(model="no-such-model", training_file=training_file.id)

    assert refused.value.param == unknown.value.param == "model"
    assert "Model tiny is not available for fine-tuning or does not exist" in refused.value.message
    assert "may use only: smollm2-135m" in refused.value.message


def test_a_base_model_on_the_allow_list_trains(server, training_file):
    key = create_key(server.store, "fine_tuning", models=["tiny"])
    limited = openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)

    job = limited.fine_tuning.jobs.create(model="tiny", training_file=training_file.id)

    assert job.model == "tiny" and job.status in ("queued", "running")


def test_a_files_key_cannot_start_training(server, training_file):
    key = create_key(server.store, "files")
    uploader = openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)

    with pytest.raises(openai.PermissionDeniedError) as info:
        uploader.fine_tuning.jobs.create(model="tiny", training_file=training_file.id)

    assert "Missing scopes: fine_tuning" in info.value.message
    assert uploader.files.retrieve(training_file.id).id == training_file.id
