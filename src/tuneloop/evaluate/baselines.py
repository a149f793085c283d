"""Trivial baselines beside every evaluation: ``echo`` (answer = the question) and ``retrieve``
(answer = the best-matching passage of the project's documents).

Why: a metric is only evidence if a trivial answer cannot earn it. Restating the question scored
token-F1 19.8 on the Seoul held-out questions — above the fine-tuned model's 17.4 — so a number
shown without these two beside it can mislead. ``tuneloop eval run --baseline echo --baseline
retrieve`` runs them through the same runner, cache and metrics as the model, stores each as its
own run linked to the model's run, and every report and comparison shows them next to the model.

Links live in run ``meta``: the model's run has ``baselines: {name: run_id}``, each baseline run
``baseline: name`` and ``baseline_of: model_run_id``. A baseline run is never a gate candidate
(:func:`ensure_candidate`): it describes the suite, not a model anyone would promote.

Each arm's mean comes with a bootstrap interval of the mean over its scored cases
(:func:`tuneloop.evaluate.bootstrap.paired_bootstrap` applied to the scores themselves).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.bootstrap import paired_bootstrap
from tuneloop.store.eval_results import EvalRun

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.evaluate.suite import Suite
    from tuneloop.models.base import ChatModel
    from tuneloop.registry import Store

__all__ = [
    "BASELINES",
    "Arm",
    "Interval",
    "SideBySide",
    "baseline_model",
    "ensure_candidate",
    "is_baseline",
    "link_runs",
    "linked_baselines",
    "mean_interval",
    "model_and_baselines",
    "runs_and_baselines",
    "side_by_side",
]

BASELINES: dict[str, str] = {
    "echo": "answers with the question itself (the last user message)",
    "retrieve": "answers with the best-matching passage of the project's documents (BM25)",
}
Role = Literal["model", "baseline", "a", "b"]


def _check(name: str) -> None:
    if name not in BASELINES:
        raise InvalidRequest(
            f"Unknown baseline {name!r}.",
            hint=f"Use one of: {', '.join(BASELINES)} (repeat --baseline for several).",
            param="baseline",
        )


def baseline_model(name: str, suite: Suite, settings: Settings) -> ChatModel:
    """The baseline ``name`` as a ChatModel, built by its registered backend.

    ``retrieve`` searches the suite's ``documents`` (relative to the suite file) when it names
    any, else the project's ``[knowledge] documents``; with neither it raises
    :class:`~tuneloop.errors.ConfigError` saying where to add them.
    """
    from tuneloop.models.catalog import ModelSpec, backends

    _check(name)
    config: dict[str, Any] = {}
    if name == "retrieve" and suite.documents:
        base = suite.path.parent if suite.path is not None else None
        config = {
            "documents": list(suite.documents),
            "base": str(base) if base is not None else None,
            "where": f"{suite.path or 'suite'}: documents",
        }
    spec = ModelSpec(name, name, config, BASELINES[name], "builtin")
    return backends()[spec.backend](spec, settings)


def link_runs(main: EvalRun, baselines: Mapping[str, EvalRun]) -> tuple[EvalRun, list[EvalRun]]:
    """``main`` and each baseline run with the links in ``meta`` (see the module docstring)."""
    linked = [
        replace(run, meta={**run.meta, "baseline": name, "baseline_of": main.id})
        for name, run in baselines.items()
    ]
    ids = {**main.meta.get("baselines", {}), **{n: r.id for n, r in baselines.items()}}
    return replace(main, meta={**main.meta, "baselines": ids}), linked


def is_baseline(run: EvalRun) -> bool:
    """The run is a trivial baseline's (``eval run --baseline``), not a model's."""
    return bool(run.meta.get("baseline_of") or run.meta.get("baseline"))


def ensure_candidate(run: EvalRun) -> None:
    """Raise :class:`~tuneloop.errors.InvalidRequest` for a baseline run: never a gate candidate."""
    if is_baseline(run):
        of = run.meta.get("baseline_of")
        raise InvalidRequest(
            f"Run {run.id} is the {run.meta.get('baseline', 'trivial')} baseline"
            + (f" of run {of}" if of else "")
            + "; a baseline is never a candidate for a gate.",
            hint=f"Gate the model's run{f' {of}' if of else ''} instead.",
            param="run",
        )


def linked_baselines(store: Store, run: EvalRun) -> tuple[dict[str, EvalRun], list[str]]:
    """The baseline runs linked to ``run`` by name, and a note per link that no longer loads."""
    from tuneloop.errors import NotFound

    found: dict[str, EvalRun] = {}
    missing: list[str] = []
    for name, run_id in dict(run.meta.get("baselines") or {}).items():
        try:
            found[str(name)] = store.eval_runs.get(str(run_id))
        except NotFound:
            missing.append(f"baseline {name} run {run_id} is not in the store")
    return found, missing


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` scored cases with its bootstrap interval (NaN when ``n == 0``)."""

    n: int
    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in vars(self).items()
        }


