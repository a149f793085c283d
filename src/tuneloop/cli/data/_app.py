"""The ``tuneloop data`` Typer group; each command lives in its own module beside this one."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(
    help="Collect, prepare, clean, validate, split, export and version training data.",
    no_args_is_help=True,
)
