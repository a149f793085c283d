"""The served OpenAPI spec describes what the server really does."""

from __future__ import annotations

import httpx
import jsonschema
import pytest


@pytest.fixture(scope="module")
def spec(live_server):
    return httpx.get(live_server.url + "/openapi.json").json()


def _validator(spec, name):
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_spec_lists_every_route_with_bearer_auth(spec):
    paths = spec["paths"]
    assert {"/v1/chat/completions", "/v1/models", "/v1/models/{model}", "/healthz"} <= set(paths)
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())
    assert paths["/v1/chat/completions"]["post"]["security"]
    assert "security" not in paths["/healthz"]["get"]
    statuses = set(paths["/v1/chat/completions"]["post"]["responses"])
    assert {"200", "400", "401", "404"} <= statuses
    assert (
        "text/event-stream" in paths["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    )


def test_real_responses_validate_against_the_spec(spec, live_server):
    headers = {"Authorization": f"Bearer {live_server.api_key}"}
    body = {"model": "echo", "messages": [{"role": "user", "content": "남산 타워"}]}
    completion = httpx.post(live_server.base_url + "/chat/completions", json=body, headers=headers)
    _validator(spec, "ChatCompletion").validate(completion.json())
    models = httpx.get(live_server.base_url + "/models", headers=headers)
    _validator(spec, "ModelList").validate(models.json())
    error = httpx.get(live_server.base_url + "/models")
    _validator(spec, "ErrorResponse").validate(error.json())
    with httpx.stream(
        "POST",
        live_server.base_url + "/chat/completions",
        json={**body, "stream": True, "stream_options": {"include_usage": True}},
        headers=headers,
    ) as r:
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    import json

    chunk_validator = _validator(spec, "ChatCompletionChunk")
    for event in events[:-1]:
        chunk_validator.validate(json.loads(event))


def test_request_schema_rejects_what_the_server_rejects(spec):
    request = _validator(spec, "ChatCompletionRequest")
    assert not request.is_valid({"model": "x", "messages": [], "bogus": True})
    assert request.is_valid({"model": "x", "messages": [{"role": "user", "content": "hi"}]})


def test_spec_documents_no_422_since_validation_errors_are_400(spec):
    for path in spec["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
