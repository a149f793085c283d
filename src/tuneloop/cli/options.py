"""Option bundles defined once and reused by every command (as sqlite-utils does)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["JsonOption", "ModelOption"]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON instead of tables or text.")
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Model name (see `tuneloop models list`); default: the project's default_model.",
    ),
]
