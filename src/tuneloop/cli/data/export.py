"""``tuneloop data export``: examples as OpenAI JSONL, CSV, Parquet or a Hugging Face dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from tuneloop.cli.context import err, out, print_json
from tuneloop.cli.data._app import app
from tuneloop.cli.data._inputs import SOURCE_HELP
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.data.export import ExportFormat
    from tuneloop.data.records import Example, SkipReport

__all__ = ["app", "export"]


def _load_examples(arg: str, skipped: SkipReport | None = None) -> list[Example]:
    """The examples an input argument names: a record file or a dataset split
    (``seoul-qa@3:train``). Documents in it are skipped: counted in ``skipped`` when given (an
    error when it is strict), otherwise silently."""
    from tuneloop.cli.data._inputs import load_source
    from tuneloop.data.records import Example, Source

    examples: list[Example] = []
    for record in load_source(arg):
        if isinstance(record, Example):
            examples.append(record)
        elif skipped is not None:
            skipped.skip(
                record.source or Source(arg),
                "a document record, not an example",
                hint="Turn documents into examples with `tuneloop data qa`, or run without "
                "--strict to skip them.",
            )
    return examples


def _format(output: Path, fmt: ExportFormat | None) -> ExportFormat:
    from tuneloop.data.export import format_for_path
    from tuneloop.errors import InvalidRequest

    if fmt is not None:
        return fmt
    inferred = format_for_path(output)
    if inferred is None:
        raise InvalidRequest(
            f"Cannot tell the export format from {output.name!r}.",
            hint="Name the output .jsonl (openai), .csv or .parquet, or pass --format "
            "(--format hf for a Hugging Face dataset folder).",
        )
    return inferred


@app.command("export")
def export(
    input_file: Annotated[str, typer.Argument(help=SOURCE_HELP)],
    output: Annotated[Path, typer.Option("--output", "-o", help="File (or folder for hf).")],
    fmt: Annotated[
        Literal["openai", "csv", "parquet", "hf"] | None,
        typer.Option(
            "--format", help="Output format; default: from the suffix (.jsonl, .csv, .parquet)."
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on document records instead of skipping.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Export examples as OpenAI fine-tuning JSONL, CSV, Parquet or a Hugging Face dataset."""
    from tuneloop.data.export import export_examples
    from tuneloop.data.records import SkipReport

    chosen = _format(output, fmt)
    skipped = SkipReport(strict=strict)
    examples = _load_examples(input_file, skipped)
    with err.status(f"Writing {len(examples)} examples as {chosen}…"):
        path = export_examples(examples, output, chosen)
    if as_json:
        print_json(
            {
                "path": str(path),
                "format": chosen,
                "examples": len(examples),
                "skipped": [str(s) for s in skipped],
            }
        )
        return
    if len(skipped):
        err.print(f"[yellow]Skipped {len(skipped)} document records.[/]")
    out.print(f"Wrote {len(examples)} examples ({chosen}) to {path}", markup=False)
