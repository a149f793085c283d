"""Test doubles for ``migrate openai record``: tuneloop's own server playing "OpenAI" with the old
``ft:`` model of :mod:`migrate.sources` (which builds the project as pull leaves it), a prompt
file, and a tiny upstream that answers 429 first.

The "OpenAI" server is the real tuneloop app on a real socket; the ``ft:`` id is registered there
as a model version served by the ``echo`` backend (it answers with the last user message), and a
middleware counts (and optionally slows) chat requests, so tests can compare what the server
answered with what the golden file holds.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fixtures.server import make_project, run_server
from migrate.sources import FT_ID
from tuneloop.registry import Store

PLACES = ["경복궁", "창덕궁", "광장시장", "남산서울타워", "북촌 한옥마을", "N Seoul Tower"]


@dataclass
class ChatCounter:
    """When each chat request reached the server (monotonic seconds)."""

    started: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        with self.lock:
            return len(self.started)


@dataclass
class OpenAIPlay:
    url: str
    api_key: str
    store: Store
    chats: ChatCounter

    @property
    def base_url(self) -> str:
        return self.url + "/v1"


@contextmanager
def openai_play(folder: Path, *, delay: float = 0.0) -> Iterator[OpenAIPlay]:
    """tuneloop's server with the old fine-tune ``FT_ID`` served (echo), every chat request
    delayed ``delay`` seconds."""
    from tuneloop.serve.app import create_app

    settings = make_project(folder)
    store = Store.from_settings(settings)
    store.models.register_version(
        "old", model_id=FT_ID, backend="echo", config={}, base_model="gpt-4o-mini-2024-07-18",
        author="openai",
    )  # fmt: skip
    _, key = store.keys.create("tests", scopes=["all"])
    app = create_app(settings, store=store)
    counter = ChatCounter()

    @app.middleware("http")
    async def count_chats(request: Any, call_next: Any) -> Any:
        if request.url.path.endswith("/chat/completions"):
            with counter.lock:
                counter.started.append(time.monotonic())
            if delay:
                await asyncio.sleep(delay)
        return await call_next(request)

    try:
        with run_server(app) as url:
            yield OpenAIPlay(url, key, store, counter)
    finally:
        store.close()


def questions_file(path: Path, n: int, *, start: int = 0) -> Path:
    """A user prompt file of ``n`` distinct JSONL questions (about Seoul places)."""
    lines = [
        json.dumps(
            {"question": f"{PLACES[i % len(PLACES)]} 질문 {i}: 몇 시에 열어요?"}, ensure_ascii=False
        )
        for i in range(start, start + n)
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def golden_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a golden file, checking that each is whole (newline-terminated JSON)."""
    raw = path.read_bytes()
    assert raw == b"" or raw.endswith(b"\n"), "torn last line"
    return [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]


# --------------------------------------------------------------------------- 429 first


@dataclass
class RateLimitedUpstream:
    """An OpenAI-compatible ``/v1/chat/completions`` on a real socket that answers its first
    ``limited`` requests with 429 (``code``) and ``Retry-After``, then echoes the question after
    ``delay`` seconds — a 400 for questions in ``refuse``, no choices at all with ``empty``;
    ``arrivals`` holds ``(monotonic time, status sent, question)`` per request."""

    limited: int = 1
    retry_after: str | None = "1"
    code: str = "rate_limit_exceeded"
    delay: float = 0.0
    refuse: frozenset[str] = frozenset()
    empty: bool = False
    arrivals: list[tuple[float, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                question = body["messages"][-1]["content"]
                with upstream.lock:
                    status = 429 if len(upstream.arrivals) < upstream.limited else 200
                    upstream.arrivals.append((time.monotonic(), status, question))
                if status == 429:
                    headers = {"Retry-After": upstream.retry_after} if upstream.retry_after else {}
                    self._send(429, error("Rate limit reached", upstream.code), headers)
                    return
                if question in upstream.refuse:
                    self._send(400, error("This prompt is too long", "context_length_exceeded"), {})
                    return
                time.sleep(upstream.delay)
                answer = completion(body["model"], question)
                self._send(200, {**answer, "choices": []} if upstream.empty else answer, {})

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def error(message: str, code: str) -> dict[str, Any]:
    kind = "requests" if code != "context_length_exceeded" else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def completion(model: str, question: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"답변: {question}"},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
    }


@contextmanager
def rate_limited_upstream(**options: Any) -> Iterator[RateLimitedUpstream]:
    """Serve a :class:`RateLimitedUpstream` made with ``options`` on a free loopback port."""
    upstream = RateLimitedUpstream(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), upstream.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    upstream.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
