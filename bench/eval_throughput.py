"""Evaluation throughput: how close `tuneloop eval run` gets to the ideal wall time, vs promptfoo.

Usage::

    .venv/bin/python bench/eval_throughput.py [--cases 1000] [--concurrency 32] [--latency 0.2]
                                              [--promptfoo PATH]

It starts a fake OpenAI-compatible upstream in a separate process (a tiny FastAPI app on
127.0.0.1 whose ``POST /v1/chat/completions`` sleeps a fixed latency with ``asyncio.sleep`` and
returns a valid completion), then, in the same run, times:

(a) tuneloop's runner through the ``openai`` backend as ``eval run`` drives it (the SDK's sync
    client on a thread pool sized to the concurrency), no cache;
(b) the same backend and runner, but each call made with the SDK's ``AsyncOpenAI`` client (through
    the runner's ``agenerate`` path) — the alternative the runner measured and did not pick;
(c) promptfoo (``promptfoo eval --max-concurrency N --no-cache``) on the same cases against the same
    upstream, when a promptfoo binary is found (``--promptfoo``, ``$PROMPTFOO_BIN``,
    ``node_modules/.bin/promptfoo`` here or on PATH). Nothing is downloaded at run time: install it
    yourself, e.g. ``npm install --prefix /tmp/pf promptfoo`` then ``--promptfoo
    /tmp/pf/node_modules/.bin/promptfoo``. Its time includes Node's start-up, printed separately.

For each it prints the wall time, the ideal ``cases × latency / concurrency`` and their ratio
(the target for tuneloop is ≤ 1.15×). Nothing here is asserted: timings depend on the machine.
"""

# No `from __future__ import annotations`: FastAPI must see the real `Request` annotation.
import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the fake upstream


def serve(port: int, latency: float) -> None:
    """Run the fake upstream (this is what the child process does)."""
    import asyncio

    import uvicorn
    from fastapi import FastAPI, Request

    app = FastAPI()
    stats = {"in_flight": 0, "max_in_flight": 0, "requests": 0}

    @app.get("/stats")
    async def read_stats() -> dict[str, int]:
        """Requests served and the most served at once since the last read (then reset)."""
        seen = {k: stats[k] for k in ("max_in_flight", "requests")}
        stats.update(max_in_flight=0, requests=0)
        return seen

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> dict[str, Any]:
        body = await request.json()
        stats["in_flight"] += 1
        stats["requests"] += 1
        stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
        try:
            await asyncio.sleep(latency)
        finally:
            stats["in_flight"] -= 1
        question = body["messages"][-1]["content"]
        text = f"답변: {question}"
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
        }

    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, backlog=2048
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def upstream_stats(base_url: str) -> str:
    """``max in flight`` the upstream saw since the last call (and how many requests)."""
    import urllib.request

    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/stats", timeout=10) as resp:
        seen = json.loads(resp.read())
    return f"{seen['max_in_flight']} ({seen['requests']} req)"


