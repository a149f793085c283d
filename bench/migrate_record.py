"""Golden-set recording: how close `tuneloop migrate openai record` gets to the ideal rate, and
whether 100,000 prompts stream through in bounded memory.

Usage::

    .venv/bin/python bench/migrate_record.py [--prompts 2000] [--latency 0.2] [--concurrency 32]
                                             [--memory-prompts 100000] [--skip-baseline]

It starts the fake OpenAI-compatible upstream of ``bench/eval_throughput.py`` in its own process
(FastAPI + uvicorn on 127.0.0.1; ``POST /v1/chat/completions`` sleeps a fixed latency and returns a
valid completion; ``GET /stats`` says how many requests it saw in flight at once), writes a JSONL
prompt file, and calls :func:`tuneloop.migrate.record.record` — the function the CLI calls — for
an ``ft:`` id with that file as its only prompt source, into a fresh project folder:

1. **rate**: ``--prompts`` prompts at ``--concurrency`` against a ``--latency`` upstream. Prints
   the recording phase's wall time and prompts/s, the ideal ``n × latency / concurrency`` and
   their ratio (target ≤ 1.15×), and the whole call's time (the plan — every prompt read once,
   input tokens counted exactly — included), and, as the baseline measured in the same minute on
   the same upstream, ``tuneloop eval run``'s runner on as many cases
   (``bench/eval_throughput.py``, recorded at 1.08–1.11× on a quieter machine): on two shared
   cores the machine's load moves both ratios, so compare them with each other;
2. **memory**: in a fresh child process each (so one's memory does not hide the other's),
   ``--memory-prompts`` / 10 and ``--memory-prompts`` prompts from a generated file against a
   zero-latency upstream; prints each child's resident-set high-water mark before and after the
   run (``ru_maxrss``), the growth, and the size of the golden file it wrote. Streamed means no
   prompt or answer stays in memory once written; what does grow is the set of 16-hex request ids
   (deduplication and resume need it), about 150 bytes per prompt in a Python set.

Every run checks that the golden file holds each prompt exactly once. Nothing is asserted about
time: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_throughput import questions, start_upstream, tuneloop_run, upstream_stats

FT_ID = "ft:gpt-4o-mini-2024-07-18:bench:seoul:b3nch001"
PLACES = ["경복궁", "창덕궁", "광장시장", "남산서울타워", "북촌 한옥마을", "N Seoul Tower"]


def prompt_file(path: Path, n: int) -> Path:
    """``n`` distinct questions, one JSONL line each, written without holding them all."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            line = {"question": f"{PLACES[i % len(PLACES)]} 질문 {i}: 몇 시에 열어요?"}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def run_record(base_url: str, prompts: Path, folder: Path, concurrency: int) -> tuple[Any, float]:
    """``record`` as the CLI runs it; the outcome and the whole call's wall time."""
    from tuneloop.migrate.record import RecordOptions, record

    options = RecordOptions(
        validation=False, train_sample=0, prompt_files=(prompts,), concurrency=concurrency
    )
    start = time.perf_counter()
    done = record(
        FT_ID, project_dir=folder, store=None, options=options, base_url=base_url, api_key="x"
    )
    return done, time.perf_counter() - start


