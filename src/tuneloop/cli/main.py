"""The root ``tuneloop`` command: global options, command groups, and error reporting.

Errors: a :class:`~tuneloop.errors.TuneloopError` becomes one paragraph (what is wrong, then what
to do) on stderr and the error's exit code; ``--debug`` (or ``TUNELOOP_DEBUG=1``) shows the
traceback instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from tuneloop import __version__
from tuneloop.cli import (
    chat,
    data,
    db,
    eval,
    eval_analysis,  # noqa: F401  (registers `eval report / compare / gate`)
    eval_calibrate,  # noqa: F401  (registers `eval calibrate`)
    index,
    keys,
    migrate,
    models,
    project,
    prompt,
    safety,
    schema,
    serve,
)
from tuneloop.cli import train as train_cli
from tuneloop.cli import worker as worker_cli
from tuneloop.cli.context import err, globals_, reset

app = typer.Typer(
    name="tuneloop",
    help="Make a chat model good at one domain, then keep it good in production.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tuneloop {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project",
            envvar="TUNELOOP_PROJECT",
            help="Project folder (holding tuneloop.toml); default: search upward from here.",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="TUNELOOP_DEBUG", help="Show tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """tuneloop: prompts, data, fine-tuning, evaluation and serving in one loop."""
    reset()
    globals_.project = project_dir
    globals_.debug = debug


app.command()(project.init)
app.command()(chat.chat)
app.command()(serve.serve)
app.add_typer(models.app, name="models")
app.add_typer(keys.app, name="keys")
app.add_typer(db.app, name="db")
app.add_typer(prompt.app, name="prompt")
app.add_typer(data.app, name="data")
app.add_typer(index.app, name="index")
app.add_typer(eval.app, name="eval")
app.add_typer(safety.app, name="safety")
app.add_typer(train_cli.app, name="train")
app.add_typer(migrate.app, name="migrate")
app.command()(schema.schema)
app.command()(worker_cli.worker)


def report(exc: BaseException) -> int:
    """Print a TuneloopError for a person; return the exit code."""
    from tuneloop.errors import TuneloopError

    assert isinstance(exc, TuneloopError)
    from rich.text import Text

    # Messages may contain [brackets] (TOML tables, paths): never parse them as rich markup.
    err.print(Text.assemble(("Error: ", "bold red"), exc.message))
    if exc.hint:
        err.print(Text.assemble(("Fix: ", "bold"), exc.hint))
    err.print("[dim](run with --debug for the traceback)[/]")
    return exc.exit_code


def run() -> None:
    """Console-script entry point."""
    from tuneloop.errors import TuneloopError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # transformers' GGUF loader draws tqdm bars; the CLI shows its own rich status instead.
    os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        app()
    except TuneloopError as exc:
        if globals_.debug:
            raise
        sys.exit(report(exc))
