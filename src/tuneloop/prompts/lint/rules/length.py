"""``context-too-long``: the rendered prompt plus the answer budget against the model's window.

With a model, its own ``count_tokens`` (chat template included) gives the exact count; without
one, :func:`tuneloop.models.openai_compat.estimate_tokens` gives an estimate and the message says
so. The answer budget is ``params.max_tokens``, else the default local models use (256).
"""

from __future__ import annotations

from collections.abc import Iterable

from tuneloop.models.openai_compat import estimate_message_tokens, estimate_tokens
from tuneloop.models.types import DEFAULT_MAX_TOKENS
from tuneloop.prompts.lint.base import LintContext, LintIssue, Loc, Rule, Severity

__all__ = ["ContextTooLong"]

WARN_FRACTION = 0.75


def _largest_part(ctx: LintContext) -> Loc:
    """The field that costs the most tokens: where shortening helps most."""
    t = ctx.prompt.template
    parts: list[tuple[int, Loc]] = [(estimate_tokens(t.user), ("user",))]
    if t.system:
        parts.append((estimate_tokens(t.system), ("system",)))
    if ctx.rendered is not None and t.context:
        rendered = ctx.rendered.messages[0].content
        parts.append((estimate_tokens(rendered) - estimate_tokens(t.system or ""), ("context",)))
    if t.examples:
        size = sum(estimate_tokens(e.user + e.assistant) for e in t.examples)
        parts.append((size, ("examples",)))
    return max(parts, key=lambda p: p[0])[1]


class ContextTooLong(Rule):
    id = "context-too-long"
    severity = Severity.ERROR
    description = (
        "Rendered prompt tokens plus params.max_tokens (or 256) exceed the model's context "
        "window (error) or use more than 75% of it (warning)."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        window = ctx.context_window
        if window is None or ctx.rendered is None:
            return
        messages = ctx.rendered.messages
        if ctx.model is not None:
            prompt_tokens = ctx.model.count_tokens(messages)
            how = f"Counted with {ctx.model.name}'s tokenizer."
        else:
            prompt_tokens = estimate_message_tokens(messages)
            how = "Estimated without a model; pass one for an exact count."
        answer = ctx.prompt.template.params.max_tokens or DEFAULT_MAX_TOKENS
        total = prompt_tokens + answer
        if total <= WARN_FRACTION * window:
            return
        over = total > window
        yield self.issue(
            ctx,
            _largest_part(ctx),
            f"The prompt is {prompt_tokens} tokens + {answer} for the answer = {total}, "
            f"{total / window:.0%} of the {window}-token context window"
            + (": the request will be refused. " if over else ". ")
            + how,
            "Shorten the context or examples (or use examples_from with a small k), lower "
            "params.max_tokens, or use a model with a larger window.",
            Severity.ERROR if over else Severity.WARNING,
        )
