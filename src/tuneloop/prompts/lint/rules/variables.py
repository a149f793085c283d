"""Templates and their variables: syntax/render errors, undeclared and unused variables.

Variables are found with Jinja2's own parser (``meta.find_undeclared_variables`` on the same
sandboxed environment :func:`tuneloop.prompts.render.template_env` renders with), so loop
variables and ``{% set %}`` names are not mistaken for inputs.
"""

from __future__ import annotations

from collections.abc import Iterable

from tuneloop.prompts.lint.base import LintContext, LintIssue, Rule, Severity

__all__ = ["TemplateError", "UndefinedVariable", "UnusedVariable"]


class UndefinedVariable(Rule):
    id = "undefined-variable"
    severity = Severity.ERROR
    description = (
        "A template (system, context or user) uses a variable not declared in `variables`."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        declared = set(ctx.prompt.template.variables)
        for loc in ctx.parsed:
            for name in sorted(ctx.used_variables(loc) - declared):
                yield self.issue(
                    ctx,
                    loc,
                    f"'{{{{ {name} }}}}' is used in {'.'.join(map(str, loc))} but '{name}' is not "
                    "declared: rendering fails.",
                    f"Declare it under `variables:` (e.g. `{name}: {{type: string, required: "
                    "true}`), or fix the spelling.",
                )


class UnusedVariable(Rule):
    id = "unused-variable"
    severity = Severity.WARNING
    description = "A declared variable is used by no template."

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        if ctx.syntax_errors:
            return  # a field we could not parse may be the one that uses it
        used: set[str] = set()
        for loc in ctx.parsed:
            used |= ctx.used_variables(loc)
        for name in ctx.prompt.template.variables:
            if name not in used:
                yield self.issue(
                    ctx,
                    ("variables", name),
                    f"Variable '{name}' is declared but no template uses it.",
                    f"Use it as {{{{ {name} }}}} in `user` or `system`, or delete it.",
                )


class TemplateError(Rule):
    id = "template-error"
    severity = Severity.ERROR
    description = (
        "A template does not parse, or the prompt cannot be rendered (unreadable context file, "
        "blocked expression, default of the wrong type)."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        for loc, exc in ctx.syntax_errors.items():
            yield self.issue(
                ctx,
                loc,
                f"Template syntax error on line {exc.lineno} of {'.'.join(map(str, loc))}: "
                f"{exc.message}.",
                "Check the {{ }} and {% %} pairs.",
            )
        if ctx.render_error is not None:
            yield self.issue(
                ctx,
                (),
                f"The prompt cannot be rendered: {ctx.render_error.message}",
                ctx.render_error.hint or "Fix the prompt file at the place named.",
            )
