"""Prompt lint: rules that catch vague requests, contradictions, broken examples, undeclared
variables, over-long prompts and personal data before a prompt reaches a model.

Each rule has a stable id (users disable rules by it and scripts match on it), a severity and a
fix hint. Korean rules read Kiwi morphemes, so particles and endings (추천해줘, 추천해 주세요) do
not hide a match. ``lint_prompt`` is the entry point; ``tuneloop prompt lint`` wraps it.
"""

from tuneloop.prompts.lint.base import LintContext, LintIssue, LintRule, Rule, Severity
from tuneloop.prompts.lint.runner import has_errors, lint_prompt, lint_rules

__all__ = [
    "LintContext",
    "LintIssue",
    "LintRule",
    "Rule",
    "Severity",
    "has_errors",
    "lint_prompt",
    "lint_rules",
]