def start_upstream(latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--latency", str(latency)]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return child, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit("the fake upstream did not start")


# --------------------------------------------------------------------------- the contenders


def questions(n: int) -> list[str]:
    places = ["경복궁", "창덕궁", "광장시장", "남산서울타워", "북촌 한옥마을", "N Seoul Tower"]
    return [f"{places[i % len(places)]} 질문 {i}: 몇 시에 열어요?" for i in range(n)]


def tuneloop_run(base_url: str, texts: list[str], concurrency: int, *, use_async: bool) -> float:
    from tuneloop.evaluate.runner import run_suite_sync
    from tuneloop.evaluate.suite import Suite, SuiteCase
    from tuneloop.models.openai_compat import OpenAIChatModel

    suite = Suite(
        name="bench",
        cases=tuple(SuiteCase(id=f"c{i}", where="bench", input=t) for i, t in enumerate(texts)),
    )
    model: Any = OpenAIChatModel(
        "bench", upstream_model="fake", base_url=base_url, api_key="x", max_retries=0
    )
    if use_async:
        model = _AsyncSdk(model)
    start = time.perf_counter()
    run = run_suite_sync(suite, model, concurrency=concurrency, cache=None, timeout_s=60)
    wall = time.perf_counter() - start
    if run.errors:
        first = next(r.error for r in run.results if r.error)
        print(f"  ! {run.errors} errors, e.g. {first}")
    return wall


class _AsyncSdk:
    """The ``openai`` backend's request building and error mapping over ``openai.AsyncOpenAI``,
    offered to the runner as ``agenerate`` (bench-only: it measured slower than the thread pool).
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self.name = model.name
        self.context_window = None
        self._client: Any = None

    async def agenerate(self, messages: Any, params: Any) -> Any:
        import openai

        from tuneloop.models.openai_compat import _finish, _mapped_errors
        from tuneloop.models.types import Completion, Usage

        if self._client is None:  # made inside the run's event loop
            sync = self._model.client
            self._client = openai.AsyncOpenAI(
                base_url=sync.base_url, api_key=sync.api_key, max_retries=sync.max_retries
            )
        with _mapped_errors(self._model):
            resp = await self._client.chat.completions.create(
                **self._model._request(messages, params)
            )
        choice, usage = resp.choices[0], resp.usage
        return Completion(
            text=choice.message.content or "",
            finish_reason=_finish(choice.finish_reason),
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(0, 0),
            model=self.name,
        )

    def generate(self, messages: Any, params: Any) -> Any:
        return self._model.generate(messages, params)

    def stream(self, messages: Any, params: Any) -> Any:
        return self._model.stream(messages, params)

    def count_tokens(self, messages: Any) -> int:
        return int(self._model.count_tokens(messages))


def find_promptfoo(given: str | None) -> str | None:
    candidates = [given, os.environ.get("PROMPTFOO_BIN"), "node_modules/.bin/promptfoo"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return str(Path(candidate).resolve())
    return shutil.which("promptfoo")


def promptfoo_run(binary: str, base_url: str, texts: list[str], concurrency: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tests = [{"vars": {"question": t}} for t in texts]
        (folder / "tests.json").write_text(json.dumps(tests, ensure_ascii=False), "utf-8")
        config = {
            "description": "tuneloop eval throughput bench",
            "prompts": ["{{question}}"],
            "providers": [
                {
                    "id": "openai:chat:fake",
                    "config": {"apiBaseUrl": base_url, "apiKey": "x", "temperature": 0},
                }
            ],
            "tests": "file://tests.json",
        }
        (folder / "promptfooconfig.json").write_text(json.dumps(config), "utf-8")
        env = {
            **os.environ,
            "PROMPTFOO_DISABLE_TELEMETRY": "1",
            "PROMPTFOO_DISABLE_UPDATE": "1",
            "PROMPTFOO_CONFIG_DIR": str(folder / ".promptfoo"),
            "OPENAI_API_KEY": "x",
            "NO_COLOR": "1",
        }
        command = [
            binary,
            "eval",
            "-c",
            str(folder / "promptfooconfig.json"),
            "--max-concurrency",
            str(concurrency),
            "--no-cache",
            "--no-table",
            "--no-progress-bar",
            "--no-write",
            "-o",
            str(folder / "out.json"),
        ]
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, text=True, timeout=900
        )
        wall = time.perf_counter() - start
        if done.returncode not in (0, 100):  # 100: some assertions failed (there are none)
            print(f"  ! promptfoo exited {done.returncode}: {done.stderr[-800:]}")
        out = folder / "out.json"
        if out.is_file():
            stats = json.loads(out.read_text("utf-8")).get("results", {}).get("stats", {})
            if stats:
                print(f"  promptfoo stats: {json.dumps(stats)[:300]}")
        return wall


def node_startup(binary: str) -> float:
    start = time.perf_counter()
    subprocess.run([binary, "--version"], capture_output=True, timeout=120, check=False)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2, help="upstream latency, seconds")
    parser.add_argument("--promptfoo", help="path to a promptfoo binary")
    parser.add_argument("--skip-async", action="store_true", help="skip the AsyncOpenAI run")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.latency)
        return

    texts = questions(args.cases)
    ideal = args.cases * args.latency / args.concurrency
    print(
        f"eval throughput — {dt.date.today()}, {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{args.cases} cases, concurrency {args.concurrency}, upstream latency "
        f"{args.latency * 1000:.0f} ms → ideal {ideal:.2f} s"
    )
    child, base_url = start_upstream(args.latency)
    try:
        tuneloop_run(base_url, texts[:64], args.concurrency, use_async=False)  # warm-up
        upstream_stats(base_url)
        rows: list[tuple[str, float, str]] = []
        wall = tuneloop_run(base_url, texts, args.concurrency, use_async=False)
        rows.append(("tuneloop eval (openai backend, thread pool)", wall, upstream_stats(base_url)))
        if not args.skip_async:
            wall = tuneloop_run(base_url, texts, args.concurrency, use_async=True)
            rows.append(
                ("tuneloop runner + AsyncOpenAI (not used)", wall, upstream_stats(base_url))
            )
        binary = find_promptfoo(args.promptfoo)
        if binary is None:
            print(
                "promptfoo: not found (no --promptfoo, $PROMPTFOO_BIN, node_modules/.bin or PATH); "
                "install it with `npm install --prefix /tmp/pf promptfoo` to compare."
            )
        else:
            startup = node_startup(binary)
            wall = promptfoo_run(binary, base_url, texts, args.concurrency)
            most = upstream_stats(base_url)
            rows.append((f"promptfoo eval (incl. {startup:.1f} s start-up)", wall, most))
            rows.append(("promptfoo eval minus start-up", wall - startup, most))
        print()
        print(f"{'contender':46} {'wall s':>7} {'ideal s':>7} {'ratio':>6} {'max in flight':>13}")
        for name, seconds, most in rows:
            ratio = f"{seconds / ideal:5.2f}×"
            print(f"{name:46} {seconds:7.2f} {ideal:7.2f} {ratio:>6} {most:>13}")
    finally:
        child.terminate()
        child.wait(timeout=10)


if __name__ == "__main__":
    main()
