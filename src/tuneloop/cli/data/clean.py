"""``tuneloop data clean``: normalise, filter, redact PII and deduplicate a record file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.table import Table

from tuneloop.cli.context import out, print_json
from tuneloop.cli.data._app import app
from tuneloop.cli.data._inputs import SOURCE_HELP, load_source
from tuneloop.cli.options import JsonOption
from tuneloop.cli.progress import stage_progress

if TYPE_CHECKING:
    from tuneloop.data.clean import CleanReport, PiiPolicy
    from tuneloop.safety.pii import RedactionMode

__all__ = ["app", "clean"]

SHOWN_CHANGES = 20


@app.command()
def clean(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Cleaned record file to write.")],
    report_path: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the full report (every change) as JSON here."),
    ] = None,
    normalize: Annotated[
        bool, typer.Option("--normalize/--no-normalize", help="NFC, control chars, whitespace.")
    ] = True,
    min_answer_chars: Annotated[
        int, typer.Option(min=0, help="Drop examples whose answer is shorter than this.")
    ] = 2,
    max_chars: Annotated[
        int, typer.Option(min=1, help="Drop records longer than this many characters.")
    ] = 8000,
    languages: Annotated[
        list[str] | None,
        typer.Option("--language", help="Allowed language (ko, en, other); repeatable."),
    ] = None,
    max_repetition: Annotated[
        float,
        typer.Option(min=0.01, max=1, help="Drop answers with a higher repeated 3-gram share."),
    ] = 0.5,
    pii: Annotated[
        str, typer.Option(help="What to do with PII: redact, drop (the record) or keep.")
    ] = "redact",
    pii_mode: Annotated[
        str, typer.Option(help="How to redact: placeholder (<PHONE>), mask (010-****-****), hash.")
    ] = "placeholder",
    pii_salt: Annotated[
        str,
        typer.Option(
            envvar="TUNELOOP_PII_SALT", help="Secret salt for --pii-mode hash (never reported)."
        ),
    ] = "",
    pii_entities: Annotated[
        list[str] | None,
        typer.Option("--pii-entity", help="Only these PII entities (e.g. PHONE); repeatable."),
    ] = None,
    dedupe: Annotated[
        bool, typer.Option("--dedupe/--no-dedupe", help="Remove exact and near duplicates.")
    ] = True,
    near_threshold: Annotated[
        float,
        typer.Option(min=0.01, max=1, help="Jaccard similarity of near duplicates."),
    ] = 0.8,
    seed: Annotated[int, typer.Option(help="Seed of the MinHash permutations.")] = 1,
    json_output: JsonOption = False,
) -> None:
    """Normalise text, drop low-quality rows, redact PII and remove duplicates, rule by rule."""
    from tuneloop.atomicfile import atomic_write_text
    from tuneloop.data.clean import CleanOptions, clean_records
    from tuneloop.data.records import write_records
    from tuneloop.errors import InvalidRequest

    choices = {"pii": ("redact", "drop", "keep"), "pii-mode": ("placeholder", "mask", "hash")}
    for option, value in (("pii", pii), ("pii-mode", pii_mode)):
        if value not in choices[option]:
            raise InvalidRequest(
                f"--{option} {value!r} is not one of {', '.join(choices[option])}.",
                hint=f"Use --{option} {choices[option][0]}.",
            )
    options = CleanOptions(
        normalize=normalize,
        min_answer_chars=min_answer_chars,
        max_chars=max_chars,
        languages=tuple(languages or ("ko", "en")),
        max_repetition=max_repetition,
        pii=cast("PiiPolicy", pii),
        pii_mode=cast("RedactionMode", pii_mode),
        pii_salt=pii_salt,
        pii_entities=tuple(pii_entities or ()),
        dedupe=dedupe,
        near_threshold=near_threshold,
        seed=seed,
    )
    records = load_source(source)
    with stage_progress(enabled=not json_output) as progress:
        kept, report = clean_records(records, options, progress=progress)
    write_records(output, kept)
    if report_path is not None:
        atomic_write_text(report_path, json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    if json_output:
        print_json({**report.to_dict(), "output": str(output)})
        return
    _print(report, output)


def _print(report: CleanReport, output: Path) -> None:
    table = Table(title="Cleaning by rule")
    table.add_column("rule")
    table.add_column("removed", justify="right")
    table.add_column("changed", justify="right")
    for rule, counts in report.by_rule().items():
        table.add_row(rule, str(counts["removed"] or ""), str(counts["changed"] or ""))
    out.print(table)
    removals = [c for c in report.changes if c.action == "removed"]
    for change in removals[:SHOWN_CHANGES]:
        out.print(f"  {change.source or change.record_id}: {change.rule} — {change.detail}")
    if len(removals) > SHOWN_CHANGES:
        out.print(f"  … and {len(removals) - SHOWN_CHANGES} more (see --report)")
    out.print(
        f"{report.n_in} records in, {report.n_out} kept, {report.removed()} removed → {output}"
    )
