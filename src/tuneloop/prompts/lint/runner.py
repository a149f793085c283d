"""Run lint rules over a prompt: the rule registry, rule selection and ordering of findings.

Rules come from plugins through the ``register_lint_rules`` hook, built-ins included
(:mod:`tuneloop.default_plugins.lint_rules`), so a team can add house rules in its own package.
A prompt file may switch rules off for itself with a top-level comment line::

    # tuneloop-lint: disable=vague-request, missing-system
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from tuneloop.errors import PromptError
from tuneloop.plugins import collect
from tuneloop.prompts.lint.base import LintContext, LintIssue, LintRule, Severity
from tuneloop.prompts.template import PromptFile

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel

__all__ = ["has_errors", "lint_prompt", "lint_rules"]

_DISABLE = re.compile(r"^#\s*tuneloop-lint:\s*disable=(?P<ids>.*)$")
_LOCATION = re.compile(r"^(?P<file>.*):(?P<line>\d+):(?P<col>\d+)$")
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def lint_rules() -> dict[str, LintRule]:
    """Every registered rule by id; a later plugin may replace a built-in of the same id."""
    found: dict[str, LintRule] = collect("register_lint_rules", key=lambda rule: rule.id)
    return found


def _check_ids(ids: Iterable[str], known: dict[str, LintRule], where: str) -> None:
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise PromptError(
            f"{where}: unknown lint rule(s) {', '.join(repr(u) for u in unknown)}.",
            hint=f"Known rules: {', '.join(sorted(known))}.",
        )


def _disabled_in_file(prompt: PromptFile, known: dict[str, LintRule]) -> set[str]:
    """Rule ids switched off by ``# tuneloop-lint: disable=…`` lines at column 0.

    Only column-0 comments count: inside a block scalar (``system: |``) a ``#`` line is indented
    text, not a comment.
    """
    disabled: set[str] = set()
    for number, line in enumerate(prompt.source.splitlines(), start=1):
        match = _DISABLE.match(line.rstrip())
        if match is None:
            continue
        ids = {i.strip() for i in match["ids"].split(",") if i.strip()}
        _check_ids(ids, known, f"{prompt.path}:{number}:1")
        disabled |= ids
    return disabled


def _order(issue: LintIssue) -> tuple[str, int, int, int, str]:
    match = _LOCATION.match(issue.location)
    file, line, col = (
        (match["file"], int(match["line"]), int(match["col"])) if match else (issue.location, 0, 0)
    )
    return file, line, col, _SEVERITY_ORDER[issue.severity], issue.rule


def lint_prompt(
    prompt: PromptFile,
    *,
    model: ChatModel | None = None,
    rules: Sequence[str] | None = None,
    disable: Sequence[str] = (),
    context_window: int | None = None,
) -> list[LintIssue]:
    """Check ``prompt`` with the selected rules; findings sorted by file position.

    ``rules`` picks rule ids (``None`` or empty: all registered), ``disable`` removes some, and
    the file's own ``# tuneloop-lint: disable=`` lines remove more. ``model`` gives exact token
    counts and its context window; ``context_window`` overrides the window (and allows the
    length check without a model). Unknown rule ids raise :class:`~tuneloop.errors.PromptError`.
    """
    known = lint_rules()
    _check_ids(rules or (), known, "lint")
    _check_ids(disable, known, "lint")
    skip = set(disable) | _disabled_in_file(prompt, known)
    selected = [known[i] for i in (rules or known) if i not in skip]
    if not selected:
        return []
    ctx = LintContext(prompt, model=model, context_window=context_window)
    issues = [issue for rule in selected for issue in rule.check(ctx)]
    return sorted(issues, key=_order)


def has_errors(issues: Iterable[LintIssue]) -> bool:
    return any(issue.severity is Severity.ERROR for issue in issues)
