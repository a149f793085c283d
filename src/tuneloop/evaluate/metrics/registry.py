"""Metrics by name: suites say ``token_f1`` or ``llm_judge`` and the registry builds the metric.

Metrics come from plugins (hook ``register_metrics``); the built-ins are the default plugin
:mod:`tuneloop.default_plugins.metrics`, so a third-party metric is registered, listed and built
exactly like ``exact_match``; one of the same name replaces the built-in
(:func:`tuneloop.plugins.collect` decides precedence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics.base import EvalCase, Metric, MetricContext, MetricFactory, Score

__all__ = ["build_metric", "metric_factories", "metric_names", "score_all"]


def metric_factories() -> dict[str, MetricFactory]:
    """Every registered metric factory, by name."""
    from tuneloop.plugins import collect

    factories: dict[str, MetricFactory] = collect("register_metrics")
    return factories


def metric_names() -> list[str]:
    """The registered metric names, sorted."""
    return sorted(metric_factories())


def build_metric(
    name: str, params: Mapping[str, Any] | None = None, context: MetricContext | None = None
) -> Metric:
    """The metric registered as ``name``, built with the suite's ``params``.

    An unknown name raises :class:`~tuneloop.errors.InvalidRequest` listing the known names; bad
    parameters raise it naming the metric and the parameter.
    """
    factories = metric_factories()
    factory = factories.get(name)
    if factory is None:
        raise InvalidRequest(
            f"Unknown metric `{name}` (known: {', '.join(sorted(factories)) or 'none'}).",
            hint="Fix the metric name in the suite, or install the plugin that provides it.",
            param="metric",
        )
    return factory(params or {}, context or MetricContext())


def score_all(metric: Metric, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]:
    """Score ``outputs[i]`` for ``cases[i]``, through ``score_batch`` when the metric has one
    (embeddings and perplexity are much faster batched)."""
    if len(cases) != len(outputs):
        raise ValueError(f"score_all: {len(cases)} cases but {len(outputs)} outputs")
    batch = getattr(metric, "score_batch", None)
    if batch is None:
        return [metric.score(case, output) for case, output in zip(cases, outputs, strict=True)]
    scores = list(batch(cases, outputs))
    if len(scores) != len(cases):
        raise ValueError(
            f"metric `{metric.name}` returned {len(scores)} scores for {len(cases)} outputs"
        )
    return scores
