"""``tuneloop migrate openai parity``: the local model against the old fine-tune's recorded
answers — parity.html / parity.json and, with ``--gate``, the stored decision that lets the local
version take the alias. The work is :func:`tuneloop.migrate.parity.parity`; this module parses
options, writes the two files and prints."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import catalog, out, print_json, settings, store
from tuneloop.cli.migrate._app import openai_app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.migrate.parity_report import Interval, ParityReport

__all__ = ["parity"]


@openai_app.command("parity")
def parity(
    name: Annotated[
        str,
        typer.Argument(help="The tuneloop model name (or the old ft:… id / ftjob-… id)."),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="The local version to check, NAME@N (default: the newest non-source)."
        ),
    ] = None,
    suite: Annotated[
        list[Path] | None,
        typer.Option(
            "--suite", help="Also run your own suite file on the local model (repeatable)."
        ),
    ] = None,
    gate: Annotated[
        float | None,
        typer.Option(
            "--gate",
            min=0.0,
            max=1.0,
            help="Minimum agreement (0–1): exit 8 unless the 95% interval's lower bound reaches "
            "it; the decision is stored as gate evidence.",
        ),
    ] = None,
    alias: Annotated[
        str, typer.Option("--alias", help="The alias a passing gate lets the local version take.")
    ] = "production",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for parity.html and .json (default: migrate/NAME)."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=512, help="Model calls in flight at once.")
    ] = 4,
    as_json: JsonOption = False,
) -> None:
    """Score the local model's agreement with the old fine-tune on the golden suite; write
    parity.html and parity.json; with --gate, store the decision and exit 8 when it fails."""
    from tuneloop.cli.progress import stage_progress
    from tuneloop.errors import EvalGateFailed
    from tuneloop.migrate.parity import golden_suite_path, parity
    from tuneloop.migrate.parity_report import write_parity

    with stage_progress(enabled=not as_json) as progress:
        report = parity(
            settings(),
            store(),
            catalog(),
            name,
            model=model,
            suites=suite or (),
            gate=gate,
            alias=alias,
            by=getpass.getuser(),
            progress=progress,
            concurrency=concurrency,
        )
    folder = out_dir or golden_suite_path(settings().project_dir, report.name).parent
    json_path, html_path = write_parity(report, folder)
    if as_json:
        print_json({**report.as_dict(), "files": {"json": str(json_path), "html": str(html_path)}})
    else:
        _print(report)
        out.print(f"Wrote [bold]{html_path}[/] and {json_path.name}.")
    if report.passed is False:
        assert report.gate is not None
        raise EvalGateFailed(
            f"Parity gate failed: {report.gate['check']['message']}.",
            hint=f"See the worst disagreements in {html_path}; retrain (more steps, a larger "
            "--base) or lower --gate if this agreement is enough.",
        )


def _interval(i: Interval) -> str:
    return "—" if not i.n else f"{i.mean:.3f} [{i.low:.3f}, {i.high:.3f}]"


def _print(report: ParityReport) -> None:
    out.print(
        f"[bold]{report.candidate_label}[/] vs [bold]{report.source.model_id}[/] on "
        f"{report.suite} ({len(report.cases)} cases, {report.errors} errors)"
    )
    table = Table("metric", "mean [95% interval]", "cases")
    table.add_row("[bold]agreement[/]", _interval(report.agreement), str(report.agreement.n))
    for metric, interval in report.metrics.items():
        table.add_row(metric, _interval(interval), str(interval.n))
    out.print(table)
    if report.tags:
        tags = Table("tag", "agreement [95% interval]", "cases")
        for tag in report.tags:
            tags.add_row(tag.tag, _interval(tag.agreement), str(tag.agreement.n))
        out.print(tags)
    for summary in report.suites:
        shown = ", ".join(f"{m} {_interval(i)}" for m, i in summary.metrics.items())
        out.print(f"Your suite {summary.suite} ({summary.run_id}): {shown}")
    for note in report.notes:
        out.print(f"[dim]{note}[/]")
    if report.gate is None:
        out.print(f"No gate asked for; add --gate MIN_AGREEMENT to decide {report.candidate.ref}.")
        return
    mark = "[green]✓ passed[/]" if report.gate["passed"] else "[red]✗ failed[/]"
    out.print(f"Gate {report.gate['id']} {mark}: {report.gate['check']['message']}")
    for note in report.gate["notes"]:
        out.print(f"[yellow]{note}[/]")
    if report.gate["passed"]:
        out.print(f"Promote it: `{report.gate['promote']}`")
