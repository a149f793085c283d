"""The built-in evaluation metrics, registered through the same hook a third-party package would
use.

The metric classes live in :mod:`tuneloop.evaluate.metrics` (one module per family) and are
imported only when a metric is built, so loading the plugin manager stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.evaluate.metrics import Metric, MetricContext, MetricFactory

# name → (module in tuneloop.evaluate.metrics, class with a ``from_params`` factory)
BUILTIN_METRICS: dict[str, tuple[str, str]] = {
    "exact_match": ("accuracy", "ExactMatch"),
    "token_f1": ("accuracy", "TokenF1"),
    "rouge_l": ("accuracy", "RougeL"),
    "chrf": ("accuracy", "Chrf"),
    "embedding_similarity": ("embedding", "EmbeddingSimilarity"),
    "contains": ("assertions", "Contains"),
    "not_contains": ("assertions", "NotContains"),
    "regex": ("assertions", "Regex"),
    "json_schema": ("assertions", "JsonSchema"),
    "max_length": ("assertions", "MaxLength"),
    "language": ("assertions", "Language"),
    "perplexity": ("perplexity", "Perplexity"),
    "spacing": ("fluency", "Spacing"),
    "repetition": ("fluency", "Repetition"),
    "language_match": ("dialogue", "LanguageMatch"),
    "asks_back": ("dialogue", "AsksBack"),
    "refusal": ("dialogue", "Refusal"),
    "redirects": ("dialogue", "Redirects"),
    "fact_recall": ("facts", "FactRecall"),
    "answer_relevance": ("relevance", "AnswerRelevance"),
    "context_relevance": ("relevance", "ContextRelevance"),
    "grounding": ("relevance", "Grounding"),
    "faithfulness": ("grounding", "Faithfulness"),
    "context_recall": ("grounding", "ContextRecall"),
    "llm_judge": ("judge", "LlmJudge"),
    "equals": ("matching", "Equals"),
    "not_equals": ("matching", "NotEquals"),
    "includes": ("matching", "Includes"),
    "starts_with": ("matching", "StartsWith"),
    "fuzzy_contains": ("matching", "FuzzyContains"),
    "json_match": ("matching", "JsonMatch"),
    "fuzzy_match": ("matching", "FuzzyMatch"),
    "key_terms": ("agreement", "KeyTerms"),
    "answer_similarity": ("agreement", "AnswerSimilarity"),
    "same_format": ("agreement", "SameFormat"),
    "length_ratio": ("agreement", "LengthRatio"),
    "same_language": ("agreement", "SameLanguage"),
}


def _factory(module: str, cls: str) -> MetricFactory:
    def build(params: Mapping[str, Any], context: MetricContext) -> Metric:
        found = getattr(importlib.import_module(f"tuneloop.evaluate.metrics.{module}"), cls)
        metric: Metric = found.from_params(params, context)
        return metric

    return build


@hookimpl
def register_metrics(register: Callable[[str, MetricFactory], None]) -> None:
    for name, (module, cls) in BUILTIN_METRICS.items():
        register(name, _factory(module, cls))
