"""The ``openai`` backend retries transient upstream failures (429/5xx), then gives up clearly."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from fixtures.server import run_server
from tuneloop.errors import BackendError, RateLimited
from tuneloop.models.openai_compat import OpenAIChatModel
from tuneloop.models.types import Message, SamplingParams

OK = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "경복궁"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


def flaky_app(failures: int, status: int) -> tuple[FastAPI, list[float]]:
    app = FastAPI()
    calls: list[float] = []

    @app.post("/v1/chat/completions")
    async def chat() -> JSONResponse:
        calls.append(time.monotonic())
        if len(calls) <= failures:
            body = {
                "error": {"message": "busy", "type": "server_error", "param": None, "code": None}
            }
            return JSONResponse(body, status_code=status, headers={"retry-after-ms": "50"})
        return JSONResponse(OK)

    return app, calls


def model(url: str, retries: int) -> OpenAIChatModel:
    return OpenAIChatModel(
        "m", upstream_model="m", base_url=url + "/v1", api_key="k", max_retries=retries
    )


@pytest.mark.parametrize("status", [429, 503])
def test_transient_failures_are_retried_until_success(status):
    app, calls = flaky_app(failures=2, status=status)
    with run_server(app) as url:
        result = model(url, retries=3).generate([Message("user", "서울")], SamplingParams())
    assert result.text == "경복궁"
    assert len(calls) == 3


def test_giving_up_after_max_retries_raises_our_error():
    app, calls = flaky_app(failures=10, status=429)
    with run_server(app) as url, pytest.raises(RateLimited, match="rate limiting"):
        model(url, retries=1).generate([Message("user", "서울")], SamplingParams())
    assert len(calls) == 2


def test_server_error_without_retries_is_a_backend_error():
    app, calls = flaky_app(failures=10, status=500)
    with run_server(app) as url, pytest.raises(BackendError, match="busy"):
        model(url, retries=0).generate([Message("user", "서울")], SamplingParams())
    assert len(calls) == 1
