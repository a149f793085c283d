"""Evaluation metrics: the seam (cases, scores, the Metric protocol) and the registry by name.

Built-in metrics, registered by :mod:`tuneloop.default_plugins.metrics`:

* accuracy (against reference answers): ``exact_match``, ``token_f1``, ``rouge_l``, ``chrf``,
  ``embedding_similarity``; against the case's key facts: ``fact_recall``;
* assertions (``passed`` set): ``contains``, ``not_contains``, ``regex``, ``json_schema``,
  ``max_length``, ``language``;
* fluency: ``perplexity``, ``spacing``, ``repetition``;
* behaviour (rule classifiers with calibration sets): ``asks_back``, ``refusal`` (alias
  ``redirects``), ``language_match``;
* relevance: ``answer_relevance``, ``context_relevance``, ``grounding``;
* judge: ``llm_judge``;
* agreement with another model's answer (the references, e.g. a golden suite): ``key_terms``,
  ``answer_similarity``, ``same_format``, ``length_ratio``, ``same_language``.

Each lives in the module of its family (``accuracy``, ``assertions`` …), imported only when a
metric of that family is built.
"""

from tuneloop.evaluate.metrics.base import (
    BatchMetric,
    Category,
    EvalCase,
    Metric,
    MetricContext,
    MetricFactory,
    Params,
    Score,
)
from tuneloop.evaluate.metrics.registry import (
    build_metric,
    metric_factories,
    metric_names,
    score_all,
)

__all__ = [
    "BatchMetric",
    "Category",
    "EvalCase",
    "Metric",
    "MetricContext",
    "MetricFactory",
    "Params",
    "Score",
    "build_metric",
    "metric_factories",
    "metric_names",
    "score_all",
]
