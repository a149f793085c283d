"""Comparing two runs: pairing by case id, paired bootstrap intervals, wins/losses/ties."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.bootstrap import paired_bootstrap
from tuneloop.evaluate.compare import compare_runs
from tuneloop.store.eval_results import CaseResult, EvalRun


def result(
    case_id: str, scores: dict[str, float], *, tags: tuple[str, ...] = (), error: str | None = None
) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        tags=tags,
        messages=[{"role": "user", "content": f"{case_id}: 명동에서 남산타워까지 어떻게 가요?"}],
        output=None if error else "케이블카를 타세요.",
        scores={} if error else scores,
        error=error,
    )


def make_run(
    run_id: str,
    results: list[CaseResult],
    *,
    model: str = "seoul-guide",
    prompt_ref: str | None = "seoul-guide@1",
    metrics: tuple[str, ...] = ("token_f1",),
) -> EvalRun:
    return EvalRun(
        id=run_id,
        suite="seoul-travel",
        suite_hash="a" * 64,
        model=model,
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        metrics=metrics,
        results=tuple(results),
        prompt_ref=prompt_ref,
    )


def synthetic_pair(n: int, *, true_delta: float, seed: int) -> tuple[EvalRun, EvalRun]:
    """B = A + true_delta + symmetric noise, all inside [0, 1] so nothing is clipped."""
    rng = random.Random(seed)
    a, b = [], []
    for i in range(n):
        base = rng.uniform(0.2, 0.6)
        a.append(result(f"q{i}", {"token_f1": base}))
        b.append(result(f"q{i}", {"token_f1": base + true_delta + rng.uniform(-0.15, 0.15)}))
    return make_run("A", a), make_run("B", b, model="seoul-guide-lora")


def test_bootstrap_interval_contains_the_true_delta() -> None:
    hits = 0
    for seed in range(20):
        a, b = synthetic_pair(200, true_delta=0.1, seed=seed)
        d = compare_runs(a, b, resamples=2000, seed=seed).overall[0]
        assert d.ci_low <= d.delta <= d.ci_high
        hits += d.ci_low <= 0.1 <= d.ci_high
    assert hits >= 16  # a 95% interval; 20 draws leave room for one or two misses


def test_bootstrap_interval_narrows_with_more_cases() -> None:
    small = compare_runs(*synthetic_pair(20, true_delta=0.05, seed=1), seed=3).overall[0]
    large = compare_runs(*synthetic_pair(400, true_delta=0.05, seed=1), seed=3).overall[0]
    width_small = small.ci_high - small.ci_low
    width_large = large.ci_high - large.ci_low
    # Standard error shrinks with sqrt(n): sqrt(400 / 20) ≈ 4.5 times narrower.
    assert width_large < width_small / 3
    assert large.significant and large.p_value < 0.01


def test_same_seed_same_interval_and_another_seed_another() -> None:
    a, b = synthetic_pair(50, true_delta=0.02, seed=7)
    first = compare_runs(a, b, seed=11, resamples=1000).overall[0]
    again = compare_runs(a, b, seed=11, resamples=1000).overall[0]
    other = compare_runs(a, b, seed=12, resamples=1000).overall[0]
    assert (first.ci_low, first.ci_high, first.p_value) == (
        again.ci_low,
        again.ci_high,
        again.p_value,
    )
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.delta == other.delta  # the observed delta does not depend on the seed


def test_wins_losses_and_ties_are_counted_per_case() -> None:
    a_scores = {"q1": 0.5, "q2": 0.5, "q3": 0.5, "q4": 0.5, "q5": 0.5}
    b_scores = {"q1": 0.7, "q2": 0.4, "q3": 0.5, "q4": 0.5, "q5": 0.8}  # +.2 −.1 0 0 +.3
    a = make_run("A", [result(k, {"token_f1": v}) for k, v in a_scores.items()])
    b = make_run("B", [result(k, {"token_f1": v}) for k, v in b_scores.items()])
    d = compare_runs(a, b).overall[0]
    assert (d.wins, d.losses, d.ties) == (2, 1, 2)
    assert d.delta == pytest.approx((0.2 - 0.1 + 0.3) / 5)
    assert (d.mean_a, d.mean_b) == (pytest.approx(0.5), pytest.approx(0.58))
    wide = compare_runs(a, b, tie_margin=0.15).overall[0]
    assert (wide.wins, wide.losses, wide.ties) == (2, 0, 3)


def test_cases_in_only_one_run_are_reported_not_dropped_silently() -> None:
    a = make_run("A", [result(c, {"token_f1": 0.5}) for c in ("q1", "q2", "q3", "old-only")])
    b = make_run("B", [result(c, {"token_f1": 0.6}) for c in ("q1", "q2", "q3", "new-1", "new-2")])
    c = compare_runs(a, b)
    assert c.paired == 3
    assert c.only_a == ("old-only",)
    assert c.only_b == ("new-1", "new-2")
    assert c.overall[0].n == 3
    data = c.as_dict()
    assert data["only_b"] == ["new-1", "new-2"]


def test_errored_cases_are_unscored_pairs_not_zeros() -> None:
    a = make_run("A", [result("q1", {"token_f1": 0.4}), result("q2", {"token_f1": 0.9})])
    b = make_run("B", [result("q1", {"token_f1": 0.6}), result("q2", {}, error="timeout")])
    d = compare_runs(a, b).overall[0]
    assert (d.n, d.unscored) == (1, 1)
    assert d.mean_a == pytest.approx(0.4) and d.delta == pytest.approx(0.2)
    assert compare_runs(a, b).b.errors == 1


def test_identical_runs_show_no_difference() -> None:
    a, _ = synthetic_pair(30, true_delta=0.0, seed=2)
    d = compare_runs(a, a).overall[0]
    assert d.delta == 0.0 and d.ties == 30
    assert d.p_value == 1.0 and not d.significant


def test_per_tag_deltas_use_only_that_tags_cases() -> None:
    a = make_run(
        "A",
        [
            result("palace", {"token_f1": 0.2}, tags=("궁궐",)),
            result("palace-2", {"token_f1": 0.4}, tags=("궁궐", "hours")),
            result("subway", {"token_f1": 0.9}, tags=("교통",)),
        ],
    )
    b = make_run(
        "B",
        [
            result("palace", {"token_f1": 0.6}, tags=("궁궐",)),
            result("palace-2", {"token_f1": 0.6}, tags=("궁궐", "hours")),
            result("subway", {"token_f1": 0.7}, tags=("교통",)),
        ],
    )
    c = compare_runs(a, b)
    by_tag = {d.tag: d for d in c.by_tag}
    assert set(by_tag) == {"궁궐", "교통", "hours"}
    assert by_tag["궁궐"].n == 2
    assert by_tag["궁궐"].delta == pytest.approx(((0.6 - 0.2) + (0.6 - 0.4)) / 2)
    assert by_tag["교통"].delta == pytest.approx(-0.2)
    assert (by_tag["교통"].wins, by_tag["교통"].losses) == (0, 1)


def test_metric_choice_defaults_to_shared_metrics_and_rejects_unknown_ones() -> None:
    a = make_run("A", [result("q", {"token_f1": 0.1, "bleu": 0.2})], metrics=("token_f1", "bleu"))
    b = make_run("B", [result("q", {"token_f1": 0.3, "judge": 1.0})], metrics=("token_f1", "judge"))
    c = compare_runs(a, b)
    assert c.metrics == ("token_f1",)
    assert (c.metrics_only_a, c.metrics_only_b) == (("bleu",), ("judge",))
    with pytest.raises(InvalidRequest, match="bleu") as info:
        compare_runs(a, b, metrics=["bleu"])
    assert "token_f1" in str(info.value)


def test_duplicate_case_ids_cannot_be_paired() -> None:
    a = make_run("A", [result("q", {"token_f1": 0.1}), result("q", {"token_f1": 0.2})])
    with pytest.raises(InvalidRequest, match="more than once"):
        compare_runs(a, a)


def test_comparison_says_whether_model_or_prompt_changed() -> None:
    a = make_run("A", [result("q", {"token_f1": 0.1})])
    assert compare_runs(a, make_run("B", [], model="other")).kind == "model"
    assert compare_runs(a, make_run("B", [], prompt_ref="seoul-guide@2")).kind == "prompt"
    both = compare_runs(a, make_run("B", [], model="x", prompt_ref=None))
    assert both.kind == "model+prompt"
    assert compare_runs(a, a).kind == "same"


def test_comparison_json_has_no_nan() -> None:
    a = make_run("A", [result("q", {}, error="boom")])
    data = compare_runs(a, a).as_dict()
    text = json.dumps(data, allow_nan=False)
    assert data["overall"][0]["mean_a"] is None and data["overall"][0]["n"] == 0
    assert '"significant": false' in text


def test_bootstrap_of_nothing_is_nan_and_of_one_pair_is_a_point() -> None:
    empty = paired_bootstrap([])
    assert empty.n == 0 and math.isnan(empty.low) and not empty.significant
    one = paired_bootstrap([0.25], resamples=100)
    assert one.low == one.high == one.mean == 0.25 and one.p_value == 0.0
    with pytest.raises(ValueError):
        paired_bootstrap([0.1], resamples=0)


def test_bootstrap_p_value_is_small_only_for_consistent_differences() -> None:
    rng = random.Random(5)
    noise = [rng.uniform(-0.3, 0.3) for _ in range(100)]
    shifted = [x + 0.2 for x in noise]
    assert paired_bootstrap(shifted, seed=1).p_value < 0.001
    centred = [x - sum(noise) / len(noise) for x in noise]
    assert paired_bootstrap(centred, seed=1).p_value > 0.5


def test_too_few_pairs_are_never_significant() -> None:
    # one pair: every resample is that pair, so the interval has zero width and "excludes 0"
    one = paired_bootstrap([-0.05], resamples=200, seed=1)
    assert one.low == one.high == pytest.approx(-0.05)
    assert not one.significant
    assert not paired_bootstrap([0.4, 0.5, 0.45, 0.5], resamples=500, seed=1).significant
    assert paired_bootstrap([0.4, 0.5, 0.45, 0.5, 0.42], resamples=500, seed=1).significant
