"""``/v1/files`` with the official ``openai`` SDK: upload, list, retrieve, download, delete, and the
uploads that are refused."""

from __future__ import annotations

import json

import openai
import pytest

from train.test_jobs_fakes import chat_jsonl, fine_tuning_server
from tuneloop.serve.routes import files as files_route


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model_dir):
    with fine_tuning_server(tmp_path_factory.mktemp("files-server"), tiny_model_dir) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return server.client()


def test_upload_then_retrieve_download_and_delete(client):
    data = chat_jsonl()
    uploaded = client.files.create(file=("서울-train.jsonl", data), purpose="fine-tune")
    assert uploaded.id.startswith("file-") and uploaded.object == "file"
    assert uploaded.bytes == len(data) and uploaded.purpose == "fine-tune"
    assert uploaded.filename == "서울-train.jsonl" and uploaded.status == "processed"
    assert client.files.retrieve(uploaded.id).created_at == uploaded.created_at
    assert client.files.content(uploaded.id).read() == data
    deleted = client.files.delete(uploaded.id)
    assert deleted.id == uploaded.id and deleted.deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)


def test_list_is_newest_first_filters_by_purpose_and_paginates(client):
    ids = [
        client.files.create(file=(f"t{i}.jsonl", chat_jsonl()), purpose="fine-tune").id
        for i in range(3)
    ]
    page = client.files.list(limit=2, purpose="fine-tune")
    assert [f.id for f in page.data] == ids[::-1][:2] and page.has_more
    every = [f.id for f in client.files.list(limit=2)]
    assert every[:3] == ids[::-1]
    ascending = [f.id for f in client.files.list(order="asc")]
    assert ascending.index(ids[0]) < ascending.index(ids[2])
    assert client.files.list(purpose="batch").data == []


def test_other_purposes_are_refused(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=("a.jsonl", chat_jsonl()), purpose="assistants")
    assert info.value.param == "purpose"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"not json at all\n", "invalid_json"),
        (b"\xff\xfe\x00bad\n", "invalid_utf8"),
        (
            json.dumps({"messages": [{"role": "user", "content": "질문만 있어요"}]}).encode()
            + b"\n",
            "example_missing_assistant_message",
        ),
        (b"", "empty_file"),
    ],
)
def test_files_that_could_never_train_are_refused_with_the_reason(client, content, code):
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=("bad.jsonl", content), purpose="fine-tune")
    assert code in info.value.message and info.value.param == "file"


def test_oversize_uploads_are_refused(client, monkeypatch):
    monkeypatch.setattr(files_route, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=("big.jsonl", chat_jsonl()), purpose="fine-tune")
    assert "100 byte limit" in info.value.message


def test_unknown_file_is_404(client):
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-doesnotexist")
    with pytest.raises(openai.NotFoundError):
        client.files.delete("file-doesnotexist")


def test_files_require_an_api_key(server):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.base_url, api_key="nope", max_retries=0).files.list()
