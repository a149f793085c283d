"""The evaluation gate: may this run's model (or prompt) be promoted?

Why a pure function returning every check: CI and ``tuneloop update`` need one yes/no, but a
person needs to see which threshold failed and by how much, so :func:`gate` evaluates all checks
(nothing short-circuits) and the CLI prints each with ✓/✗ and exits non-zero on failure.

Checks, each optional:

* **minimums** — ``mean(metric) >= value`` over the run's scored cases;
* **regression** — against a baseline run, ``baseline mean − run mean <= max_regression`` on the
  cases both runs scored (pairing by case id, so a changed suite does not fake a regression);
* **error rate** — ``errored cases / cases <= max_error_rate``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.results import EvalRun

__all__ = ["Check", "GateResult", "gate"]

# Means are averages of floats: 0.7 computed as 0.69999999999 must still pass ">= 0.7".
_EPSILON = 1e-9


@dataclass(frozen=True)
class Check:
    """One threshold: ``actual`` against ``required``; ``message`` reads as a sentence."""

    name: str
    actual: float
    required: float
    passed: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if isinstance(self.actual, float) and math.isnan(self.actual):
            data["actual"] = None
        return data


@dataclass(frozen=True)
class GateResult:
    """``passed`` is true only when every check passed."""

    passed: bool
    checks: list[Check]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [c.as_dict() for c in self.checks]}


def _unknown_metric(run: EvalRun, metric: str, role: str) -> InvalidRequest:
    return InvalidRequest(
        f"Metric `{metric}` is not in the {role} run {run.id} "
        f"(its metrics: {', '.join(run.metrics) or 'none'}).",
        hint="Use one of the run's metrics, or run a suite that scores it.",
        param="metric",
    )


def _only_tags(run: EvalRun, tags: Sequence[str]) -> EvalRun:
    known = run.tags()
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise InvalidRequest(
            f"Tag(s) {', '.join(unknown)} match no case of run {run.id} "
            f"(its tags: {', '.join(known) or 'none'}).",
            hint="Check the spelling, or leave out --tag.",
            param="tag",
        )
    wanted = set(tags)
    return replace(run, results=tuple(r for r in run.results if wanted & set(r.tags)))


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def gate(
    run: EvalRun,
    *,
    minimums: Mapping[str, float],
    baseline: EvalRun | None = None,
    max_regression: float | None = None,
    max_error_rate: float | None = None,
    tags: Sequence[str] = (),
) -> GateResult:
    """Check ``run`` against the thresholds; see the module docstring for what each means.

    ``tags`` limits every check to cases carrying any of them (in both runs). Raises
    :class:`~tuneloop.errors.InvalidRequest` for an unknown metric or tag, for ``baseline``
    without ``max_regression`` (or the reverse), and when there is nothing to check.
    """
    if baseline is None and max_regression is not None:
        raise InvalidRequest(
            "--max-regression needs a baseline run.", hint="Add --baseline RUN_ID."
        )
    if baseline is not None and max_regression is None:
        raise InvalidRequest(
            "A baseline run needs --max-regression.",
            hint="Add --max-regression 0.02 to allow means to drop by at most 0.02.",
        )
    if not minimums and baseline is None and max_error_rate is None:
        raise InvalidRequest(
            "The gate has nothing to check.",
            hint=(
                "Add --min METRIC=VALUE, --baseline RUN --max-regression F, or --max-error-rate F."
            ),
        )
    for metric in minimums:
        if metric not in run.metrics:
            raise _unknown_metric(run, metric, "gated")
    if tags:
        run = _only_tags(run, tags)
        if baseline is not None:
            wanted = set(tags)
            baseline = replace(
                baseline, results=tuple(r for r in baseline.results if wanted & set(r.tags))
            )
    scope = f" (tags: {', '.join(tags)})" if tags else ""

    checks: list[Check] = []
    for metric, minimum in minimums.items():
        mean = run.mean(metric)
        ok = not math.isnan(mean) and mean >= minimum - _EPSILON
        scored = len(run.scores(metric))
        checks.append(
            Check(
                name=f"{metric} >= {minimum:g}",
                actual=mean,
                required=minimum,
                passed=ok,
                message=(
                    f"mean {metric} {_fmt(mean)} over {scored} scored case(s){scope}; "
                    f"needs at least {minimum:g}"
                    if scored
                    else f"no case has a {metric} score{scope}, so its minimum cannot be met"
                ),
            )
        )

    if baseline is not None and max_regression is not None:
        checks.extend(_regressions(run, baseline, max_regression, scope))

    if max_error_rate is not None:
        total = len(run.results)
        rate = run.errors / total if total else math.nan
        checks.append(
            Check(
                name=f"error rate <= {max_error_rate:g}",
                actual=rate,
                required=max_error_rate,
                passed=total > 0 and rate <= max_error_rate + _EPSILON,
                message=(
                    f"{run.errors} of {total} case(s) errored{scope} ({_fmt(rate)}); "
                    f"at most {max_error_rate:g} allowed"
                    if total
                    else f"the run has no cases{scope}, so there is nothing to pass"
                ),
            )
        )
    return GateResult(passed=all(c.passed for c in checks), checks=checks)


def _regressions(run: EvalRun, baseline: EvalRun, max_regression: float, scope: str) -> list[Check]:
    """One check per metric both runs have, on the cases both runs scored."""
    by_id = {r.case_id: r for r in baseline.results}
    checks = []
    for metric in (m for m in run.metrics if m in baseline.metrics):
        pairs = [
            (by_id[r.case_id].scores[metric], r.scores[metric])
            for r in run.results
            if metric in r.scores and r.case_id in by_id and metric in by_id[r.case_id].scores
        ]
        name = f"{metric} regression <= {max_regression:g}"
        if not pairs:
            checks.append(
                Check(
                    name=name,
                    actual=math.nan,
                    required=max_regression,
                    passed=False,
                    message=(
                        f"no case has a {metric} score in both this run and baseline "
                        f"{baseline.id}{scope}; cannot compare"
                    ),
                )
            )
            continue
        base_mean = math.fsum(b for b, _ in pairs) / len(pairs)
        run_mean = math.fsum(r for _, r in pairs) / len(pairs)
        regression = base_mean - run_mean
        checks.append(
            Check(
                name=name,
                actual=regression,
                required=max_regression,
                passed=regression <= max_regression + _EPSILON,
                message=(
                    f"{metric} {_fmt(run_mean)} vs baseline {baseline.id} {_fmt(base_mean)} "
                    f"on {len(pairs)} paired case(s){scope}: regression {regression:+.3f}, "
                    f"at most {max_regression:g} allowed"
                ),
            )
        )
    if not checks:
        checks.append(
            Check(
                name=f"regression <= {max_regression:g}",
                actual=math.nan,
                required=max_regression,
                passed=False,
                message=(
                    f"run {run.id} and baseline {baseline.id} share no metric "
                    f"({', '.join(run.metrics) or 'none'} vs "
                    f"{', '.join(baseline.metrics) or 'none'})"
                ),
            )
        )
    return checks
