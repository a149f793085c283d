"""`tuneloop eval run | list | report | gate` show and store what a model reference resolved to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tuneloop.cli.eval_analysis  # noqa: F401  (registers report/compare/gate on `tuneloop eval`)
from tuneloop.config import load_settings
from tuneloop.registry import Store

SUITE = """\
name: identity
params: {temperature: 0, max_tokens: 50}
metrics: [token_f1]
cases:
""" + "".join(
    f"  - {{id: q{i}, input: '경복궁 질문 {i}', reference: '질문 {i} 답', tags: [t{i % 2}]}}\n"
    for i in range(6)
)


@pytest.fixture
def suite(project: Path) -> Path:
    path = project / "evals" / "identity.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


def stage(project: Path, model_id: str) -> int:
    """Register the next version of seoul-guide (an echo model) and point staging at it."""
    with Store.from_settings(load_settings(project)) as store:
        version = store.models.register_version(
            "seoul-guide", model_id=model_id, backend="echo", config={"build": model_id},
            base_model="smollm2-135m", author="test",
        )  # fmt: skip
        store.models.promote(version.ref, "staging", by="test")
        return version.version


def eval_run(invoke, project: Path, suite: Path, model: str) -> dict:
    result = invoke("--project", project, "eval", "run", suite, "--model", model, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_run_shows_the_alias_the_version_and_the_hash(invoke, run_cli, project, suite, tmp_path):
    stage(project, "ft:one")
    shown = invoke("--project", project, "eval", "run", suite, "--model", "seoul-guide@staging")
    assert shown.exit_code == 0, shown.output
    assert "seoul-guide@staging → seoul-guide@1 (sha256:" in shown.stdout

    stage(project, "ft:two")
    data = eval_run(invoke, project, suite, "seoul-guide@staging")
    assert (data["model"], data["model_version"]) == ("seoul-guide@staging", "seoul-guide@2")
    assert data["model_hash"].startswith("sha256:") and data["cached"] == 0  # a new version
    label = data["model_label"]
    assert label == f"seoul-guide@staging → seoul-guide@2 (sha256:{data['model_hash'][7:19]}…)"

    listed = run_cli("--project", project, "eval", "list")  # the real script: wide, unwrapped
    assert label in listed.stdout and "seoul-guide@1 (sha256:" in listed.stdout
    listed_json = json.loads(invoke("--project", project, "eval", "list", "--json").stdout)
    assert listed_json[0]["model_version"] == "seoul-guide@2"
    assert listed_json[0]["model_label"] == label

    page = tmp_path / "report.html"
    report = invoke("--project", project, "eval", "report", data["id"], "-o", page)
    assert report.exit_code == 0, report.output
    assert label in report.stdout
    html = page.read_text(encoding="utf-8")
    assert "<code>seoul-guide@2</code>" in html and data["model_hash"][:19] in html


def test_gate_stores_its_decision_about_two_versions(invoke, project, suite):
    stage(project, "ft:one")
    with Store.from_settings(load_settings(project)) as store:
        store.models.promote(
            "seoul-guide@1", "production", by="test", force=True, reason="test setup"
        )
    baseline = eval_run(invoke, project, suite, "seoul-guide@production")
    stage(project, "ft:two")
    candidate = eval_run(invoke, project, suite, "seoul-guide@staging")

    result = invoke(
        "--project", project, "eval", "gate", candidate["id"],
        "--baseline", baseline["id"], "--max-regression", "0.02",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "seoul-guide@staging → seoul-guide@2" in result.stdout
    assert "Stored gate gate-" in result.stdout
    assert "seoul-guide@2 vs seoul-guide@1 on identity for seoul-guide@production" in result.stdout
    with Store.from_settings(load_settings(project)) as store:
        evidence = store.gate_results.evidence("seoul-guide", 2, 1)
    assert evidence is not None and evidence.alias == "production"
    assert evidence.candidate_run_id == candidate["id"]
    assert evidence.candidate_hash == candidate["model_hash"]
    assert evidence.suite_hash == candidate["suite_hash"]

    staging = invoke(
        "--project", project, "eval", "gate", candidate["id"], "--baseline", baseline["id"],
        "--max-regression", "0.02", "--for", "staging", "--json",
    )  # fmt: skip
    data = json.loads(staging.stdout)
    assert data["alias"] == "staging" and data["gate_id"].startswith("gate-")
    assert data["not_stored"] is None


def test_gate_of_a_model_that_is_not_a_registered_version_decides_but_stores_nothing(
    invoke, project, suite
):
    base = eval_run(invoke, project, suite, "echo:base")
    cand = eval_run(invoke, project, suite, "echo:candidate")
    result = invoke(
        "--project", project, "eval", "gate", cand["id"],
        "--baseline", base["id"], "--max-regression", "0.02",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.stdout
    assert "Not stored as gate evidence" in result.stdout
    assert "not a registered model version" in result.stdout
    with Store.from_settings(load_settings(project)) as store:
        assert store.gate_results.for_version("echo:candidate", 1) == []


def test_gate_refuses_runs_of_different_suites(invoke, project, suite):
    from tuneloop.errors import InvalidRequest

    first = eval_run(invoke, project, suite, "echo:a")
    other = eval_run(invoke, project, suite, "echo:b")
    with Store.from_settings(load_settings(project)) as store:
        limited = invoke(
            "--project", project, "eval", "run", suite, "--model", "echo:b", "--limit", "5",
            "--json",
        )  # fmt: skip
        assert limited.exit_code == 0, limited.output
        assert store.eval_runs.get(other["id"]).suite_hash == first["suite_hash"]
    short = json.loads(limited.stdout)
    result = invoke(
        "--project", project, "eval", "gate", short["id"],
        "--baseline", first["id"], "--max-regression", "0.02",
    )  # fmt: skip
    assert isinstance(result.exception, InvalidRequest)
    assert "different suites" in result.exception.message
