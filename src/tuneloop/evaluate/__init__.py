"""Evaluation: score a model's answers on suites of cases, compare runs and gate promotions.

:mod:`tuneloop.evaluate.metrics` holds the metric seam and the built-in metrics (accuracy,
fluency, relevance, assertions, LLM judge); suites, the runner and reports build on it.
"""
