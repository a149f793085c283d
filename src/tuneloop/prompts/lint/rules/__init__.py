"""The built-in lint rules, registered by :mod:`tuneloop.default_plugins.lint_rules`."""

from __future__ import annotations

from tuneloop.prompts.lint.base import LintRule
from tuneloop.prompts.lint.rules.contradictions import ContradictoryInstructions
from tuneloop.prompts.lint.rules.examples import (
    DuplicateExample,
    EmptyExample,
    ExamplesFormatMismatch,
    InvalidOutputSchema,
)
from tuneloop.prompts.lint.rules.length import ContextTooLong
from tuneloop.prompts.lint.rules.pii import PiiInTemplate
from tuneloop.prompts.lint.rules.requests import MissingSystem, VagueRequest
from tuneloop.prompts.lint.rules.variables import TemplateError, UndefinedVariable, UnusedVariable

__all__ = ["BUILTIN_RULES"]

BUILTIN_RULES: tuple[LintRule, ...] = (
    TemplateError(),
    UndefinedVariable(),
    UnusedVariable(),
    MissingSystem(),
    VagueRequest(),
    ContradictoryInstructions(),
    ExamplesFormatMismatch(),
    InvalidOutputSchema(),
    EmptyExample(),
    DuplicateExample(),
    ContextTooLong(),
    PiiInTemplate(),
)
