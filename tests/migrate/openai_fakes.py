"""Test doubles for ``migrate openai inventory`` and ``pull``.

Two "OpenAIs", both on real sockets and reached through the official SDK:

- :func:`seeded_openai` — tuneloop's own server (files API, fine-tuning API, a worker training
  with the fast fake engine) seeded with two finished jobs; a middleware counts every request
  to ``/v1/files/{id}/content`` and can hold one file's download for a while, so a test can kill
  a pull in the middle of it.
- :class:`FakeOpenAI` — a tiny FastAPI app answering OpenAI-shaped JSON it is given: what
  tuneloop's server has no reason to produce (``shutdown_date`` on ``/v1/models``, a 401 for a
  bad key, a 429 with ``Retry-After``, a malformed training file, a base64 result file, DPO and
  legacy hyperparameters).
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from fixtures.server import run_server
from train.test_jobs_fakes import fine_tuning_server, wait_for_status

SYSTEM = "서울 여행 도우미입니다."
PHONE = "010-1234-5678"

TRAIN_A = [
    [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "경복궁 입장료는 얼마인가요?"},
        {"role": "assistant", "content": "성인 기준 3,000원입니다. 한복을 입으면 무료입니다."},
    ],
    [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"예약 확인 부탁해요. 제 번호는 {PHONE} 입니다."},
        {"role": "assistant", "content": "네, 예약을 확인했습니다. 즐거운 여행 되세요."},
    ],
    [
        {"role": "user", "content": "How do I get from Incheon Airport to Myeongdong?"},
        {"role": "assistant", "content": "Take AREX to Seoul Station, then Line 4 to Myeongdong."},
    ],
]
VALID_A = [
    [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "남산서울타워 가는 방법 알려 주세요."},
        {"role": "assistant", "content": "명동역에서 남산 케이블카를 타면 편합니다."},
    ],
]
TRAIN_B = [
    [
        {"role": "user", "content": "광장시장에서 뭘 먹을까요?"},
        {"role": "assistant", "content": "빈대떡과 마약김밥을 꼭 드셔 보세요."},
    ],
    [
        {"role": "user", "content": "티머니 카드는 어디서 사요?"},
        {"role": "assistant", "content": "편의점과 지하철역 자판기에서 살 수 있습니다."},
    ],
]


def jsonl(chats: list[list[dict[str, str]]]) -> bytes:
    return "".join(json.dumps({"messages": m}, ensure_ascii=False) + "\n" for m in chats).encode()


@dataclass
class Downloads:
    """Every ``/v1/files/{id}/content`` request (file id, in arrival order); ``hold`` sends
    the first half of the files it names, then waits that many seconds before the rest (so a
    client is killed in the middle of the body)."""

    seen: list[str] = field(default_factory=list)
    hold: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.seen)

    def install(self, app: Any) -> None:
        @app.middleware("http")
        async def count_downloads(request: Any, call_next: Any) -> Any:
            parts = request.url.path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["v1", "files"] and parts[3] == "content":
                with self.lock:
                    self.seen.append(parts[2])
                    delay = self.hold.get(parts[2], 0.0)
                if delay:
                    return await _held(await call_next(request), delay)
            return await call_next(request)


async def _held(response: Any, delay: float) -> StreamingResponse:
    body = b"".join([chunk async for chunk in response.body_iterator])

    async def halves() -> Any:
        yield body[: len(body) // 2]
        await asyncio.sleep(delay)
        yield body[len(body) // 2 :]

    return StreamingResponse(halves(), response.status_code, headers=dict(response.headers))


@dataclass
class SeededOpenAI:
    """tuneloop's server with two succeeded jobs: ``job_a`` (suffix ``support``, training and
    validation files, a phone number in training line 2) and ``job_b`` (suffix ``seoul``,
    training only)."""

    url: str
    api_key: str
    store: Any
    job_a: Any
    job_b: Any
    downloads: Downloads

    @property
    def base_url(self) -> str:
        return self.url + "/v1"


@contextmanager
def seeded_openai(folder: Path, tiny_model_dir: Path) -> Iterator[SeededOpenAI]:
    downloads = Downloads()
    with fine_tuning_server(folder, tiny_model_dir, configure=downloads.install) as server:
        client = server.client()
        train_a = client.files.create(file=("train-a.jsonl", jsonl(TRAIN_A)), purpose="fine-tune")
        valid_a = client.files.create(file=("valid-a.jsonl", jsonl(VALID_A)), purpose="fine-tune")
        train_b = client.files.create(file=("train-b.jsonl", jsonl(TRAIN_B)), purpose="fine-tune")
        created_a = client.fine_tuning.jobs.create(
            model="tiny",
            training_file=train_a.id,
            validation_file=valid_a.id,
            suffix="support",
            seed=7,
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
        )
        job_a = wait_for_status(client, created_a.id, {"succeeded", "failed", "cancelled"})
        created_b = client.fine_tuning.jobs.create(
            model="tiny", training_file=train_b.id, suffix="seoul", seed=8
        )
        job_b = wait_for_status(client, created_b.id, {"succeeded", "failed", "cancelled"})
        assert job_a.status == job_b.status == "succeeded", (job_a.error, job_b.error)
        yield SeededOpenAI(server.url, server.api_key, server.store, job_a, job_b, downloads)


# --------------------------------------------------------------------------- a fake OpenAI

GOOD_KEY = "sk-test-good"
FT_ID = "ft:gpt-4o-mini-2024-07-18:acme:support:AbC123"
JOB_ID = "ftjob-0123456789abcdefAbC12345"


def openai_job(**changes: Any) -> dict[str, Any]:
    """A succeeded ``fine_tuning.job`` as OpenAI returns it (values from its API reference)."""
    job: dict[str, Any] = {
        "object": "fine_tuning.job",
        "id": JOB_ID,
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": 1735689600,
        "finished_at": 1735693200,
        "fine_tuned_model": FT_ID,
        "organization_id": "org-acme",
        "result_files": ["file-results1"],
        "status": "succeeded",
        "validation_file": None,
        "training_file": "file-train1",
        "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8},
        "method": {
            "type": "supervised",
            "supervised": {
                "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8}
            },
        },
        "trained_tokens": 5768,
        "integrations": [],
        "seed": 42,
        "estimated_finish": None,
        "error": None,
        "metadata": None,
    }
    job.update(changes)
    return job


def checkpoint(step: int, **metrics: float) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": f"ftckpt_{step}",
        "created_at": 1735693000 + step,
        "fine_tuned_model_checkpoint": f"{FT_ID}:ckpt-step-{step}",
        "fine_tuning_job_id": JOB_ID,
        "metrics": {"step": float(step), **metrics},
        "step_number": step,
    }


RESULT_CSV = (
    "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
    "1,2.41520,0.12540,,\n"
    "2,1.80000,0.40000,1.90000,0.41000\n"
    "3,1.20000,0.55000,,\n"
)


@dataclass
class FakeOpenAI:
    """OpenAI's API as far as inventory and pull read it, answering what it is given."""

    models: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=lambda: [openai_job()])
    checkpoints: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    rate_limited: int = 0
    """Answer this many requests with 429 and ``Retry-After: 1`` first."""
    requests: list[tuple[float, str, int]] = field(default_factory=list)
    url: str = ""

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        def error(status: int, message: str, code: str, **headers: str) -> JSONResponse:
            body = {"error": {"message": message, "type": "invalid_request_error", "param": None,
                              "code": code}}  # fmt: skip
            return JSONResponse(body, status_code=status, headers=headers)

        @app.middleware("http")
        async def gate(request: Request, call_next: Any) -> Any:
            if request.headers.get("authorization") != f"Bearer {GOOD_KEY}":
                fake.requests.append((time.monotonic(), request.url.path, 401))
                return error(401, "Incorrect API key provided: sk-bad.", "invalid_api_key")
            if fake.rate_limited > 0:
                fake.rate_limited -= 1
                fake.requests.append((time.monotonic(), request.url.path, 429))
                return error(429, "Rate limit reached.", "rate_limit_exceeded", **{
                    "retry-after": "1"})  # fmt: skip
            fake.requests.append((time.monotonic(), request.url.path, 200))
            return await call_next(request)

        def page(items: list[dict[str, Any]], after: str | None, limit: int) -> dict[str, Any]:
            ids = [i["id"] for i in items]
            start = ids.index(after) + 1 if after in ids else 0
            chunk = items[start : start + limit]
            return {"object": "list", "data": chunk, "has_more": start + limit < len(items)}

        @app.get("/v1/models")
        def list_models() -> dict[str, Any]:
            return {"object": "list", "data": fake.models}

        @app.get("/v1/models/{model:path}")
        def get_model(model: str) -> Any:
            for entry in fake.models:
                if entry["id"] == model:
                    return entry
            return error(404, f"The model '{model}' does not exist", "model_not_found")

        @app.get("/v1/fine_tuning/jobs")
        def list_jobs(after: str | None = None, limit: int = 20) -> dict[str, Any]:
            return page(fake.jobs, after, limit)

        @app.get("/v1/fine_tuning/jobs/{job_id}")
        def get_job(job_id: str) -> Any:
            for job in fake.jobs:
                if job["id"] == job_id:
                    return job
            return error(404, f"Could not find fine tune: {job_id}", "fine_tune_not_found")

        @app.get("/v1/fine_tuning/jobs/{job_id}/checkpoints")
        def list_checkpoints(job_id: str, after: str | None = None, limit: int = 10) -> Any:
            return page(fake.checkpoints.get(job_id, []), after, limit)

        @app.get("/v1/fine_tuning/jobs/{job_id}/events")
        def list_events(job_id: str, after: str | None = None, limit: int = 20) -> Any:
            event = {"object": "fine_tuning.job.event", "id": "ftevent-1", "created_at": 1,
                     "level": "info", "message": "The job has successfully completed",
                     "type": "message", "data": {}}  # fmt: skip
            return page([event], after, limit)

        @app.get("/v1/files/{file_id}/content")
        def content(file_id: str) -> Response:
            if file_id not in fake.files:
                return error(404, f"No such File object: {file_id}", "not_found")
            return Response(fake.files[file_id], media_type="application/octet-stream")

        return app


@contextmanager
def fake_openai(fake: FakeOpenAI) -> Iterator[FakeOpenAI]:
    with run_server(fake.app()) as url:
        fake.url = url
        yield fake


def base64_csv(text: str = RESULT_CSV) -> bytes:
    return base64.b64encode(text.encode())
