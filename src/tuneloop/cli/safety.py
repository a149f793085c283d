"""``tuneloop safety``: PII scanning and redaction of files.

``scan`` exits with 1 when it finds personal information, so it can gate a CI job or a commit
hook; it only ever prints masked values. ``redact`` writes a redacted copy atomically.
The work itself lives in :mod:`tuneloop.data.pii_files`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import err, out, print_json
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.safety.pii import PiiScanner

__all__ = ["app"]

app = typer.Typer(help="Find and redact personal information (PII).", no_args_is_help=True)

EntityOption = Annotated[
    list[str] | None,
    typer.Option(
        "--entity",
        help="Only these entities, e.g. PHONE or KR_RRN (repeatable, or comma-separated).",
    ),
]
MinScoreOption = Annotated[
    float,
    typer.Option(
        "--min-score", help="Report findings at least this confident (0–1).", min=0.0, max=1.0
    ),
]


def _scanner(entity: list[str] | None, min_score: float) -> PiiScanner:
    from tuneloop.safety.pii import PiiScanner

    wanted = None
    if entity:
        wanted = [e.strip().upper() for item in entity for e in item.split(",") if e.strip()]
    return PiiScanner.default(entities=wanted, min_score=min_score)


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it (keeps the table narrow)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@app.command("scan")
def scan(
    paths: Annotated[
        list[Path], typer.Argument(help="Text or record files, or folders (scanned recursively).")
    ],
    entity: EntityOption = None,
    min_score: MinScoreOption = 0.5,
    json_: JsonOption = False,
) -> None:
    """List personal information in files (values masked); exit code 1 when any is found."""
    from tuneloop.data.pii_files import expand_paths, scan_file

    scanner = _scanner(entity, min_score)
    files = expand_paths(paths)
    found = [f for path in files for f in scan_file(path, scanner)]
    counts = Counter(f.finding.entity for f in found)
    if json_:
        print_json(
            {
                "files": len(files),
                "total": len(found),
                "by_entity": dict(sorted(counts.items())),
                "findings": [f.to_dict() for f in found],
            }
        )
    elif found:
        table = Table()
        table.add_column("location", no_wrap=True)
        for name in ("field", "entity", "recognizer", "score", "value", "context"):
            table.add_column(name, overflow="fold")
        for f in found:
            table.add_row(
                f"{_shown(f.path)}:{f.line}",
                f.field or "",
                f.finding.entity,
                f.finding.recognizer,
                f"{f.finding.score:.2f}",
                f.preview,
                f.context,
            )
        out.print(table)
        summary = ", ".join(f"{entity} {n}" for entity, n in sorted(counts.items()))
        out.print(f"{len(found)} finding(s) in {len(files)} file(s): {summary}")
    else:
        out.print(f"No personal information found in {len(files)} file(s).")
    if found:
        raise typer.Exit(1)


@app.command("redact")
def redact(
    source: Annotated[Path, typer.Argument(help="A text or record file.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the redacted copy.")
    ],
    mode: Annotated[
        str,
        typer.Option(
            "--mode", help="placeholder (<PHONE>), mask (010-****-****) or hash (<PHONE:1a2b3c4d>)."
        ),
    ] = "placeholder",
    salt: Annotated[
        str, typer.Option("--salt", help="Secret mixed into hash mode (keep it private).")
    ] = "",
    entity: EntityOption = None,
    min_score: MinScoreOption = 0.5,
    json_: JsonOption = False,
) -> None:
    """Write a copy with personal information replaced; print how many of each were replaced."""
    from tuneloop.data.pii_files import redact_file
    from tuneloop.errors import InvalidRequest
    from tuneloop.safety.pii.redact import MODES

    if mode not in MODES:
        raise InvalidRequest(
            f"--mode {mode!r} is not a redaction mode.",
            hint=f"Use one of: {', '.join(MODES)}.",
            param="mode",
        )
    scanner = _scanner(entity, min_score)
    report = redact_file(source, output, scanner, mode, salt=salt)
    if json_:
        print_json({"mode": mode, **report.to_dict()})
        return
    unit = "record(s)" if report.format == "records" else "line(s)"
    if report.replaced:
        table = Table("entity", "replaced")
        for name, count in sorted(report.replaced.items()):
            table.add_row(name, str(count))
        out.print(table)
    out.print(
        f"Wrote {report.output} ({report.units} {unit}, {report.total} value(s) replaced, "
        f"mode {mode})."
    )
    if mode == "hash" and not salt:
        err.print(
            "[yellow]Note:[/] hash mode without --salt: anyone can hash a guessed value and "
            "compare; pass a secret --salt."
        )
