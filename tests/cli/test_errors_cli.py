"""What a person sees from the real ``tuneloop`` script: one paragraph and an exit code on errors,
the traceback only with ``--debug``, and a fast start that does not import torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tuneloop import __version__


@pytest.fixture
def bad_port_project(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "tuneloop.toml").write_text('[server]\nport = "abc"\n', encoding="utf-8")
    return folder


def test_bad_config_value_exits_2_naming_key_and_env_var_without_traceback(
    run_cli, bad_port_project
):
    result = run_cli("keys", "list", cwd=bad_port_project)

    assert result.returncode == 2
    assert "Error:" in result.stderr
    assert "server.port" in result.stderr
    assert "TUNELOOP_SERVER__PORT" in result.stderr
    assert str(bad_port_project / "tuneloop.toml") in result.stderr
    assert "Fix:" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_debug_flag_shows_the_traceback_of_the_same_error(run_cli, bad_port_project):
    result = run_cli("--debug", "keys", "list", cwd=bad_port_project)

    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "tuneloop.errors.ConfigError" in result.stderr
    assert "TUNELOOP_SERVER__PORT" in result.stderr


def test_tuneloop_debug_variable_also_shows_the_traceback(run_cli, bad_port_project):
    result = run_cli("keys", "list", cwd=bad_port_project, env={"TUNELOOP_DEBUG": "1"})

    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr


def test_project_option_pointing_at_a_folder_without_project_file_exits_2(run_cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    result = run_cli("--project", empty, "keys", "list")

    assert result.returncode == 2
    assert "tuneloop init" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_prints_tuneloop_and_the_package_version(run_cli):
    result = run_cli("--version")

    assert result.returncode == 0
    assert result.stdout == f"tuneloop {__version__}\n"
    assert __version__ != "0.0.0"  # the installed distribution's version, not the fallback


def test_importing_the_cli_does_not_import_torch_or_transformers():
    code = (
        "import sys, tuneloop.cli.main; "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[]"
