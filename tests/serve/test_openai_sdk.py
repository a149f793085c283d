"""The official ``openai`` SDK against a real tuneloop server over HTTP."""

from __future__ import annotations

import httpx
import openai
import pytest

from tuneloop.models.catalog import Catalog
from tuneloop.models.types import Message


@pytest.fixture
def client(live_server):
    return openai.OpenAI(base_url=live_server.base_url, api_key=live_server.api_key, max_retries=0)


SEOUL = [{"role": "user", "content": "서울의 유명한 관광지 3곳을 추천해 주세요"}]


def test_chat_completion_returns_openai_shape_with_usage(client, live_server):
    resp = client.chat.completions.create(
        model="tiny", messages=SEOUL, max_tokens=12, temperature=0
    )
    assert resp.object == "chat.completion"
    assert resp.id.startswith("chatcmpl-")
    assert resp.model == "tiny"
    choice = resp.choices[0]
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str)
    expected_prompt = (
        Catalog(live_server.settings, live_server.store)
        .get("tiny")
        .count_tokens([Message("user", SEOUL[0]["content"])])
    )
    assert resp.usage.prompt_tokens == expected_prompt
    assert 1 <= resp.usage.completion_tokens <= 12
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_max_tokens_cut_gives_finish_reason_length(client):
    resp = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "a b c d e"}], max_tokens=2
    )
    assert resp.choices[0].finish_reason == "length"
    assert resp.choices[0].message.content == "a b "
    assert resp.usage.completion_tokens == 2


def test_stop_sequence_truncates_answer(client):
    resp = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "경복궁 그리고 남산"}], stop=["그리고"]
    )
    assert resp.choices[0].message.content == "경복궁 "
    assert resp.choices[0].finish_reason == "stop"


def test_streaming_matches_non_streaming_and_reports_usage(client):
    kwargs = {"model": "tiny", "messages": SEOUL, "max_tokens": 16, "temperature": 0}
    whole = client.chat.completions.create(**kwargs)
    stream = client.chat.completions.create(
        **kwargs, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens


def test_streaming_without_include_usage_sends_no_usage_chunk(client):
    stream = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "하나 둘 셋"}], stream=True
    )
    chunks = list(stream)
    assert all(c.choices for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "하나 둘 셋"


def test_models_list_and_retrieve(client):
    ids = {m.id for m in client.models.list()}
    assert {"tiny", "echo", "smollm2-135m"} <= ids
    assert client.models.retrieve("tiny").id == "tiny"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_missing_api_key_is_401_in_openai_shape(live_server):
    r = httpx.post(
        live_server.base_url + "/chat/completions", json={"model": "echo", "messages": SEOUL}
    )
    assert r.status_code == 401
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert "API key" in err["message"]


def test_wrong_api_key_raises_authentication_error(live_server):
    bad = openai.OpenAI(base_url=live_server.base_url, api_key="tl-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="echo", messages=SEOUL)
    assert info.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_revoked_key_stops_working(live_server):
    record, key = live_server.store.keys.create("short-lived")
    c = openai.OpenAI(base_url=live_server.base_url, api_key=key, max_retries=0)
    assert c.models.retrieve("echo").id == "echo"
    live_server.store.keys.revoke(record.id)
    with pytest.raises(openai.AuthenticationError):
        c.models.retrieve("echo")


def test_unknown_model_is_404_not_5xx(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-9", messages=SEOUL)
    assert info.value.body["code"] == "model_not_found"
    assert "gpt-9" in info.value.body["message"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "echo"}, "messages"),
        ({"model": "echo", "messages": []}, "messages"),
        ({"model": "echo", "messages": SEOUL, "temperature": 3}, "temperature"),
        ({"model": "echo", "messages": SEOUL, "n": 2}, "n"),
        ({"model": "echo", "messages": SEOUL, "bogus": 1}, "bogus"),
        ({"model": "echo", "messages": [{"role": "wizard", "content": "x"}]}, "messages.0.role"),
    ],
)
def test_invalid_requests_are_400_naming_the_param(live_server, body, param):
    r = httpx.post(
        live_server.base_url + "/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {live_server.api_key}"},
    )
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert err["param"] == param


def test_malformed_json_is_400(live_server):
    r = httpx.post(
        live_server.base_url + "/chat/completions",
        content=b'{"model": "echo", "messages": [',
        headers={
            "Authorization": f"Bearer {live_server.api_key}",
            "Content-Type": "application/json",
        },
    )
    assert r.status_code == 400
    assert "JSON" in r.json()["error"]["message"]


def test_prompt_longer_than_context_window_is_400(client):
    long = [{"role": "user", "content": "서울 관광 " * 400}]
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="tiny", messages=long)
    assert info.value.body["code"] == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="tiny", messages=long, stream=True)


def test_unknown_route_is_404_in_openai_shape(live_server):
    r = httpx.get(live_server.url + "/v1/nothing-here")
    assert r.status_code == 404
    message = r.json()["error"]["message"]
    assert "/v1/chat/completions" in message and "/v1/fine_tuning/jobs" in message


def test_healthz_needs_no_key_and_reports_auth_mode(live_server, insecure_server):
    secure = httpx.get(live_server.url + "/healthz").json()
    assert secure["status"] == "ok" and secure["auth"] == "api-key" and secure["database"] == "ok"
    assert httpx.get(insecure_server.url + "/healthz").json()["auth"] == "disabled"


def test_insecure_dev_server_accepts_requests_without_key(insecure_server):
    r = httpx.post(
        insecure_server.base_url + "/chat/completions",
        json={"model": "echo", "messages": [{"role": "user", "content": "안녕"}]},
    )
    assert r.status_code == 200
    assert r.headers["X-Tuneloop-Auth"] == "disabled"
    assert r.json()["choices"][0]["message"]["content"] == "안녕"


def test_clients_cannot_name_ad_hoc_backend_targets(client):
    for name in ("echo:x", "local:/etc", "openai:gpt-4o-mini"):
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model=name, messages=SEOUL)


def test_client_hanging_up_mid_stream_frees_the_model(live_server, client):
    with httpx.stream(
        "POST",
        live_server.base_url + "/chat/completions",
        json={"model": "tiny", "messages": SEOUL, "max_tokens": 200, "stream": True},
        headers={"Authorization": f"Bearer {live_server.api_key}"},
    ) as r:
        for line in r.iter_lines():
            if '"content"' in line:
                break
    resp = client.chat.completions.create(model="tiny", messages=SEOUL, max_tokens=4, timeout=30)
    assert resp.usage.completion_tokens <= 4
