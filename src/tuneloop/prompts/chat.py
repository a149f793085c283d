"""A conversation answered through a prompt: the prompt's template applied to the last user turn.

Why its own module: the server (``"tuneloop": {"prompt": "seoul-guide@production"}`` on
``/v1/chat/completions``) and ``tuneloop chat --prompt`` must build the very same messages — the
prompt's system text, context (retrieved passages included) and few-shot examples, then the
earlier turns of the conversation, then the last user message rendered through the template — so
a grounded answer in a terminal is the grounded answer the API gives.

The last user message fills the template's **input variable**: ``question`` if the prompt declares
it, else its only variable the caller did not give; other variables come from ``variables``. The
caller's own system messages are dropped (the prompt's instructions replace them).

:func:`registered_prompt` is what the server uses to find the prompt: a reference to a **pushed
version** in the store (``name``, ``name@3``, ``name@production``), never a file path — a client
names a prompt, it cannot point the server at files or indexes of its choosing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.errors import PromptError
from tuneloop.models.types import Message
from tuneloop.prompts.render import Rendered, render
from tuneloop.prompts.runner import examples_for
from tuneloop.prompts.template import PromptFile, parse_prompt
from tuneloop.text.retrieval import IndexResolver

if TYPE_CHECKING:
    from tuneloop.registry import Store

__all__ = ["PromptedChat", "input_variable", "prompted_messages", "registered_prompt"]


@dataclass(frozen=True)
class PromptedChat:
    """The messages to send and what rendering retrieved for them."""

    messages: list[Message]
    rendered: Rendered


def registered_prompt(ref: str, store: Store, prompts_dir: Path) -> tuple[PromptFile, str]:
    """The pushed prompt version ``ref`` names and its exact reference (``seoul-guide@2``).

    ``prompts_dir`` anchors the documents paths its ``retrieve`` items name (as if the version
    were the file ``prompts/NAME@vN.yaml``). Unknown or malformed references raise the
    registry's errors (404 / 400 on the server).
    """
    version = store.prompts.get(ref)
    virtual = prompts_dir / f"{version.name}@v{version.version}.yaml"
    return parse_prompt(version.content, virtual), f"{version.name}@{version.version}"


def input_variable(prompt: PromptFile, given: Mapping[str, Any]) -> str:
    """The variable the user's message fills (see the module docstring)."""
    declared = prompt.template.variables
    if "question" in declared and "question" not in given:
        return "question"
    free = [name for name in declared if name not in given]
    if len(free) == 1:
        return free[0]
    raise PromptError(
        f"Prompt '{prompt.name}' has no single variable for the user's message "
        f"(declared: {', '.join(declared) or 'none'}; given: {', '.join(given) or 'none'}).",
        hint="Declare a `question` variable in the prompt, or give every other variable "
        "(`tuneloop.variables` in the request, `--var` in the CLI).",
    )


def prompted_messages(
    prompt: PromptFile,
    conversation: Sequence[Message],
    *,
    variables: Mapping[str, Any] | None = None,
    indexes: IndexResolver | None = None,
) -> PromptedChat:
    """Apply ``prompt`` to ``conversation`` (whose last message must be the user's)."""
    if not conversation or conversation[-1].role != "user":
        raise PromptError(
            "The conversation must end with a user message to apply a prompt to.",
            hint="Send the user's question as the last message.",
        )
    given = dict(variables or {})
    given[input_variable(prompt, given)] = conversation[-1].content
    examples = examples_for(prompt, given)
    rendered = render(prompt, given, examples=examples, indexes=indexes)
    *head, last = rendered.messages
    earlier = [m for m in conversation[:-1] if m.role not in {"system", "developer"}]
    return PromptedChat([*head, *earlier, last], rendered)
