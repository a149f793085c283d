"""Scoped API keys: every route of the OpenAPI spec refuses a request without a key (401) and a key
without the route's scope (403, OpenAI's error body); model allow-lists hide other models.

The walk reads the served spec, so a new route fails here until it declares a scope
(``require_scope``) that matches the table below — the same table as docs/keys.md.
"""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tuneloop.store.keys import ADMIN, SCOPES

PUBLIC = {("get", "/healthz")}
"""Routes anyone may call: load balancers probe them without a key."""

SCOPE_OF = [
    (r"/v1/chat/completions$", "chat"),
    (r"/v1/models(/.*)?$", "chat"),
    (r"/v1/files(/.*)?$", "files"),
    (r"/v1/fine_tuning/.*", "fine_tuning"),
]
"""Which scope each part of the API needs (docs/keys.md, "What each route needs")."""

PATH_VALUES = {"model": "echo", "file_id": "file-nope", "fine_tuning_job_id": "ftjob-nope"}
METHODS = {"get", "post", "put", "patch", "delete"}
SEOUL = [{"role": "user", "content": "경복궁은 몇 시에 문을 여나요?"}]


@pytest.fixture(scope="module")
def spec(live_server):
    return httpx.get(live_server.url + "/openapi.json").json()


@pytest.fixture(scope="module")
def operations(spec):
    """``(method, path template)`` for every operation of the spec."""
    found = [(m, p) for p, ops in spec["paths"].items() for m in ops if m in METHODS]
    # The walk must not pass by walking nothing.
    assert len(found) >= 14
    assert ("post", "/v1/chat/completions") in found and ("delete", "/v1/files/{file_id}") in found
    return found


def _expected_scope(path: str) -> str | None:
    return next((scope for pattern, scope in SCOPE_OF if re.match(pattern, path)), None)


def _declared_scopes(operation: dict) -> set[str]:
    return {
        s for requirement in operation.get("security", []) for v in requirement.values() for s in v
    }


def _call(live_server, method: str, path: str, key: str | None) -> httpx.Response:
    url = live_server.url + path.format(**PATH_VALUES)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method.upper(), url, headers=headers, timeout=30)


def _protected(operations):
    return [(m, p) for m, p in operations if (m, p) not in PUBLIC]


def test_every_route_is_public_or_declares_the_scope_of_its_api_area(spec, operations):
    problems = []
    for method, path in operations:
        declared = _declared_scopes(spec["paths"][path][method])
        if (method, path) in PUBLIC:
            if declared or spec["paths"][path][method].get("security"):
                problems.append(f"{method} {path} is public but declares {declared}")
            continue
        expected = _expected_scope(path)
        if expected is None:
            problems.append(f"{method} {path}: new API area; add it to SCOPE_OF and docs/keys.md")
        elif declared != {expected}:
            problems.append(
                f"{method} {path} declares {declared or 'no scope'}, needs {expected!r}"
            )
    assert problems == []


def test_every_route_refuses_a_request_without_a_key_with_401(live_server, operations):
    problems = []
    for method, path in _protected(operations):
        response = _call(live_server, method, path, key=None)
        body = response.json()
        if response.status_code != 401 or body.get("error", {}).get("code") != "invalid_api_key":
            problems.append(f"{method} {path}: {response.status_code} {body}")
    assert problems == []


def test_every_route_refuses_a_revoked_key_with_401(live_server, operations):
    record, key = live_server.store.keys.create("revoked", scopes=["all"])
    live_server.store.keys.revoke(record.id)
    statuses = {
        (m, p): _call(live_server, m, p, key).status_code for m, p in _protected(operations)
    }
    assert set(statuses.values()) == {401}, statuses


