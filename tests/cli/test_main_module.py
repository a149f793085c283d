"""`python -m tuneloop` is the same program as the `tuneloop` script (benches use it)."""

from __future__ import annotations

import subprocess
import sys

from tuneloop import __version__


def test_python_dash_m_tuneloop_runs_the_cli(cli_env):
    done = subprocess.run(
        [sys.executable, "-m", "tuneloop", "--version"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"tuneloop {__version__}"
