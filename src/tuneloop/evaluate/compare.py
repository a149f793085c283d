"""Compare two evaluation runs case by case: prompt A/B, model A/B, before/after a fine-tune.

Why pair by ``case_id``: both runs answered the same questions, so the per-case difference removes
how hard each question is, and a paired bootstrap (:mod:`tuneloop.evaluate.bootstrap`) then says
whether the mean difference is more than noise. Cases that only one run has are listed, never
silently dropped, and cases that errored on either side have no score to pair, so they are counted
per metric as ``unscored``.

Every delta is **B − A**: positive means B is better (all scores are higher-is-better). A "win"
is a case where B beats A by more than ``tie_margin``, a "loss" one where A beats B.

The minimum-pairs rule (:data:`~tuneloop.evaluate.bootstrap.MIN_PAIRS`) holds for every row,
overall and per tag alike: a row with fewer than 5 scored pairs has no interval and no p-value
(``NaN``, ``null`` in JSON) and is never significant — resampling one pair gives an interval of
zero width that "excludes 0" whatever the noise.

What changed between the arms is judged on the *resolved* model where both runs recorded it:
two runs of ``seoul-guide@staging`` made before and after the alias moved differ in ``model``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.bootstrap import MIN_PAIRS, paired_bootstrap
from tuneloop.store.eval_results import CaseResult, EvalRun

__all__ = ["Comparison", "MetricDelta", "RunInfo", "compare_runs"]


@dataclass(frozen=True)
class RunInfo:
    """What identifies one arm: enough to tell a prompt A/B from a model A/B."""

    id: str
    suite: str
    suite_hash: str
    model: str
    prompt_ref: str | None
    cases: int
    errors: int
    model_version: str | None = None
    model_hash: str | None = None
    model_label: str = ""

    @classmethod
    def of(cls, run: EvalRun) -> RunInfo:
        return cls(
            id=run.id,
            suite=run.suite,
            suite_hash=run.suite_hash,
            model=run.model,
            prompt_ref=run.prompt_ref,
            cases=len(run.results),
            errors=run.errors,
            model_version=run.model_version,
            model_hash=run.model_hash,
            model_label=run.model_label,
        )


@dataclass(frozen=True)
class MetricDelta:
    """One metric on one slice of the paired cases (``tag`` None = all of them).

    ``n`` pairs have a score on both sides; ``unscored`` pairs lack one (an error, a skipped
    metric). Means are over the ``n`` scored pairs, so ``delta == mean_b - mean_a``. With fewer
    than :data:`MIN_PAIRS` pairs the interval and p-value are NaN (see the module docstring).
    """

    metric: str
    tag: str | None
    n: int
    unscored: int
    mean_a: float
    mean_b: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    wins: int
    losses: int
    ties: int

    @property
    def enough_pairs(self) -> bool:
        """At least :data:`MIN_PAIRS` scored pairs: enough for an interval to mean something."""
        return self.n >= MIN_PAIRS

    @property
    def significant(self) -> bool:
        """The confidence interval of the delta excludes zero, on enough pairs."""
        return self.enough_pairs and (self.ci_low > 0.0 or self.ci_high < 0.0)

    def as_dict(self) -> dict[str, Any]:
        data = {k: _json_number(v) for k, v in asdict(self).items()}
        data["significant"] = self.significant
        data["enough_pairs"] = self.enough_pairs
        return data


@dataclass(frozen=True)
class Comparison:
    """The whole comparison: both runs, the pairing, and the deltas overall and per tag."""

    a: RunInfo
    b: RunInfo
    metrics: tuple[str, ...]
    paired: int
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    overall: tuple[MetricDelta, ...]
    by_tag: tuple[MetricDelta, ...]
    resamples: int
    seed: int
    confidence: float
    tie_margin: float
    metrics_only_a: tuple[str, ...] = ()
    metrics_only_b: tuple[str, ...] = ()
    differs: tuple[str, ...] = field(default=())

    @property
    def kind(self) -> str:
        """``"model"``, ``"prompt"``, ``"model+prompt"`` or ``"same"``: what changed from A to B."""
        changed = [d for d in ("model", "prompt_ref") if d in self.differs]
        if not changed:
            return "same"
        return "+".join("prompt" if d == "prompt_ref" else d for d in changed)

    def tags(self) -> list[str]:
        return sorted({d.tag for d in self.by_tag if d.tag is not None})

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": asdict(self.a),
            "b": asdict(self.b),
            "kind": self.kind,
            "differs": list(self.differs),
            "metrics": list(self.metrics),
            "metrics_only_a": list(self.metrics_only_a),
            "metrics_only_b": list(self.metrics_only_b),
            "paired": self.paired,
            "only_a": list(self.only_a),
            "only_b": list(self.only_b),
            "resamples": self.resamples,
            "seed": self.seed,
            "confidence": self.confidence,
            "tie_margin": self.tie_margin,
            "overall": [d.as_dict() for d in self.overall],
            "by_tag": [d.as_dict() for d in self.by_tag],
        }


def _json_number(value: Any) -> Any:
    """NaN is not JSON: an undefined mean becomes ``null``."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _index(run: EvalRun, label: str) -> dict[str, CaseResult]:
    counts = Counter(r.case_id for r in run.results)
    duplicated = sorted(case_id for case_id, count in counts.items() if count > 1)
    if duplicated:
        shown = ", ".join(duplicated[:5]) + (" …" if len(duplicated) > 5 else "")
        raise InvalidRequest(
            f"Run {label} ({run.id}) has {len(duplicated)} case id(s) more than once: {shown}; "
            "cases cannot be paired.",
            hint="Give every case in the suite a unique `id` and run it again.",
        )
    return {r.case_id: r for r in run.results}


