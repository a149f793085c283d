"""``tuneloop migrate openai switch``: route the old ``ft:`` id to ``NAME@production`` on this
project's server and print the one line the application changes; ``--check`` calls a running
server with the official SDK the way the application will. The work is
:mod:`tuneloop.migrate.switch`; this module parses options and prints."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from tuneloop.cli.context import catalog, out, print_json, settings
from tuneloop.cli.migrate._app import openai_app
from tuneloop.cli.options import JsonOption
from tuneloop.migrate.switch import KEY_ENV

__all__ = ["switch"]


@openai_app.command("switch")
def switch(
    name: Annotated[
        str,
        typer.Argument(help="The tuneloop model name (or the old ft:… id / ftjob-… id)."),
    ],
    alias: Annotated[
        str, typer.Option("--alias", help="The alias the old model name follows.")
    ] = "production",
    server_url: Annotated[
        str | None,
        typer.Option(
            "--server-url",
            help="The tuneloop server the application will call (default: the project's "
            "[server] host and port).",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Call the running server with the openai SDK naming the old id."
        ),
    ] = False,
    key_env: Annotated[
        str,
        typer.Option(
            "--key-env", help="Environment variable holding a tuneloop key with scope chat."
        ),
    ] = KEY_ENV,
    as_json: JsonOption = False,
) -> None:
    """Make requests naming the old ft: id reach NAME@ALIAS (resolved per request, so promote
    and roll back take effect at once), and print the one-line change for the application."""
    from dataclasses import replace

    from tuneloop.errors import AuthError
    from tuneloop.migrate.switch import check_switch, one_line_change
    from tuneloop.migrate.switch import switch as switch_to

    done = switch_to(
        settings(), catalog(), name, alias=alias, server_url=server_url, by=getpass.getuser()
    )
    done = replace(done, line=one_line_change(done.base_url, key_env))
    checked = None
    if check:
        key = os.environ.get(key_env, "")
        if not key:
            raise AuthError(
                f"--check needs a tuneloop API key in ${key_env}.",
                hint=f"Create one with `{done.key_command}` and export it as {key_env}.",
            )
        checked = check_switch(done.base_url, key, done.model_id)
    if as_json:
        print_json({**done.as_dict(), "check": checked.as_dict() if checked else None})
        return
    verb = "Routed" if done.changed else "Already routed:"
    out.print(
        f"{verb} [bold]{done.model_id}[/] → [bold]{done.target}[/] (now {done.resolves_to}); "
        "resolved on every request."
    )
    for note in done.notes:
        out.print(f"[yellow]{note}[/]")
    out.print("In the application, change one line (the model name stays the same):")
    out.print(f"    {done.line}", markup=False, highlight=False)
    out.print(f"A key with scope chat: `{done.key_command}`, exported as {key_env}.")
    if checked is not None:
        from rich.markup import escape

        out.print(
            f"[green]✓[/] {escape(done.base_url)} lists {escape(done.model_id)} "
            f"({escape(checked.owned_by)}) and answered: {escape(repr(checked.answer))}"
        )
    else:
        out.print(f"Test it against the running server: add --check (key in ${key_env}).")