def test_every_route_refuses_a_key_with_every_scope_but_its_own_with_403(live_server, operations):
    problems = []
    for method, path in _protected(operations):
        needed = _expected_scope(path)
        others = [s for s in SCOPES if s not in (needed, ADMIN)]
        response = _call(live_server, method, path, live_server.key(*others))
        body = response.json()
        error = body.get("error", {})
        if (
            response.status_code != 403
            or set(error) != {"message", "type", "param", "code"}
            or error["code"] != "missing_scope"
            or error["type"] != "invalid_request_error"
            or f"Missing scopes: {needed}." not in error["message"]
            or f"--scope {needed}" not in error["message"]
        ):
            problems.append(f"{method} {path}: {response.status_code} {body}")
    assert problems == []


@pytest.mark.parametrize("scopes", [("needed",), (ADMIN,)], ids=["only-its-scope", "admin"])
def test_a_key_with_the_routes_scope_or_admin_gets_past_auth(live_server, operations, scopes):
    problems = []
    for method, path in _protected(operations):
        granted = [_expected_scope(path) if s == "needed" else s for s in scopes]
        response = _call(live_server, method, path, live_server.key(*granted))
        # Past auth the empty request may be invalid (400) or name nothing (404), never 401/403.
        if response.status_code in (401, 403) or response.status_code >= 500:
            problems.append(f"{method} {path}: {response.status_code} {response.text}")
    assert problems == []


def test_health_needs_no_key(live_server):
    assert httpx.get(live_server.url + "/healthz").status_code == 200


def test_the_spec_tells_each_operation_which_scope_it_needs(spec):
    operation = spec["paths"]["/v1/files"]["post"]
    assert operation["security"] == [{"HTTPBearer": ["files"]}]
    assert "`files`" in operation["description"]
    assert "403" in spec["paths"]["/v1/chat/completions"]["post"]["responses"]


# -- through the official SDK -------------------------------------------------------------------


def _client(live_server, key):
    return openai.OpenAI(base_url=live_server.base_url, api_key=key, max_retries=0)


def test_a_default_key_is_what_an_openai_client_needs_for_chat(live_server):
    client = _client(live_server, live_server.key())
    assert "echo" in {m.id for m in client.models.list()}
    completion = client.chat.completions.create(model="echo", messages=SEOUL)
    assert completion.choices[0].message.content


def test_the_sdk_raises_permission_denied_for_chat_without_the_chat_scope(live_server):
    client = _client(live_server, live_server.key("files", "fine_tuning"))
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(model="echo", messages=SEOUL)
    assert info.value.status_code == 403
    assert info.value.body["code"] == "missing_scope"
    assert "Missing scopes: chat" in info.value.message
    assert "tuneloop keys create" in info.value.message
    with pytest.raises(openai.PermissionDeniedError):
        client.models.list()


def test_a_chat_key_cannot_reach_files_or_fine_tuning(live_server):
    client = _client(live_server, live_server.key("chat"))
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.files.list()
    assert "Missing scopes: files" in info.value.message
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.fine_tuning.jobs.list()
    assert "Missing scopes: fine_tuning" in info.value.message


def test_a_chat_key_cannot_delete_a_file(live_server):
    record = live_server.store.files.create("seoul.jsonl", "fine-tune", b"{}\n")
    with pytest.raises(openai.PermissionDeniedError):
        _client(live_server, live_server.key("chat")).files.delete(record.id)
    assert live_server.store.files.get(record.id).id == record.id


def test_a_model_allow_list_hides_every_other_model(live_server):
    client = _client(live_server, live_server.key("chat", models=["echo"]))
    assert [m.id for m in client.models.list()] == ["echo"]
    assert client.models.retrieve("echo").id == "echo"
    assert client.chat.completions.create(model="echo", messages=SEOUL).choices
    with pytest.raises(openai.NotFoundError) as refused:
        client.chat.completions.create(model="tiny", messages=SEOUL)
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-9", messages=SEOUL)
    # Refused exactly as a model that does not exist: the key learns nothing about `tiny`.
    assert refused.value.body["code"] == unknown.value.body["code"] == "model_not_found"
    assert refused.value.body["param"] == "model"
    assert "`tiny` does not exist or you do not have access to it" in refused.value.message
    assert "may use only: echo" in refused.value.message
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("tiny")