def _delta(
    metric: str,
    tag: str | None,
    pairs: Sequence[tuple[CaseResult, CaseResult]],
    *,
    resamples: int,
    seed: int,
    confidence: float,
    tie_margin: float,
) -> MetricDelta:
    scored = [
        (float(ra.scores[metric]), float(rb.scores[metric]))
        for ra, rb in pairs
        if _both(ra, rb, metric)
    ]
    diffs = [b - a for a, b in scored]
    result = paired_bootstrap(diffs, resamples=resamples, seed=seed, confidence=confidence)
    n = len(scored)
    few = n < MIN_PAIRS
    return MetricDelta(
        metric=metric,
        tag=tag,
        n=n,
        unscored=len(pairs) - n,
        mean_a=math.fsum(a for a, _ in scored) / n if n else math.nan,
        mean_b=math.fsum(b for _, b in scored) / n if n else math.nan,
        delta=result.mean,
        ci_low=math.nan if few else result.low,
        ci_high=math.nan if few else result.high,
        p_value=math.nan if few else result.p_value,
        wins=sum(d > tie_margin for d in diffs),
        losses=sum(d < -tie_margin for d in diffs),
        ties=sum(abs(d) <= tie_margin for d in diffs),
    )


def _both(a: CaseResult, b: CaseResult, metric: str) -> bool:
    return (
        a.error is None
        and b.error is None
        and a.score(metric) is not None
        and b.score(metric) is not None
    )


def _model_identity(a: EvalRun, b: EvalRun) -> tuple[object, object]:
    """What tells the two arms' models apart: the resolved version and hash when both runs have
    them, else the reference as typed."""
    if a.model_version is not None and b.model_version is not None:
        return (a.model_version, a.model_hash), (b.model_version, b.model_hash)
    return a.model, b.model


def compare_runs(
    a: EvalRun,
    b: EvalRun,
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    tie_margin: float = 1e-9,
) -> Comparison:
    """Pair ``a`` and ``b`` by case id and compare every metric, overall and per tag.

    ``metrics`` defaults to the metrics both runs have (in A's order); naming one that either run
    lacks raises :class:`~tuneloop.errors.InvalidRequest` listing the metrics they share. A pair's
    tags are the union of both sides' tags. Each (metric, tag) bootstrap uses ``seed``.
    """
    if resamples < 1:
        raise InvalidRequest(f"--resamples must be at least 1, got {resamples}.")
    if tie_margin < 0:
        raise InvalidRequest(f"--tie-margin must not be negative, got {tie_margin}.")
    shared = [m for m in a.metrics if m in b.metrics]
    if metrics:
        unknown = [m for m in metrics if m not in shared]
        if unknown:
            raise InvalidRequest(
                f"Metric(s) {', '.join(unknown)} not in both runs "
                f"(A {a.id}: {', '.join(a.metrics) or 'none'}; "
                f"B {b.id}: {', '.join(b.metrics) or 'none'}).",
                hint=f"Use one of: {', '.join(shared) or 'no metric is shared'}.",
                param="metric",
            )
        chosen = list(dict.fromkeys(metrics))
    else:
        chosen = shared

    index_a, index_b = _index(a, "A"), _index(b, "B")
    pairs = [(ra, index_b[cid]) for cid, ra in index_a.items() if cid in index_b]
    tags = sorted({t for ra, rb in pairs for t in (*ra.tags, *rb.tags)})
    options: dict[str, Any] = {
        "resamples": resamples,
        "seed": seed,
        "confidence": confidence,
        "tie_margin": tie_margin,
    }
    overall = tuple(_delta(m, None, pairs, **options) for m in chosen)
    by_tag = tuple(
        _delta(
            m, tag, [(ra, rb) for ra, rb in pairs if tag in ra.tags or tag in rb.tags], **options
        )
        for tag in tags
        for m in chosen
    )
    differs = tuple(
        name
        for name, va, vb in (
            ("model", *_model_identity(a, b)),
            ("prompt_ref", a.prompt_ref, b.prompt_ref),
            ("suite", a.suite, b.suite),
            ("suite_hash", a.suite_hash, b.suite_hash),
        )
        if va != vb
    )
    return Comparison(
        a=RunInfo.of(a),
        b=RunInfo.of(b),
        metrics=tuple(chosen),
        paired=len(pairs),
        only_a=tuple(cid for cid in index_a if cid not in index_b),
        only_b=tuple(cid for cid in index_b if cid not in index_a),
        overall=overall,
        by_tag=by_tag,
        metrics_only_a=tuple(m for m in a.metrics if m not in b.metrics),
        metrics_only_b=tuple(m for m in b.metrics if m not in a.metrics),
        differs=differs,
        **options,
    )