def check_golden(done: Any, n: int) -> int:
    """Every prompt exactly once, every line whole; returns the golden file's size in bytes."""
    path = done.result.golden_jsonl
    ids = set()
    lines = 0
    with path.open("rb") as handle:
        for raw in handle:
            assert raw.endswith(b"\n"), "torn line"
            ids.add(json.loads(raw)["id"])
            lines += 1
    if lines != n or len(ids) != n:
        raise SystemExit(f"golden file holds {lines} lines, {len(ids)} ids; expected {n}")
    return int(path.stat().st_size)


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(base_url: str, n: int, concurrency: int) -> None:
    """One memory measurement (this is what the child process does); prints one JSON line."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warm = prompt_file(folder / "warm.jsonl", 64)
        run_record(base_url, warm, folder / "warm", concurrency)  # imports, pools, counter
        prompts = prompt_file(folder / "prompts.jsonl", n)
        before = rss_peak_mb()
        done, wall = run_record(base_url, prompts, folder / "project", concurrency)
        after = rss_peak_mb()
        size = check_golden(done, n)
        print(
            json.dumps(
                {
                    "prompts": n,
                    "rss_before_mb": round(before, 1),
                    "rss_peak_mb": round(after, 1),
                    "growth_mb": round(after - before, 1),
                    "golden_mb": round(size / 2**20, 1),
                    "prompt_file_mb": round(prompts.stat().st_size / 2**20, 1),
                    "wall_s": round(wall, 1),
                    "record_s": round(done.result.seconds, 1),
                }
            ),
            flush=True,
        )


def measure_memory(base_url: str, n: int, concurrency: int) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(n), "--upstream", base_url,
         "--concurrency", str(concurrency)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if child.returncode != 0:
        raise SystemExit(f"memory child failed:\n{child.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--prompts", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2, help="upstream latency, seconds")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--memory-prompts", type=int, default=100_000, help="0 skips it")
    parser.add_argument(
        "--skip-baseline", action="store_true", help="skip the eval runner's run for comparison"
    )
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.memory_child:
        memory_child(args.upstream, args.memory_child, args.concurrency)
        return

    ideal = args.prompts * args.latency / args.concurrency
    print(
        f"golden-set recording — {dt.date.today()}, {platform.machine()}, {os.cpu_count()} CPU "
        f"cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{args.prompts} prompts, concurrency {args.concurrency}, upstream latency "
        f"{args.latency * 1000:.0f} ms → ideal {ideal:.2f} s ({args.prompts / ideal:.1f} prompts/s)"
    )
    child, base_url = start_upstream(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            run_record(base_url, prompt_file(folder / "warm.jsonl", 64), folder / "warm", 32)
            upstream_stats(base_url)
            prompts = prompt_file(folder / "prompts.jsonl", args.prompts)
            done, wall = run_record(base_url, prompts, folder / "project", args.concurrency)
            most = upstream_stats(base_url)
            check_golden(done, args.prompts)
        rows = [
            ("recording (record_answers)", done.result.seconds),
            ("whole call, plan included", wall),
        ]
        if not args.skip_baseline:
            texts = questions(args.prompts)
            rows.append(
                (
                    "eval runner, same upstream (baseline)",
                    tuneloop_run(base_url, texts, args.concurrency, use_async=False),
                )
            )
        print()
        print(f"{'':38} {'wall s':>7} {'prompts/s':>9} {'ideal s':>7} {'ratio':>6}")
        for label, took in rows:
            print(
                f"{label:38} {took:7.2f} {args.prompts / took:9.1f} {ideal:7.2f} "
                f"{took / ideal:5.2f}×"
            )
        print(f"max requests in flight at the upstream: {most}; target ≤ 1.15× ideal")
    finally:
        child.terminate()
        child.wait(timeout=10)

    if args.memory_prompts <= 0:
        return
    zero, zero_url = start_upstream(0.0)
    try:
        print()
        print(
            f"memory: prompts streamed from a JSONL file, zero-latency upstream, concurrency "
            f"{args.concurrency}, each size in a fresh process"
        )
        print(
            f"{'prompts':>8} {'RSS before':>10} {'RSS peak':>9} {'growth':>7} {'golden file':>11} "
            f"{'prompt file':>11} {'wall s':>7}"
        )
        for n in (max(1, args.memory_prompts // 10), args.memory_prompts):
            m = measure_memory(zero_url, n, args.concurrency)
            print(
                f"{m['prompts']:>8} {m['rss_before_mb']:>8.1f}MB {m['rss_peak_mb']:>7.1f}MB "
                f"{m['growth_mb']:>5.1f}MB {m['golden_mb']:>9.1f}MB {m['prompt_file_mb']:>9.1f}MB "
                f"{m['wall_s']:>7.1f}"
            )
    finally:
        zero.terminate()
        zero.wait(timeout=10)


if __name__ == "__main__":
    main()
