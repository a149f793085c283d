"""CLI fixtures: an isolated environment, in-process invocation, and the real console script.

Every CLI test runs with ``TUNELOOP_HOME`` in its tmp_path, no inherited ``TUNELOOP_*`` variables
and tmp_path as the working directory, so nothing reads or writes ``~/.tuneloop`` or a project
found above the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tuneloop.cli.main import app

Invoke = Callable[..., Result]
RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """TUNELOOP_HOME inside tmp_path, no other TUNELOOP_* variables, cwd = tmp_path."""
    for name in list(os.environ):
        if name.startswith("TUNELOOP_"):
            monkeypatch.delenv(name)
    home = tmp_path / "tuneloop-home"
    monkeypatch.setenv("TUNELOOP_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def invoke() -> Invoke:
    """Run ``tuneloop ARGS…`` in process; a TuneloopError comes back as ``result.exception``."""
    runner = CliRunner()

    def _invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], input=input)

    return _invoke


@pytest.fixture
def project(invoke: Invoke, tmp_path: Path) -> Path:
    """A project made by ``tuneloop init`` (SQLite store in the project folder)."""
    folder = tmp_path / "proj"
    result = invoke("init", folder)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def tuneloop_exe() -> str:
    """The installed ``tuneloop`` console script of the interpreter running the tests."""
    found = shutil.which("tuneloop", path=str(Path(sys.executable).parent))
    assert found, f"no tuneloop script next to {sys.executable}; pip install -e . first"
    return found


@pytest.fixture
def cli_env(isolated_env: Path) -> dict[str, str]:
    """Environment for a ``tuneloop`` subprocess: isolated home, offline, unwrapped output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNELOOP_")}
    env.update(TUNELOOP_HOME=str(isolated_env), HF_HUB_OFFLINE="1", COLUMNS="1000", NO_COLOR="1")
    return env


@pytest.fixture
def run_cli(tuneloop_exe: str, cli_env: dict[str, str], tmp_path: Path) -> RunCli:
    """Run the real ``tuneloop`` script: ``run_cli(*args, cwd=…, env={extra})``."""

    def _run(
        *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tuneloop_exe, *map(str, args)],
            cwd=cwd or tmp_path,
            env={**cli_env, **(env or {})},
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )

    return _run
