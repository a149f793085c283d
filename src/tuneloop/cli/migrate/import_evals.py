"""``tuneloop migrate openai import-evals``: OpenAI Evals exports and ``openai/evals`` registry
YAML → tuneloop suites. The work is :func:`tuneloop.migrate.graders.import_evals`; this module
parses options and prints the mapping table of each suite."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import out, print_json
from tuneloop.cli.migrate._app import openai_app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.migrate.graders import ImportedSuite

__all__ = ["import_evals"]

_STATUS = {
    "mapped": "[green]mapped[/]",
    "approximated": "[yellow]approximated[/]",
    "not_mapped": "[red]not mapped[/]",
}


@openai_app.command("import-evals")
def import_evals(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Exported evals/runs (.json, as client.evals.retrieve(...).model_dump() "
            "prints them) and/or openai/evals registry files (.yaml)."
        ),
    ],
    items: Annotated[
        Path | None,
        typer.Option(
            "--items",
            help='The eval\'s data (JSONL of {"item": …} rows or plain objects; samples JSONL '
            "for a registry eval); for one eval.",
        ),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write the suites and mapping reports to.")
    ] = Path("evals/imported"),
    registry: Annotated[
        Path | None,
        typer.Option(
            "--registry",
            help="The openai/evals evals/registry folder (its data/ and modelgraded/); default: "
            "the folder above the YAML's evals/.",
        ),
    ] = None,
    judge_model: Annotated[
        str | None,
        typer.Option(
            "--judge-model",
            help="Model for llm_judge metrics made from model graders (replaces the graders' "
            "OpenAI model; needed for openai/evals model-graded evals).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Turn exported OpenAI evals and openai/evals registry evals into tuneloop suites; list
    what each grader became (mapped, approximated, not mapped). Python graders are never run."""
    from tuneloop.migrate.graders import import_evals as run_import

    results = run_import(
        files, out_dir=out_dir, items=items, registry=registry, judge_model=judge_model
    )
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    for result in results:
        _print(result)


def _print(result: ImportedSuite) -> None:
    draft = result.draft
    table = Table("from", "kind", "status", "metric", "how / why", title=f"{draft.name}")
    for entry in draft.entries:
        table.add_row(
            entry.name, entry.kind, _STATUS[entry.status], entry.metric or "—", entry.reason
        )
    out.print(table)
    counts = draft.counts()
    out.print(
        f"{counts['mapped']} mapped, {counts['approximated']} approximated, "
        f"{counts['not_mapped']} not mapped — report: {result.report}"
    )
    for path in result.kept:
        out.print(f"  kept, never executed: {path}")
    if result.suite is None:
        out.print("[red]No suite written[/]: the eval gave no cases.")
        return
    out.print(
        f"Wrote [bold]{result.suite}[/] ({len(draft.cases)} cases) — run it with "
        f"`tuneloop eval run {result.suite} --model MODEL`"
    )
