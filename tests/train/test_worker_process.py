"""``tuneloop serve`` trains jobs in its own worker process (real engine, tiny model)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from fixtures.server import make_project
from tuneloop.registry import Store

from .test_jobs_fakes import chat_jsonl, wait_for_status


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_serve_trains_a_job_in_a_worker_process_and_stops_it_on_sigterm(tmp_path, tiny_model_dir):
    project = tmp_path / "project"
    settings = make_project(project)
    with Store.from_settings(settings) as store:
        store.registrations.register("tiny", "local", {"path": str(tiny_model_dir)})
        _, key = store.keys.create("tests", scopes=["all"])
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNELOOP_")}
    env.update(TUNELOOP_HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1")
    exe = str(Path(sys.executable).parent / "tuneloop")
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [exe, "serve", "--port", str(port), "--log-level", "warning", "--train-workers", "1"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        assert len(_children(proc.pid)) >= 1  # the training worker process
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        upload = client.files.create(file=("seoul.jsonl", chat_jsonl()), purpose="fine-tune")
        knobs = {"n_epochs": 2, "batch_size": 1, "max_length": 256, "save_every": 2}
        job = client.fine_tuning.jobs.create(
            model="tiny",
            training_file=upload.id,
            method={"type": "supervised", "supervised": {"hyperparameters": knobs}},
        )
        done = wait_for_status(client, job.id, {"succeeded", "failed", "cancelled"}, timeout=300)
        assert done.status == "succeeded", done.error
        events = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]
        assert any(m.startswith("Fine-tuning job started on worker") for m in events)
        answer = client.chat.completions.create(
            model=done.fine_tuned_model,
            messages=[{"role": "user", "content": "안녕"}],
            max_tokens=3,
        )
        assert answer.model == done.fine_tuned_model
        workers = _children(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
