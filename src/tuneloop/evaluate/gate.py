"""The evaluation gate: may this run's model (or prompt) be promoted?

Why a pure function returning every check: CI and ``tuneloop update`` need one yes/no, but a
person needs to see which threshold failed and by how much, so :func:`gate` evaluates all checks
(nothing short-circuits) and the CLI prints each with ✓/✗ and exits non-zero on failure.

**Errored cases count as failures** (``errors_as_failures=True``, the default): a case whose model
call failed scores 0 on every metric it would have been scored on, in means and in pairs. Leaving
them out would let a model that errors on most cases pass on the few it answered.

Checks, each optional:

* **minimums** — ``mean(metric) >= value`` over the run's cases (errored ones as 0);
* **regression** — against a baseline run on *the same suite* (same suite hash, else the gate
  refuses), per metric both runs have, on the cases both runs have (pairing by case id): the
  per-case differences ``run − baseline`` get a paired bootstrap interval
  (:mod:`tuneloop.evaluate.bootstrap`, 95 %, 10,000 resamples, seed 0). The metric **regressed**
  when the interval's upper bound is below ``−max_regression`` — the data show, at 95 %
  confidence, a drop larger than the allowed one. With ``strict`` the check instead needs the
  interval's lower bound at or above ``−max_regression`` (the data show the drop is at most the
  allowed one; small suites then fail more often). Fewer than
  :data:`~tuneloop.evaluate.bootstrap.MIN_PAIRS` pairs never pass: too few to decide either way.
  A metric that scores none of the selected cases in either run (``asks_back`` when only the
  held-out questions are run) is not a check at all;
* **error rate** — ``errored cases / cases <= max_error_rate``.

:func:`record_gate` turns a decision into the stored evidence a protected alias needs
(:class:`~tuneloop.store.gate_results.GateRecord`): candidate and baseline *versions* come from the
runs' resolved model identities, never from what was typed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.bootstrap import MIN_PAIRS, paired_bootstrap
from tuneloop.store.eval_results import CaseResult, EvalRun

if TYPE_CHECKING:
    from tuneloop.registry import Store
    from tuneloop.store.gate_results import GateRecord

__all__ = ["Check", "GateOutcome", "GateResult", "GateSettings", "gate", "record_gate"]

# Means are averages of floats: 0.7 computed as 0.69999999999 must still pass ">= 0.7".
_EPSILON = 1e-9


@dataclass(frozen=True)
class Check:
    """One threshold: ``actual`` against ``required``; ``message`` reads as a sentence.

    ``details`` holds the numbers behind a regression check (pairs, means, interval)."""

    name: str
    actual: float
    required: float
    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if isinstance(self.actual, float) and math.isnan(self.actual):
            data["actual"] = None
        data["details"] = {
            k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in self.details.items()
        }
        return data


@dataclass(frozen=True)
class GateSettings:
    """What the gate was asked to check, stored beside its result."""

    minimums: dict[str, float] = field(default_factory=dict)
    max_regression: float | None = None
    max_error_rate: float | None = None
    tags: tuple[str, ...] = ()
    errors_as_failures: bool = True
    strict: bool = False
    resamples: int = 10_000
    seed: int = 0
    confidence: float = 0.95

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["rule"] = (
            "lower bound >= -max_regression" if self.strict else "upper bound < -max_regression"
        )
        data["min_pairs"] = MIN_PAIRS
        return data


@dataclass(frozen=True)
class GateResult:
    """``passed`` is true only when every check passed."""

    passed: bool
    checks: list[Check]
    settings: GateSettings = field(default_factory=GateSettings)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "checks": [c.as_dict() for c in self.checks],
            "settings": self.settings.as_dict(),
        }


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


def _value(result: CaseResult, metric: str, errors_as_failures: bool) -> float | None:
    """The case's score on ``metric``; 0 for an errored case that would have been scored on it
    (its details name the metric — or name none, in runs stored before they did)."""
    value = result.score(metric)
    if value is not None:
        return value
    errored = errors_as_failures and result.error is not None
    if errored and (metric in result.details or not result.details):
        return 0.0
    return None


def _values(run: EvalRun, metric: str, errors_as_failures: bool) -> dict[str, float]:
    found: dict[str, float] = {}
    for r in run.results:
        value = _value(r, metric, errors_as_failures)
        if value is not None:
            found[r.case_id] = value
    return found


def gate(
    run: EvalRun,
    *,
    minimums: Mapping[str, float],
    baseline: EvalRun | None = None,
    max_regression: float | None = None,
    max_error_rate: float | None = None,
    tags: Sequence[str] = (),
    errors_as_failures: bool = True,
    strict: bool = False,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> GateResult:
    """Check ``run`` against the thresholds; see the module docstring for what each means.

    ``tags`` limits every check to cases carrying any of them (in both runs). Raises
    :class:`~tuneloop.errors.InvalidRequest` for an unknown metric or tag, for ``baseline``
    without ``max_regression`` (or the reverse), for a baseline on another suite version, and
    when there is nothing to check.
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
    if baseline is not None and baseline.suite_hash != run.suite_hash:
        raise InvalidRequest(
            f"Run {run.id} and baseline {baseline.id} are on different suites "
            f"({run.suite} {run.suite_hash[:12]} vs {baseline.suite} {baseline.suite_hash[:12]}); "
            "a gate compares a candidate with its baseline on the same cases.",
            hint="Run both models on the same suite file (same cases, --tag and --limit), "
            "then gate those two runs.",
            param="baseline",
        )
    for metric in minimums:
        if metric not in run.metrics:
            raise _unknown_metric(run, metric, "gated")
    settings = GateSettings(
        minimums=dict(minimums),
        max_regression=max_regression,
        max_error_rate=max_error_rate,
        tags=tuple(tags),
        errors_as_failures=errors_as_failures,
        strict=strict,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )
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
        values = list(_values(run, metric, errors_as_failures).values())
        mean = math.fsum(values) / len(values) if values else math.nan
        ok = not math.isnan(mean) and mean >= minimum - _EPSILON
        errored = sum(1 for r in run.results if r.error is not None and metric not in r.scores)
        counted = f" ({errored} errored, counted as 0)" if errors_as_failures and errored else ""
        checks.append(
            Check(
                name=f"{metric} >= {minimum:g}",
                actual=mean,
                required=minimum,
                passed=ok,
                message=(
                    f"mean {metric} {_fmt(mean)} over {len(values)} case(s){counted}{scope}; "
                    f"needs at least {minimum:g}"
                    if values
                    else f"no case has a {metric} score{scope}, so its minimum cannot be met"
                ),
            )
        )

    if baseline is not None and max_regression is not None:
        checks.extend(_regressions(run, baseline, max_regression, scope, settings))

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
    return GateResult(passed=all(c.passed for c in checks), checks=checks, settings=settings)


