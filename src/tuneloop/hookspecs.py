"""Plugin hooks: how backends (and, later, trainers, metrics, post-processors, PII recognizers)
get into tuneloop.

Why pluggy and entry points (as in simonw/llm): a third-party package adds a backend by declaring an
entry point in group ``tuneloop`` and implementing a hook — no change to tuneloop. The built-ins in
:mod:`tuneloop.default_plugins` use the very same hooks, so the seam is exercised every day.

Precedence is one rule for every hook, applied by :func:`tuneloop.plugins.collect`: a third-party
plugin that registers a name the built-ins use replaces the built-in (``tryfirst``/``trylast``
marks change nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from tuneloop.data.ingest import Reader
    from tuneloop.evaluate.metrics import MetricFactory
    from tuneloop.models.catalog import BackendFactory, ModelSpec
    from tuneloop.prompts.fewshot import SelectorFactory
    from tuneloop.prompts.lint import LintRule
    from tuneloop.safety.pii import PiiRecognizer
    from tuneloop.train.registry import TrainerFactory

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("tuneloop")
hookimpl = pluggy.HookimplMarker("tuneloop")


@hookspec
def register_backends(register: Callable[[str, BackendFactory], None]) -> None:
    """Call ``register(name, factory)`` for each chat backend this plugin provides.

    ``factory(spec, settings)`` returns a :class:`tuneloop.models.base.ChatModel`.
    """


@hookspec
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Call ``register(spec)`` for each model this plugin knows by name (built-in aliases)."""


@hookspec
def register_example_selectors(register: Callable[[str, SelectorFactory], None]) -> None:
    """Call ``register(name, factory)`` for each few-shot example selector this plugin provides.

    ``factory(examples)`` returns a :class:`tuneloop.prompts.fewshot.ExampleSelector`; prompts
    pick one by name in ``examples_from.selector``.
    """


@hookspec
def register_lint_rules(register: Callable[[LintRule], None]) -> None:
    """Call ``register(rule)`` for each prompt lint rule (:class:`tuneloop.prompts.lint.LintRule`).

    A third-party rule whose ``id`` matches a built-in replaces it.
    """


@hookspec
def register_readers(register: Callable[[Reader], None]) -> None:
    """Call ``register(reader)`` for each input format ``tuneloop data ingest`` can read
    (:class:`tuneloop.data.ingest.Reader`). A third-party reader whose ``name`` matches a
    built-in replaces it.
    """


@hookspec
def register_pii_recognizers(register: Callable[[PiiRecognizer], None]) -> None:
    """Call ``register(recognizer)`` for each PII recognizer
    (:class:`tuneloop.safety.pii.PiiRecognizer`). A third-party recognizer whose ``name``
    matches a built-in replaces it.
    """


@hookspec
def register_metrics(register: Callable[[str, MetricFactory], None]) -> None:
    """Call ``register(name, factory)`` for each evaluation metric
    (:class:`tuneloop.evaluate.metrics.Metric`); suites refer to metrics by ``name``. A third-party
    metric of a built-in's name replaces it.
    """


@hookspec
def register_trainers(register: Callable[[str, TrainerFactory], None]) -> None:
    """Call ``register(name, factory)`` for each fine-tuning backend
    (:class:`tuneloop.train.base.Trainer`); ``tuneloop train --trainer NAME`` and the server's
    fine-tuning API pick them by name.
    """
