"""``tuneloop data label export|import``: review records in a spreadsheet, then apply the review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import err, out, print_json
from tuneloop.cli.data._app import app
from tuneloop.cli.options import JsonOption

__all__ = ["app", "export_cmd", "import_cmd", "label_app"]

label_app = typer.Typer(
    help="Review records in a spreadsheet: export a CSV, edit it, import it back.",
    no_args_is_help=True,
)
app.add_typer(label_app, name="label")


@label_app.command("export")
def export_cmd(
    records: Annotated[Path, typer.Argument(help="Record file to review.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
    as_json: JsonOption = False,
) -> None:
    """Write a review CSV (UTF-8 with BOM, so Excel shows Hangul), one row per record."""
    from tuneloop.data.label import export_label_csv
    from tuneloop.data.records import read_records

    count = export_label_csv(list(read_records(records)), output)
    if as_json:
        print_json({"records": str(records), "output": str(output), "rows": count})
        return
    out.print(f"Wrote {count} rows to {output}", markup=False)
    err.print(
        "[dim]Fill the status column (accept, reject, edit), edit cells, then run "
        f"`tuneloop data label import {output} --records {records} -o REVIEWED.jsonl`.[/]"
    )


@label_app.command("import")
def import_cmd(
    csv_file: Annotated[Path, typer.Argument(help="The reviewed CSV.")],
    records: Annotated[
        Path, typer.Option("--records", help="The record file the CSV was exported from.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Record file to write.")],
    allow_missing: Annotated[
        bool,
        typer.Option("--allow-missing", help="Keep records with no CSV row unchanged."),
    ] = False,
    keep_rejected: Annotated[
        bool,
        typer.Option("--keep-rejected", help="Keep rejected records (marked) instead of dropping."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Apply a reviewed CSV: rows matched by id, edits applied, rejected rows dropped."""
    from tuneloop.data.label import import_label_csv
    from tuneloop.data.records import read_records, write_records

    result = import_label_csv(
        csv_file,
        list(read_records(records)),
        allow_missing=allow_missing,
        keep_rejected=keep_rejected,
    )
    write_records(output, result.records)
    if as_json:
        print_json(
            {
                "output": str(output),
                **result.counts(),
                "changes": [c.as_dict() for c in result.changes],
                "warnings": result.warnings,
            }
        )
        return
    table = Table("", "rows", title="tuneloop data label import")
    for name, value in result.counts().items():
        table.add_row(name, str(value))
    out.print(table)
    for warning in result.warnings:
        err.print(f"[yellow]warning[/] {warning}", markup=True, highlight=False)
    out.print(f"Wrote {len(result.records)} records to {output}", markup=False)