def _regressions(
    run: EvalRun, baseline: EvalRun, max_regression: float, scope: str, settings: GateSettings
) -> list[Check]:
    """One check per metric both runs have, on the cases both runs have (see the module doc)."""
    checks = []
    for metric in (m for m in run.metrics if m in baseline.metrics):
        base = _values(baseline, metric, settings.errors_as_failures)
        cand = _values(run, metric, settings.errors_as_failures)
        if not base and not cand:
            continue  # the metric scores none of these cases (e.g. asks_back on --tag heldout)
        pairs = [(base[cid], value) for cid, value in cand.items() if cid in base]
        name = f"{metric} regression <= {max_regression:g}"
        if len(pairs) < MIN_PAIRS:
            checks.append(
                Check(
                    name=name,
                    actual=math.nan,
                    required=max_regression,
                    passed=False,
                    message=(
                        f"only {len(pairs)} case(s) have a {metric} value in both this run and "
                        f"baseline {baseline.id}{scope}; at least {MIN_PAIRS} are needed to "
                        "decide"
                    ),
                    details={"pairs": len(pairs)},
                )
            )
            continue
        boot = paired_bootstrap(
            [c - b for b, c in pairs],
            resamples=settings.resamples,
            seed=settings.seed,
            confidence=settings.confidence,
        )
        base_mean = math.fsum(b for b, _ in pairs) / len(pairs)
        run_mean = math.fsum(c for _, c in pairs) / len(pairs)
        regression = -boot.mean
        if settings.strict:
            passed = boot.low >= -max_regression - _EPSILON
            rule = f"passes when the interval's lower bound is at least {-max_regression:+g}"
        else:
            passed = not boot.high < -max_regression - _EPSILON
            rule = f"a regression is an interval entirely below {-max_regression:+g}"
        checks.append(
            Check(
                name=name,
                actual=regression,
                required=max_regression,
                passed=passed,
                message=(
                    f"{metric} {_fmt(run_mean)} vs baseline {baseline.id} {_fmt(base_mean)} "
                    f"on {len(pairs)} paired case(s){scope}: Δ {boot.mean:+.3f}, "
                    f"{settings.confidence:.0%} interval [{boot.low:+.3f}, {boot.high:+.3f}]; "
                    f"{rule}"
                ),
                details={
                    "pairs": len(pairs),
                    "baseline_mean": base_mean,
                    "mean": run_mean,
                    "delta": boot.mean,
                    "ci_low": boot.low,
                    "ci_high": boot.high,
                    "p_value": boot.p_value,
                },
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


# ------------------------------------------------------------------------------ stored evidence


@dataclass(frozen=True)
class GateOutcome:
    """What :func:`record_gate` did: the stored record, or why nothing was stored; ``notes`` are
    things the user should know (a baseline that is not the alias's current version)."""

    record: GateRecord | None
    reason: str | None = None
    notes: tuple[str, ...] = ()


def _identity(run: EvalRun, role: str) -> tuple[dict[str, Any] | None, str | None]:
    identity = run.identity
    if identity is None or not identity.get("version_ref"):
        return None, (
            f"the {role} run {run.id} did not record which model version it evaluated "
            "(it was made before tuneloop resolved models, or from a bare model); "
            f"re-run it with `tuneloop eval run SUITE --model {run.model}`"
        )
    return identity, None


def record_gate(
    store: Store,
    run: EvalRun,
    baseline: EvalRun | None,
    result: GateResult,
    *,
    alias: str,
    by: str,
) -> GateOutcome:
    """Store ``result`` as the evidence for moving ``name@alias`` to the run's version.

    Stores nothing (and says why) when there is no baseline run, when either run lacks a resolved
    model identity, or when the candidate is not a version in the model registry — a decision
    about a built-in or an ad-hoc model can gate nothing.
    """
    from tuneloop.store.gate_results import GateRecord

    if baseline is None:
        return GateOutcome(
            None,
            "a gate result is evidence about a candidate against a baseline; add "
            "--baseline RUN (the run of the alias's current version) --max-regression F",
        )
    candidate, why = _identity(run, "candidate")
    if candidate is None:
        return GateOutcome(None, why)
    base, why = _identity(baseline, "baseline")
    if base is None:
        return GateOutcome(None, why)
    version = candidate.get("version")
    name = str(candidate.get("name") or "")
    if not isinstance(version, int) or not name:
        return GateOutcome(
            None,
            f"{run.model_label} is not a registered model version (a {candidate.get('source')} "
            "model); only versions in the model registry (`tuneloop models list`) can be promoted",
        )
    registered = store.models.resolve(str(candidate["version_ref"]))
    if registered is None or registered.name != name or registered.version != version:
        return GateOutcome(
            None, f"{candidate['version_ref']} is not in this project's model registry"
        )
    same_model = base.get("name") == name and isinstance(base.get("version"), int)
    baseline_version = int(base["version"]) if same_model else None
    notes: list[str] = []
    pointed = store.models.resolve(f"{name}@{alias}")
    current = pointed.version if pointed is not None else None
    if current is not None and current != baseline_version:
        notes.append(
            f"{name}@{alias} points at version {current}, but this gate compared against "
            f"{base['version_ref']}: promoting to {alias} needs a gate against "
            f"{name}@{current}"
        )
    record = store.gate_results.save(
        GateRecord(
            model_name=name,
            candidate_version=version,
            candidate_hash=run.model_hash,
            baseline_model=str(base["version_ref"]),
            baseline_version=baseline_version,
            alias=alias,
            suite=run.suite,
            suite_hash=run.suite_hash,
            candidate_run_id=run.id,
            baseline_run_id=baseline.id,
            passed=result.passed,
            checks=[c.as_dict() for c in result.checks],
            settings=result.settings.as_dict(),
            by=by,
        )
    )
    return GateOutcome(record, None, tuple(notes))
