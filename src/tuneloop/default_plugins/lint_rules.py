"""Registers the built-in prompt lint rules (``vague-request``, ``pii-in-template``, …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.prompts.lint import LintRule


@hookimpl
def register_lint_rules(register: Callable[[LintRule], None]) -> None:
    from tuneloop.prompts.lint.rules import BUILTIN_RULES  # rules pull in jinja2 and kiwipiepy

    for rule in BUILTIN_RULES:
        register(rule)
