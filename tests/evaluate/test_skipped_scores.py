"""A metric that *skips* a case (``details[metric]["skipped"]``: not applicable — no sources for
``faithfulness``, no Hangul for a Korean spacing check) stores 1.0 so the case does not fail, but
the skip is no evidence: means, report statistics, compare pairs and gates leave it out."""

from __future__ import annotations

from datetime import UTC, datetime

from tuneloop.evaluate.compare import compare_runs
from tuneloop.evaluate.gate import gate
from tuneloop.evaluate.report import summarize
from tuneloop.store.eval_results import CaseResult, EvalRun


def case(case_id: str, value: float, *, skipped: bool = False) -> CaseResult:
    details = {"faithfulness": {"skipped": "no sources"}} if skipped else {}
    return CaseResult(
        case_id=case_id,
        tags=("palace",),
        messages=[{"role": "user", "content": "경복궁은 언제 쉬나요?"}],
        output="화요일에 쉽니다.",
        scores={"faithfulness": 1.0 if skipped else value},
        details=details,
    )


def run(run_id: str, results: list[CaseResult]) -> EvalRun:
    return EvalRun(
        id=run_id,
        suite="seoul",
        suite_hash="a" * 64,
        model="m",
        created_at=datetime(2026, 12, 8, tzinfo=UTC),
        metrics=("faithfulness",),
        results=tuple(results),
    )


def test_a_skipped_score_is_left_out_of_the_mean_but_a_real_one_counts():
    mixed = run("r", [case("a", 0.2), case("b", 0.4), case("c", 0.0, skipped=True)])
    assert mixed.results[2].score("faithfulness") is None
    assert mixed.results[0].score("faithfulness") == 0.2
    assert mixed.scores("faithfulness") == [0.2, 0.4]
    assert abs(mixed.mean("faithfulness") - 0.3) < 1e-12


def test_a_gate_is_not_passed_by_skips():
    mostly_skipped = run("r", [case("a", 0.2)] + [case(f"s{i}", 0, skipped=True) for i in range(9)])
    result = gate(mostly_skipped, minimums={"faithfulness": 0.5})
    assert not result.passed
    assert abs(result.checks[0].actual - 0.2) < 1e-12


def test_report_statistics_count_only_judged_cases():
    report = summarize(run("r", [case("a", 0.5), case("b", 0.0, skipped=True)]))
    [stats] = report.metrics
    assert stats.n == 1 and stats.mean == 0.5


def test_compare_pairs_only_cases_both_runs_judged():
    a = run("a", [case("x", 0.2), case("y", 0.0, skipped=True)])
    b = run("b", [case("x", 0.6), case("y", 0.9)])
    [overall] = [d for d in compare_runs(a, b).overall if d.metric == "faithfulness"]
    assert overall.n == 1 and overall.unscored == 1
    assert abs(overall.delta - 0.4) < 1e-12