def mean_interval(
    values: Sequence[float], *, resamples: int = 10_000, seed: int = 0, confidence: float = 0.95
) -> Interval:
    """The mean of ``values`` and its percentile bootstrap interval (cases resampled)."""
    result = paired_bootstrap(values, resamples=resamples, seed=seed, confidence=confidence)
    return Interval(result.n, result.mean, result.low, result.high)


@dataclass(frozen=True)
class Arm:
    """One column of the side-by-side table: a model's (or baseline's) run and its cells."""

    label: str
    role: Role
    run_id: str
    model: str
    cells: dict[str, Interval]


@dataclass(frozen=True)
class SideBySide:
    """Every metric's mean and interval for the model and each baseline, same cases and metrics."""

    metrics: tuple[str, ...]
    arms: tuple[Arm, ...]
    confidence: float
    resamples: int
    seed: int
    notes: tuple[str, ...] = ()

    @property
    def has_baselines(self) -> bool:
        return any(arm.role == "baseline" for arm in self.arms)

    def as_dict(self) -> dict[str, Any]:
        return {
            "metrics": list(self.metrics),
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
            "notes": list(self.notes),
            "arms": [
                {
                    "label": a.label,
                    "role": a.role,
                    "run": a.run_id,
                    "model": a.model,
                    "metrics": {m: c.as_dict() for m, c in a.cells.items()},
                }
                for a in self.arms
            ],
        }


def side_by_side(
    arms: Sequence[tuple[str, Role, EvalRun]],
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    notes: Sequence[str] = (),
) -> SideBySide:
    """The table for ``arms`` (label, role, run): by default the first arm's metrics, in order.

    A metric an arm lacks gets an empty cell (``n == 0``); every bootstrap uses ``seed``.
    """
    if not arms:
        raise InvalidRequest("side_by_side needs at least one run.")
    chosen = list(metrics) if metrics is not None else list(arms[0][2].metrics)
    built = tuple(
        Arm(
            label=label,
            role=role,
            run_id=run.id,
            model=run.model,
            cells={
                m: mean_interval(
                    run.scores(m), resamples=resamples, seed=seed, confidence=confidence
                )
                for m in chosen
            },
        )
        for label, role, run in arms
    )
    return SideBySide(tuple(chosen), built, confidence, resamples, seed, tuple(notes))


def runs_and_baselines(
    a: EvalRun, b: EvalRun, baselines: Mapping[str, EvalRun], **options: Any
) -> SideBySide:
    """:func:`side_by_side` of the two runs of a comparison (A, B) and the baselines linked to
    them, on the metrics both runs share (the columns of ``eval compare``)."""
    shared = [m for m in a.metrics if m in b.metrics]
    arms: list[tuple[str, Role, EvalRun]] = [(f"A: {a.model}", "a", a), (f"B: {b.model}", "b", b)]
    arms += [(name, "baseline", run) for name, run in baselines.items()]
    return side_by_side(arms, metrics=options.pop("metrics", None) or shared, **options)


def model_and_baselines(
    run: EvalRun, baselines: Mapping[str, EvalRun], **options: Any
) -> SideBySide:
    """:func:`side_by_side` of a model's run and its baseline runs (model first)."""
    arms: list[tuple[str, Role, EvalRun]] = [(run.model, "model", run)]
    arms += [(name, "baseline", b) for name, b in baselines.items()]
    return side_by_side(arms, **options)
