"""``tuneloop migrate openai record`` as a user runs it: the plan and cost first (alone with
--dry-run), a bad prompt file before anything is sent, and — with the real console script —
resuming after ``kill -9`` and stopping cleanly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.server import make_project
from migrate.record_fakes import OpenAIPlay, golden_lines, openai_play, questions_file
from migrate.sources import NAME, seed_source
from tuneloop.cli.migrate.record import usd
from tuneloop.errors import InvalidRecord
from tuneloop.migrate.record import golden_paths
from tuneloop.registry import Store

RECORD = ("migrate", "openai", "record", NAME)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A project as pull leaves it (2 validation and 8 training examples)."""
    settings = make_project(tmp_path / "proj")
    with Store.from_settings(settings) as store:
        seed_source(store, tmp_path, production=False)
    return settings.project_dir


@pytest.fixture
def play(tmp_path: Path) -> Iterator[OpenAIPlay]:
    with openai_play(tmp_path / "openai") as server:
        yield server


@pytest.fixture
def slow_play(tmp_path: Path) -> Iterator[OpenAIPlay]:
    """Answers take 0.1 s, so a run of 40 prompts at concurrency 2 lasts about 2 s."""
    with openai_play(tmp_path / "slow-openai", delay=0.1) as server:
        yield server


def test_dry_run_prints_the_plan_and_cost_and_sends_nothing(invoke, proj, play, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # a dry run needs no key
    args = ("--project", proj, *RECORD, "--base-url", play.base_url, "--dry-run")

    shown = invoke(*args)
    data = invoke(*args, "--json")

    assert shown.exit_code == 0, shown.output
    assert data.exit_code == 0, data.output
    plan = json.loads(data.stdout)["plan"]
    assert plan["to_send"] == 10 and plan["prompts"]["by_source"] == {
        "validation": 2,
        "train-sample": 8,
    }
    assert json.loads(data.stdout)["result"] is None
    assert f"to send now: {plan['to_send']}" in shown.stdout
    assert f"input tokens: {plan['input_tokens']:,} (exact, o200k_base)" in shown.stdout
    assert f"cost: ~{usd(plan['cost_usd'])} (gpt-4o-mini fine-tuned" in shown.stdout
    assert len(play.chats) == 0
    assert not golden_paths(proj, NAME)[1].exists()


def test_a_real_run_prints_the_estimate_then_records_and_reports_json(
    invoke, proj, play, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", play.api_key)
    base = ("--project", proj, *RECORD, "--base-url", play.base_url, "--train-sample", "3")

    shown = invoke(*base, "--limit", "2")
    data = invoke(*base, "--json")

    assert shown.exit_code == 0, shown.output
    assert shown.stdout.index("to send now: 2") < shown.stdout.index("Recorded 2 answers")
    assert data.exit_code == 0, data.output
    result = json.loads(data.stdout)["result"]
    assert result["already_recorded"] == 2 and result["recorded"] == 3
    assert len(golden_lines(golden_paths(proj, NAME)[1])) == len(play.chats) == 5


def test_a_bad_prompt_file_is_reported_before_anything_is_sent(
    invoke, proj, play, tmp_path, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", play.api_key)
    bad = tmp_path / "qs.csv"
    bad.write_text("question,tags\n경복궁?,a\n명동?,b,c\n", "utf-8")

    result = invoke("--project", proj, *RECORD, "--base-url", play.base_url, "--prompts", bad)

    assert isinstance(result.exception, InvalidRecord) and result.exception.exit_code == 4
    assert str(result.exception).startswith(f"{bad}:3: 3 cells, but the header has 2")
    assert len(play.chats) == 0


def _started(
    exe: str, env: dict[str, str], play: OpenAIPlay, args: list[str], jsonl: Path, *, lines: int
) -> subprocess.Popen[str]:
    """The real ``tuneloop`` script running ``args``, once ``jsonl`` holds ``lines`` answers."""
    child = subprocess.Popen(
        [exe, *args],
        env={**env, "OPENAI_API_KEY": play.api_key},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if jsonl.is_file() and jsonl.read_bytes().count(b"\n") >= lines:
            return child
        assert child.poll() is None, child.communicate()
        time.sleep(0.02)
    child.kill()
    raise AssertionError(f"{jsonl} never reached {lines} lines")


def _args(proj: Path, play: OpenAIPlay, questions: Path) -> list[str]:
    return [
        "--project", str(proj), *RECORD, "--base-url", play.base_url, "--train-sample", "8",
        "--prompts", str(questions), "--concurrency", "2",
    ]  # fmt: skip


@pytest.mark.slow
def test_a_killed_run_resumes_and_records_every_prompt_exactly_once(
    tuneloop_exe, cli_env, run_cli, proj, slow_play, tmp_path
):
    args = _args(proj, slow_play, questions_file(tmp_path / "qs.jsonl", 30))
    jsonl = golden_paths(proj, NAME)[1]

    child = _started(tuneloop_exe, cli_env, slow_play, args, jsonl, lines=5)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    killed_with = jsonl.read_bytes().count(b"\n")

    again = run_cli(*args, "--json", env={"OPENAI_API_KEY": slow_play.api_key})

    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)["result"]
    assert result["already_recorded"] == killed_with < 40
    lines = golden_lines(jsonl)  # no torn line left
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) == 40
    assert {line["tags"][0] for line in lines} == {"validation", "train-sample", "user:qs"}


@pytest.mark.slow
def test_ctrl_c_finishes_the_requests_in_flight_and_exits_130(
    tuneloop_exe, cli_env, run_cli, proj, slow_play, tmp_path
):
    args = _args(proj, slow_play, questions_file(tmp_path / "qs.jsonl", 30))
    jsonl = golden_paths(proj, NAME)[1]

    child = _started(tuneloop_exe, cli_env, slow_play, args, jsonl, lines=3)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    time.sleep(0.3)  # a request sent after the stop would have reached the server by now

    assert child.returncode == 130, stderr
    assert "run the same command again to record the rest" in stderr
    assert f"migrate openai record {NAME}" in stderr
    lines = golden_lines(jsonl)
    assert 3 <= len(lines) < 40
    assert len(lines) == len(slow_play.chats)  # every request sent was answered and written

    again = run_cli(*args, env={"OPENAI_API_KEY": slow_play.api_key})
    assert again.returncode == 0, again.stderr
    ids = [line["id"] for line in golden_lines(jsonl)]
    assert len(ids) == len(set(ids)) == 40
    assert len(slow_play.chats) == 40  # nothing was asked twice
