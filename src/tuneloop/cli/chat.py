"""``tuneloop chat``: talk to any model — one-shot with ``-m`` or an interactive REPL.

With ``--prompt`` every user message goes through a prompt template
(:func:`tuneloop.prompts.chat.prompted_messages`, the same code path as the server's
``tuneloop.prompt`` extension), and the passages a ``retrieve`` context found are listed under the
answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tuneloop.cli.context import catalog, err, out, print_json, settings, store
from tuneloop.cli.options import JsonOption, ModelOption
from tuneloop.cli.prompt import parse_vars
from tuneloop.cli.sources import print_sources

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tuneloop.models.base import ChatModel
    from tuneloop.models.identity import ResolvedModel
    from tuneloop.models.types import Chunk, Completion, Message, SamplingParams
    from tuneloop.prompts.template import PromptFile

REPL_HELP = "Type a message. /reset clears the conversation, /exit (or Ctrl-D) quits."


def chat(
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="Send one message, print the answer, exit."),
    ] = None,
    model: ModelOption = None,
    system: Annotated[
        str | None, typer.Option(help="System instruction for the conversation.")
    ] = None,
    temperature: Annotated[float, typer.Option(min=0, max=2, help="0 = greedy.")] = 0.7,
    top_p: Annotated[float, typer.Option(min=0.0, max=1.0, help="Nucleus sampling mass.")] = 1.0,
    max_tokens: Annotated[int, typer.Option(min=1, help="Most tokens to generate.")] = 256,
    seed: Annotated[int | None, typer.Option(help="Random seed for reproducible sampling.")] = None,
    stop: Annotated[
        list[str] | None, typer.Option(help="Stop sequence (repeatable, at most 4).")
    ] = None,
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="Print the answer at the end.")
    ] = False,
    prompt: Annotated[
        str | None,
        typer.Option(
            help="Answer every message through this prompt (file, name in prompts/, or "
            "NAME@VERSION / NAME@ALIAS); its retrieved sources are listed under each answer."
        ),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="With --prompt: another template variable KEY=VALUE."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Chat with a model: streams the answer as it is generated."""
    from tuneloop.errors import InvalidRequest
    from tuneloop.models.types import Message, SamplingParams

    if prompt is None and var:
        raise InvalidRequest("--var needs --prompt.", hint="Add --prompt NAME, or drop --var.")
    if prompt is not None and system is not None:
        raise InvalidRequest(
            "--system and --prompt contradict each other: the prompt has its own instructions.",
            hint="Put the instruction in the prompt's `system`, or drop --prompt.",
        )
    template = _prompt(prompt) if prompt is not None else None
    variables = parse_vars(var)

    params = SamplingParams(
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        stop=tuple(stop or ()),
        seed=seed,
    )
    name = model or settings().default_model
    with err.status(f"Loading {name}…"):
        # Resolved once: the whole conversation is with this version, even if the alias moves.
        resolved = catalog().resolve(name)
        chat_model = catalog().load(resolved)
        # Touch the weights now so loading time is not mistaken for a slow first answer.
        chat_model.count_tokens([Message("user", "")])
    history: list[Message] = [Message("system", system)] if system else []
    if message is not None:
        history.append(Message("user", message))
        sent, sources = _prepare(template, history, variables)
        result = _answer(chat_model, sent, params, stream=not no_stream, quiet=as_json)
        if as_json:
            print_json({**_as_dict(result, resolved), **_prompt_dict(prompt, sources)})
        else:
            print_sources(sources)
        return
    err.print(f"[dim]{resolved.label} — {REPL_HELP}[/]")
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            err.print()
            return
        text = line.strip()
        if not text:
            continue
        if text in {"/exit", "/quit"}:
            return
        if text == "/reset":
            history = history[:1] if system else []
            err.print("[dim]Conversation cleared.[/]")
            continue
        history.append(Message("user", text))
        sent, sources = _prepare(template, history, variables)
        result = _answer(chat_model, sent, params, stream=not no_stream, label=True, quiet=as_json)
        if as_json:
            print_json({**_as_dict(result, resolved), **_prompt_dict(prompt, sources)})
        else:
            print_sources(sources)
        history.append(Message("assistant", result.text))


def _prompt(ref: str) -> PromptFile:
    from tuneloop.prompts.resolve import resolve_prompt

    return resolve_prompt(ref, settings(), store())


def _prepare(
    template: PromptFile | None, history: list[Message], variables: dict[str, str]
) -> tuple[list[Message], list[dict[str, Any]]]:
    """The messages to send for ``history`` (through ``template`` if any) and their sources."""
    if template is None:
        return history, []
    from tuneloop.knowledge import index_resolver
    from tuneloop.prompts.chat import prompted_messages
    from tuneloop.text.retrieval import source_dicts

    indexes = index_resolver(template.base_dir, store)
    chat = prompted_messages(template, history, variables=variables, indexes=indexes)
    return chat.messages, source_dicts(chat.rendered.sources)


def _prompt_dict(ref: str | None, sources: list[dict[str, Any]]) -> dict[str, Any]:
    return {} if ref is None else {"prompt": ref, "sources": sources}


def _answer(
    model: ChatModel,
    history: list[Message],
    params: SamplingParams,
    *,
    stream: bool,
    label: bool = False,
    quiet: bool = False,
) -> Completion:
    """Generate and print the answer (streamed or at once); ``quiet`` prints nothing (--json)."""
    from tuneloop.models.base import collect

    if quiet:
        return model.generate(history, params)
    if not stream:
        result = model.generate(history, params)
        out.print(("assistant> " if label else "") + result.text, markup=False)
        return result

    def echo() -> Iterator[Chunk]:
        if label:
            out.print("assistant> ", end="")
        for chunk in model.stream(history, params):
            out.print(chunk.text, end="", markup=False)
            out.file.flush()
            yield chunk
        out.print()

    return collect(model.name, echo())


def _as_dict(result: Completion, resolved: ResolvedModel) -> dict[str, object]:
    return {
        "model": result.model,
        "model_version": resolved.version_ref,
        "model_hash": resolved.content_hash,
        "content": result.text,
        "finish_reason": result.finish_reason,
        "usage": {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
            "total_tokens": result.usage.total_tokens,
        },
    }
