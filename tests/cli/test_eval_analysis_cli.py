"""``tuneloop eval report | compare | gate`` on runs stored in a real project database."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime
from pathlib import Path

import pytest

import tuneloop.cli.eval_analysis  # noqa: F401  (registers report/compare/gate on `tuneloop eval`)
from tuneloop.config import load_settings
from tuneloop.errors import EvalGateFailed, InvalidRequest, NotFound
from tuneloop.registry import Store
from tuneloop.store.eval_results import CaseResult, EvalRun

BASE_ID = "ev-20261124-aaa111"
LORA_ID = "ev-20261125-bbb222"
TOPICS = ("궁궐", "교통", "맛집")


def seoul_run(run_id: str, model: str, shift: float, *, extra: str | None = None) -> EvalRun:
    results = []
    for i in range(12):
        f1 = round(min(1.0, 0.3 + 0.04 * i + shift), 4)
        results.append(
            CaseResult(
                case_id=f"seoul-{i:02d}",
                tags=(TOPICS[i % 3],),
                messages=[{"role": "user", "content": f"경복궁 관람 시간 질문 {i}"}],
                output=f"오전 9시부터 오후 6시까지입니다. ({i})",
                references=("09:00–18:00",),
                scores={"token_f1": f1, "exact": float(i % 2 == 0)},
                latency_ms=200.0 + 10 * i,
                prompt_tokens=40,
                completion_tokens=20,
            )
        )
    if extra:
        results.append(
            CaseResult(
                case_id=extra,
                tags=("야경",),
                messages=[{"role": "user", "content": "Is Namsan Tower open at night?"}],
                output=None,
                error="upstream timed out",
            )
        )
    return EvalRun(
        id=run_id,
        suite="seoul-travel",
        suite_hash="e" * 64,
        model=model,
        created_at=datetime.now(UTC),
        metrics=("token_f1", "exact"),
        results=tuple(results),
        prompt_ref="seoul-guide@3",
    )


@pytest.fixture
def runs(project: Path) -> dict[str, EvalRun]:
    base = seoul_run(BASE_ID, "seoul-guide", 0.0)
    lora = seoul_run(LORA_ID, "seoul-guide-lora", 0.2, extra="namsan-night")
    with Store.from_settings(load_settings(project)) as store:
        store.eval_runs.save(base)
        store.eval_runs.save(lora)
    return {"base": base, "lora": lora}


def test_report_writes_the_html_and_prints_a_summary(invoke, project, runs, tmp_path):
    target = tmp_path / "out" / "report.html"
    result = invoke("--project", project, "eval", "report", LORA_ID, "-o", target)
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert 'class="plotly-graph-div"' in html and "경복궁 관람 시간 질문" in html
    assert "token_f1" in result.stdout and "seoul-guide-lora" in result.stdout
    assert "Report written to" in result.stdout


def test_report_default_file_name_and_run_id_prefix(invoke, project, runs, tmp_path):
    result = invoke("--project", project, "eval", "report", "bbb2")  # the random part's prefix
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"eval-report-{LORA_ID}.html").is_file()


def test_report_json_prints_the_numbers_and_writes_no_file(invoke, project, runs, tmp_path):
    result = invoke("--project", project, "eval", "report", BASE_ID, "--json", "--worst", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = statistics.fmean(r.scores["token_f1"] for r in runs["base"].results)
    assert data["metrics"][0]["metric"] == "token_f1"
    assert data["metrics"][0]["mean"] == pytest.approx(expected)
    assert [w["case_id"] for w in data["worst"]] == ["seoul-00", "seoul-01"]
    assert data["html"] is None
    assert not list(tmp_path.glob("*.html"))


def test_report_of_an_unknown_run_is_not_found(invoke, project, runs):
    result = invoke("--project", project, "eval", "report", "ev-19990101-000000")
    assert isinstance(result.exception, NotFound)


def test_compare_json_pairs_cases_and_reports_the_unpaired(invoke, project, runs, tmp_path):
    page = tmp_path / "ab.html"
    result = invoke(
        "--project", project, "eval", "compare", BASE_ID, LORA_ID,
        "--metric", "token_f1", "--resamples", "500", "--seed", "7", "--html", page, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "model"
    assert data["paired"] == 12 and data["only_b"] == ["namsan-night"]
    overall = data["overall"]
    assert [d["metric"] for d in overall] == ["token_f1"]
    assert overall[0]["delta"] == pytest.approx(0.2, abs=1e-6)
    assert overall[0]["wins"] == 12 and overall[0]["significant"] is True
    assert (data["seed"], data["resamples"]) == (7, 500)
    assert page.is_file() and "compare-deltas" in page.read_text(encoding="utf-8")
    again = invoke(
        "--project", project, "eval", "compare", BASE_ID, LORA_ID,
        "--metric", "token_f1", "--resamples", "500", "--seed", "7", "--json",
    )  # fmt: skip
    assert json.loads(again.stdout)["overall"] == overall


def test_compare_table_marks_improvements(invoke, project, runs):
    result = invoke(
        "--project", project, "eval", "compare", BASE_ID, LORA_ID, "--tie-margin", "0.05"
    )
    assert result.exit_code == 0, result.output
    assert "▲ +0.200 *" in result.stdout
    assert "namsan-night" in result.stdout
    assert "궁궐" in result.stdout


def test_gate_passes_with_exit_code_0(invoke, project, runs):
    result = invoke(
        "--project", project, "eval", "gate", LORA_ID,
        "--min", "token_f1=0.6", "--baseline", BASE_ID, "--max-regression", "0.02",
        "--max-error-rate", "0.1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.count("✓") == 4 and "✗" not in result.stdout
    assert "PASSED" in result.stdout


def test_gate_failure_raises_eval_gate_failed(invoke, project, runs):
    result = invoke(
        "--project", project, "eval", "gate", BASE_ID,
        "--min", "token_f1=0.6", "--min", "exact=0.5", "--json",
    )  # fmt: skip
    assert isinstance(result.exception, EvalGateFailed)
    assert "token_f1 >= 0.6" in result.exception.message
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert [c["passed"] for c in data["checks"]] == [False, True]


def test_gate_only_tag_and_regression_against_a_worse_baseline(invoke, project, runs):
    result = invoke(
        "--project", project, "eval", "gate", BASE_ID,
        "--baseline", LORA_ID, "--max-regression", "0.05", "--tag", "궁궐",
    )  # fmt: skip
    assert isinstance(result.exception, EvalGateFailed)
    assert "✗ token_f1 regression <= 0.05" in result.stdout
    assert "(tags: 궁궐)" in result.stdout


def test_gate_rejects_a_malformed_minimum_and_an_unknown_metric(invoke, project, runs):
    bad = invoke("--project", project, "eval", "gate", LORA_ID, "--min", "token_f1")
    assert isinstance(bad.exception, InvalidRequest)
    unknown = invoke("--project", project, "eval", "gate", LORA_ID, "--min", "bleu=0.3")
    assert isinstance(unknown.exception, InvalidRequest)
    assert "token_f1, exact" in unknown.exception.message


def test_real_script_exits_8_on_a_failed_gate_and_0_on_a_pass(run_cli, project, runs):
    failed = run_cli("--project", project, "eval", "gate", BASE_ID, "--min", "token_f1=0.9")
    assert failed.returncode == 8
    assert "✗ token_f1 >= 0.9" in failed.stdout
    assert "Gate failed" in failed.stderr and "Traceback" not in failed.stderr
    passed = run_cli("--project", project, "eval", "gate", LORA_ID, "--max-error-rate", "0.1")
    assert passed.returncode == 0, passed.stderr
    assert "✓ error rate <= 0.1" in passed.stdout


def test_compare_never_marks_a_tag_row_with_fewer_than_five_pairs(invoke, project, runs):
    result = invoke("--project", project, "eval", "compare", BASE_ID, LORA_ID, "--json")
    data = json.loads(result.stdout)
    assert data["overall"][0]["n"] == 12 and data["overall"][0]["significant"] is True
    rows = data["by_tag"]
    assert rows and all(r["n"] == 4 for r in rows)  # 12 cases over 3 topics
    # every case improved by +0.2, yet 4 pairs cannot show it: no interval, no p, no star
    for row in rows:
        assert row["delta"] is not None and row["significant"] is False
        assert (row["ci_low"], row["ci_high"], row["p_value"]) == (None, None, None)
        assert row["enough_pairs"] is False
    table = invoke("--project", project, "eval", "compare", BASE_ID, LORA_ID)
    tag_lines = [line for line in table.stdout.splitlines() if "궁궐" in line]
    assert tag_lines and all("*" not in line and "n<5" in line for line in tag_lines)
