"""``tuneloop schema``: JSON Schemas of tuneloop's file formats, generated from the code.

Point your editor's YAML language server at them (``# yaml-language-server: $schema=...``) to get
completion and validation while writing prompt files — the same models validate them at run time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.context import out

FORMATS = {
    "prompt": "tuneloop.prompts.template:PromptTemplate",
    "suite": "tuneloop.evaluate.suite:SuiteFile",
    "data": "tuneloop.data.prepare:PrepareConfig",
    "train": "tuneloop.train.config:TrainConfig",
}


def schema(
    kind: Annotated[str, typer.Argument(help=f"Which file format: {', '.join(FORMATS)}.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of a tuneloop file format."""
    import importlib

    from tuneloop.atomicfile import atomic_write_text
    from tuneloop.errors import InvalidRequest

    if kind not in FORMATS:
        raise InvalidRequest(
            f"Unknown format {kind!r}.", hint=f"Choose one of: {', '.join(FORMATS)}."
        )
    module, _, attr = FORMATS[kind].partition(":")
    model = getattr(importlib.import_module(module), attr)
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(),
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is not None:
        atomic_write_text(output, text)
        out.print(f"Wrote {output}")
    else:
        out.file.write(text)
