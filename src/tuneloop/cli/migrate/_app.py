"""The ``tuneloop migrate`` Typer group and its ``openai`` subgroup; each command lives in its own
module beside this one and registers on :data:`openai_app`."""

from __future__ import annotations

import typer

__all__ = ["app", "openai_app"]

app = typer.Typer(
    help="Move a fine-tuning workflow from another provider onto tuneloop.",
    no_args_is_help=True,
)
openai_app = typer.Typer(
    help="Capture an OpenAI fine-tuning workflow (jobs, files, the fine-tune's answers) and "
    "reproduce it on a local model before OpenAI's deadlines (2027-01-06 / 2027-01-14).",
    no_args_is_help=True,
)
app.add_typer(openai_app, name="openai")
