"""The gate: minimums, regression against a baseline, error rate — every check reported."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.gate import gate
from tuneloop.store.eval_results import CaseResult, EvalRun


def result(
    case_id: str,
    f1: float | None,
    judge: float | None = None,
    *,
    tags: tuple[str, ...] = (),
    error: str | None = None,
) -> CaseResult:
    scores = {} if error else {k: v for k, v in (("f1", f1), ("judge", judge)) if v is not None}
    return CaseResult(
        case_id=case_id,
        tags=tags,
        messages=[{"role": "user", "content": "How late is Namsan Tower open? 몇 시까지 해요?"}],
        output=None if error else "밤 11시까지 운영합니다.",
        scores=scores,
        error=error,
    )


def make_run(run_id: str, results: list[CaseResult]) -> EvalRun:
    return EvalRun(
        id=run_id,
        suite="seoul-travel",
        suite_hash="b" * 64,
        model="seoul-guide",
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        metrics=("f1", "judge"),
        results=tuple(results),
    )


@pytest.fixture
def run() -> EvalRun:
    return make_run(
        "new",
        [
            result("namsan", 0.8, 1.0, tags=("야경",)),
            result("hangang", 0.6, 0.5, tags=("야경", "공원")),
            result("insadong", 0.7, 1.0, tags=("쇼핑",)),
            result("dongdaemun", None, error="timeout", tags=("쇼핑",)),
        ],
    )


def test_gate_passes_when_every_minimum_is_met(run: EvalRun) -> None:
    outcome = gate(
        run,
        minimums={"f1": 0.7, "judge": 0.8},
        baseline=None,
        max_regression=None,
        max_error_rate=None,
        errors_as_failures=False,
    )
    assert outcome.passed
    f1, judge = outcome.checks
    assert f1.actual == pytest.approx(statistics.fmean([0.8, 0.6, 0.7]))
    assert judge.actual == pytest.approx(statistics.fmean([1.0, 0.5, 1.0]))
    assert f1.required == 0.7 and f1.passed and "0.700" in f1.message


def test_errored_cases_count_as_zero_in_means_by_default(run: EvalRun) -> None:
    f1 = gate(run, minimums={"f1": 0.7}).checks[0]
    assert f1.actual == pytest.approx(statistics.fmean([0.8, 0.6, 0.7, 0.0]))
    assert not f1.passed and "1 errored, counted as 0" in f1.message


def test_a_candidate_that_errors_on_most_cases_fails() -> None:
    ids = [f"c{i}" for i in range(10)]
    baseline = make_run("base", [result(cid, 0.6, 0.6) for cid in ids])
    flaky = make_run(
        "flaky",
        [result(cid, 0.9, 0.9) for cid in ids[:3]]
        + [result(cid, None, error="backend_unavailable: timeout") for cid in ids[3:]],
    )
    outcome = gate(flaky, minimums={"f1": 0.5}, baseline=baseline, max_regression=0.02)
    assert not outcome.passed
    assert [c.passed for c in outcome.checks] == [False, False, False]
    # Leaving errors out (the old behaviour, now opt-in) would have passed it on 3 answers.
    lenient = gate(
        flaky, minimums={"f1": 0.5}, baseline=baseline, max_regression=0.02,
        errors_as_failures=False,
    )  # fmt: skip
    assert lenient.checks[0].passed


def test_an_errored_case_counts_only_on_the_metrics_it_would_have_had() -> None:
    errored = CaseResult(
        case_id="x", tags=(), messages=[], output=None, error="boom",
        details={"f1": {"error": "not scored: boom"}},
    )  # fmt: skip
    run = make_run("r", [result("a", 0.8, 1.0), errored])
    f1, judge = gate(run, minimums={"f1": 0.1, "judge": 0.1}).checks
    assert f1.actual == pytest.approx(0.4) and judge.actual == pytest.approx(1.0)


def test_gate_fails_on_one_missed_minimum_and_still_reports_the_rest(run: EvalRun) -> None:
    outcome = gate(run, minimums={"f1": 0.75, "judge": 0.5})
    assert not outcome.passed
    assert [c.passed for c in outcome.checks] == [False, True]
    assert [c.name for c in outcome.failed] == ["f1 >= 0.75"]


def test_a_mean_equal_to_the_minimum_passes_despite_float_rounding() -> None:
    run = make_run("r", [result("a", 0.1), result("b", 0.2), result("c", 0.3)])
    assert run.mean("f1") < 0.2  # 0.19999999999999998: the float mean rounds below
    assert gate(run, minimums={"f1": 0.2}).passed


def test_unknown_metric_is_an_error_listing_the_runs_metrics(run: EvalRun) -> None:
    with pytest.raises(InvalidRequest, match="bleu") as info:
        gate(run, minimums={"bleu": 0.5})
    assert "f1, judge" in info.value.message


def test_a_metric_without_scores_fails_its_minimum() -> None:
    run = make_run("r", [result("a", 0.9)])  # no case has a judge score
    check = gate(run, minimums={"judge": 0.1}).checks[0]
    assert not check.passed and "no case has a judge score" in check.message


def paired(run_id: str, f1: list[float], *, extra: dict[str, float] | None = None) -> EvalRun:
    results = [result(f"case-{i:02d}", v, 1.0) for i, v in enumerate(f1)]
    results += [result(cid, v, 1.0) for cid, v in (extra or {}).items()]
    return make_run(run_id, results)


def test_regression_is_measured_on_paired_cases_with_a_bootstrap_interval() -> None:
    base = paired("old", [0.8] * 10, extra={"retired-case": 0.0})  # unpaired: must not count
    worse = paired("new", [0.7] * 10)  # every case 0.1 lower: the interval is [-0.1, -0.1]
    outcome = gate(worse, minimums={}, baseline=base, max_regression=0.05)
    checks = {c.name: c for c in outcome.checks}
    f1 = checks["f1 regression <= 0.05"]
    assert f1.actual == pytest.approx(0.1) and not f1.passed and not outcome.passed
    assert f1.details["pairs"] == 10
    assert f1.details["ci_high"] == pytest.approx(-0.1)
    assert "interval [-0.100, -0.100]" in f1.message
    assert checks["judge regression <= 0.05"].passed
    assert gate(worse, minimums={}, baseline=base, max_regression=0.11).passed


def test_a_noisy_drop_whose_interval_reaches_the_allowed_drop_is_not_a_regression() -> None:
    base = paired("old", [0.5] * 12)
    # mean drop 0.05 > 0.02 allowed, but the cases disagree: the 95% interval reaches above -0.02
    noisy = paired("new", [0.9, 0.1, 0.9, 0.1, 0.6, 0.3, 0.8, 0.2, 0.5, 0.4, 0.6, 0.0])
    f1 = gate(noisy, minimums={}, baseline=base, max_regression=0.02).checks[0]
    assert f1.actual == pytest.approx(0.05)
    assert f1.details["ci_low"] < -0.02 < f1.details["ci_high"]
    assert f1.passed  # not shown to be worse by more than 0.02
    strict = gate(noisy, minimums={}, baseline=base, max_regression=0.02, strict=True)
    assert not strict.passed  # nor shown to be at most 0.02 worse


def test_fewer_than_five_pairs_never_pass_a_regression_check() -> None:
    base = paired("old", [0.5] * 4)
    better = paired("new", [0.9] * 4)
    check = gate(better, minimums={}, baseline=base, max_regression=0.5).checks[0]
    assert not check.passed and "at least 5 are needed" in check.message


def test_an_improvement_is_never_a_regression() -> None:
    base = paired("old", [0.1] * 8)
    better = paired("new", [0.2, 0.3, 0.4, 0.2, 0.3, 0.9, 0.5, 0.2])
    outcome = gate(better, minimums={}, baseline=base, max_regression=0.0, strict=True)
    assert outcome.passed and all(c.actual <= 0 for c in outcome.checks)


def test_a_baseline_on_another_version_of_the_suite_is_refused() -> None:
    base = replace(paired("old", [0.5] * 6), suite_hash="c" * 64)
    with pytest.raises(InvalidRequest, match="different suites"):
        gate(paired("new", [0.5] * 6), minimums={}, baseline=base, max_regression=0.1)


def test_baseline_and_max_regression_come_together(run: EvalRun) -> None:
    with pytest.raises(InvalidRequest, match="max-regression"):
        gate(run, minimums={}, baseline=run, max_regression=None)
    with pytest.raises(InvalidRequest, match="baseline"):
        gate(run, minimums={}, baseline=None, max_regression=0.1)


def test_a_gate_with_nothing_to_check_is_an_error(run: EvalRun) -> None:
    with pytest.raises(InvalidRequest, match="nothing to check"):
        gate(run, minimums={})


def test_error_rate_check(run: EvalRun) -> None:
    allowed = gate(run, minimums={}, max_error_rate=0.25).checks[0]
    assert allowed.passed and allowed.actual == pytest.approx(1 / 4)
    strict = gate(run, minimums={}, max_error_rate=0.1)
    assert not strict.passed and "1 of 4 case(s) errored" in strict.checks[0].message
    assert not gate(make_run("empty", []), minimums={}, max_error_rate=1.0).passed


def test_tags_limit_every_check_to_their_cases(run: EvalRun) -> None:
    night = gate(run, minimums={"f1": 0.7}, max_error_rate=0.0, tags=["야경"])
    assert night.checks[0].actual == pytest.approx(statistics.fmean([0.8, 0.6]))
    assert night.passed  # the errored 쇼핑 case is outside the tag
    shopping = gate(run, minimums={}, max_error_rate=0.0, tags=["쇼핑"])
    assert not shopping.passed and shopping.checks[0].actual == pytest.approx(0.5)
    with pytest.raises(InvalidRequest, match="공원, 쇼핑, 야경"):
        gate(run, minimums={"f1": 0.1}, tags=["맛집"])


def test_gate_result_as_dict_is_json_ready() -> None:
    run = make_run("r", [result("a", 0.9)])
    data = gate(run, minimums={"judge": 0.5, "f1": 0.5}).as_dict()
    assert data["passed"] is False
    assert data["checks"][0]["actual"] is None  # NaN mean of an unscored metric
    assert data["checks"][1] == {
        "name": "f1 >= 0.5",
        "actual": 0.9,
        "required": 0.5,
        "passed": True,
        "message": data["checks"][1]["message"],
        "details": {},
    }
    assert data["settings"]["errors_as_failures"] is True
    assert data["settings"]["rule"] == "upper bound < -max_regression"


def test_a_metric_that_scores_none_of_the_cases_in_either_run_is_not_a_regression_check() -> None:
    # judge is a metric of both runs but scores none of these cases (like asks_back on the
    # held-out questions): no check, rather than an "only 0 pairs" failure.
    base = make_run("old", [result(f"case-{i:02d}", 0.5) for i in range(6)])
    new = make_run("new", [result(f"case-{i:02d}", 0.6) for i in range(6)])
    outcome = gate(new, minimums={}, baseline=base, max_regression=0.05)
    assert [c.name for c in outcome.checks] == ["f1 regression <= 0.05"]
    assert outcome.passed
    # one run having the metric while the other lacks it is still undecidable, so it fails
    half = make_run("half", [result(f"case-{i:02d}", 0.6, 1.0) for i in range(6)])
    assert not gate(half, minimums={}, baseline=base, max_regression=0.05).passed
