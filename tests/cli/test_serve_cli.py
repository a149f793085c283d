"""``tuneloop serve`` as a real process, driven by the official ``openai`` client."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(exe: str, project: Path, env: dict[str, str], log: Path, *flags: str) -> Iterator[str]:
    """Start ``tuneloop serve`` in ``project``; yield its URL once /healthz answers."""
    port = free_port()
    with log.open("w", encoding="utf-8") as stderr:
        proc = subprocess.Popen(
            [exe, "serve", "--port", str(port), "--log-level", "warning", *flags],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"tuneloop serve exited with {proc.returncode}:\n{log.read_text()}")
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"tuneloop serve did not answer /healthz:\n{log.read_text()}")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def echo_project(invoke, project):
    result = invoke("--project", project, "models", "add", "e", "--backend", "echo")
    assert result.exit_code == 0, result.output
    return project


def test_serve_answers_the_openai_client_with_a_created_key_and_rejects_a_wrong_one(
    invoke, echo_project, tuneloop_exe, cli_env, tmp_path
):
    created = invoke("--project", echo_project, "keys", "create", "--json")
    key = json.loads(created.stdout)["key"]

    with serving(tuneloop_exe, echo_project, cli_env, tmp_path / "serve.log") as url:
        client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
        reply = client.chat.completions.create(
            model="e", messages=[{"role": "user", "content": "서울 관광지 추천"}]
        )
        assert reply.choices[0].message.content == "서울 관광지 추천"
        assert reply.model == "e"
        assert "e" in {m.id for m in client.models.list()}

        wrong = openai.OpenAI(base_url=url + "/v1", api_key="tl-" + "x" * 40, max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="e", messages=[{"role": "user", "content": "hi"}])

        health = httpx.get(url + "/healthz").json()
        assert health["auth"] == "api-key"

    assert "INSECURE" not in (tmp_path / "serve.log").read_text(encoding="utf-8")


def test_serve_insecure_dev_warns_on_stderr_and_answers_without_a_key(
    echo_project, tuneloop_exe, cli_env, tmp_path
):
    log = tmp_path / "serve.log"

    with serving(tuneloop_exe, echo_project, cli_env, log, "--insecure-dev") as url:
        response = httpx.post(
            url + "/v1/chat/completions",
            json={"model": "e", "messages": [{"role": "user", "content": "no key needed"}]},
        )
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == "no key needed"
        assert response.headers["X-Tuneloop-Auth"] == "disabled"
        assert httpx.get(url + "/healthz").json()["auth"] == "disabled"

    banner = log.read_text(encoding="utf-8")
    assert "INSECURE DEV MODE" in banner
    assert url + "/v1" in banner


def test_serve_without_any_key_warns_and_rejects_requests(
    echo_project, tuneloop_exe, cli_env, tmp_path
):
    log = tmp_path / "serve.log"

    with serving(tuneloop_exe, echo_project, cli_env, log) as url:
        response = httpx.post(
            url + "/v1/chat/completions",
            json={"model": "e", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"

    assert "No API keys exist yet" in log.read_text(encoding="utf-8")
