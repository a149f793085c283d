"""``tuneloop migrate openai parity``: writes migrate/NAME/parity.{html,json}; with --gate a pass
lets ``tuneloop models promote`` move production off the OpenAI source, a fail exits 8."""

from __future__ import annotations

import json

import pytest

from migrate.sources import (
    NAME,
    golden_answers,
    parrot_backend,
    register_local,
    seed_source,
    write_golden,
)
from tuneloop.config import load_settings
from tuneloop.errors import EvalGateFailed, ProtectedAlias
from tuneloop.registry import Store


@pytest.fixture
def seeded(project):
    with parrot_backend():
        with Store.from_settings(load_settings(project)) as store:
            seed_source(store, project)
        write_golden(project)
        yield project


def _local(project, **answers):
    with Store.from_settings(load_settings(project)) as store:
        return register_local(store, **answers).ref


def test_a_passing_gate_writes_the_reports_and_allows_the_promote(invoke, seeded):
    local = _local(seeded, answers=golden_answers())
    refused = invoke("--project", seeded, "models", "promote", local, "--to", "production")
    assert isinstance(refused.exception, ProtectedAlias)

    result = invoke(
        "--project", seeded, "migrate", "openai", "parity", NAME, "--gate", "0.9", "--json"
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["gate"]["passed"] is True and data["candidate"]["ref"] == local
    folder = seeded / "migrate" / NAME
    assert json.loads((folder / "parity.json").read_text(encoding="utf-8"))["gate"]["passed"]
    assert (folder / "parity.html").is_file()
    promoted = invoke("--project", seeded, "models", "promote", local, "--to", "production")
    assert promoted.exit_code == 0, promoted.output


def test_a_failing_gate_exits_8_after_writing_the_report_and_promote_stays_refused(
    invoke, seeded, tmp_path
):
    local = _local(seeded, default="잘 모르겠어요.")

    result = invoke(
        "--project", seeded, "migrate", "openai", "parity", NAME,
        "--gate", "0.5", "--out", tmp_path / "reports",
    )  # fmt: skip

    assert isinstance(result.exception, EvalGateFailed) and result.exception.exit_code == 8
    assert "✗ failed" in result.output and "agreement" in result.output
    assert (tmp_path / "reports" / "parity.html").is_file()
    refused = invoke("--project", seeded, "models", "promote", local, "--to", "production")
    assert isinstance(refused.exception, ProtectedAlias)


def test_without_a_gate_it_reports_and_says_how_to_decide(invoke, seeded):
    _local(seeded, answers=golden_answers())
    result = invoke("--project", seeded, "migrate", "openai", "parity", NAME)
    assert result.exit_code == 0, result.output
    assert "--gate" in result.output and "agreement" in result.output
