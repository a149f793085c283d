"""``tuneloop data ingest`` and ``tuneloop data formats``: read documents, Q/A sheets, JSON lines
and chat exports into one record file, and list the formats that can be read.

The work is in :mod:`tuneloop.data.ingest`; this module parses flags, draws the progress bar,
writes the file and prints the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tuneloop.cli.context import err, out, print_json
from tuneloop.cli.data._app import app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.data.ingest import FileResult, IngestOptions
    from tuneloop.data.records import Record, SkipReport

__all__ = ["app", "formats", "ingest"]

SHOWN_SKIPS = 20


@app.command("ingest")
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files or folders to read (folders recursively; hidden files are skipped)."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Record file to write (JSONL, atomically).")
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="Read every file with this reader (see `tuneloop data formats`)."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", help="Decode every text file with this encoding (default: detect)."
        ),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Longest document chunk, in characters.")
    ] = 1200,
    overlap: Annotated[
        int, typer.Option("--overlap", min=0, help="Characters shared by neighbouring chunks.")
    ] = 200,
    assistant: Annotated[
        list[str] | None,
        typer.Option(
            "--assistant",
            help="Chat-log speaker who plays the assistant (repeatable; KakaoTalk default: "
            "the name in the export's header).",
        ),
    ] = None,
    conversation_gap: Annotated[
        int,
        typer.Option(
            "--conversation-gap",
            min=1,
            help="Minutes of silence that start a new conversation in a chat export.",
        ),
    ] = 360,
    max_file_mb: Annotated[
        float, typer.Option("--max-file-mb", min=0.001, help="Skip files larger than this (MB).")
    ] = 50.0,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on the first unusable file or row.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Read documents, Q/A sheets, JSON lines and chat exports into one record file.

    Skipped files and rows are reported (file:line and why) and do not change the exit code,
    unless --strict makes the first one an error.
    """
    from tuneloop.data.ingest import IngestOptions, collect_files, summarize
    from tuneloop.data.records import SkipReport, write_records

    options = IngestOptions(
        chunk_chars=chunk_size,
        overlap_chars=overlap,
        encoding=encoding,
        fmt=fmt,
        assistant_names=tuple(assistant or ()),
        max_file_bytes=max(1, int(max_file_mb * 1024 * 1024)),
        conversation_gap_minutes=conversation_gap,
    )
    target = output.resolve()
    files = [f for f in collect_files(paths) if f.resolve() != target]
    skips = SkipReport(strict=strict)
    results: list[FileResult] = []
    records = _ingest_with_progress(files, options, skips, results)
    write_records(output, records)
    summary = {"output": str(output), **summarize(records, results, skips)}
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)


def _ingest_with_progress(
    files: list[Path], options: IngestOptions, skips: SkipReport, results: list[FileResult]
) -> list[Record]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from tuneloop.data.ingest import ingest as ingest_paths

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[file]}", markup=False),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("Reading", total=len(files), file="")

        def advance(path: Path) -> None:
            if results:  # the previous file is done
                progress.advance(task)
            progress.update(task, file=str(path))

        return ingest_paths(files, options, skips, advance, files=results)


def _print_summary(summary: dict[str, Any]) -> None:
    formats = ", ".join(f"{name} {count}" for name, count in summary["formats"].items())
    out.print(
        f"Read {summary['files_read']} of {summary['files']} files"
        + (f" ({formats})" if formats else "")
        + f" → {summary['records']} records in ",
        end="",
    )
    out.print(summary["output"], markup=False)
    out.print(
        f"  documents {summary['documents']} (chunks {summary['chunks']}), "
        f"examples {summary['examples']}"
    )
    for path, encoding in summary["encodings"].items():
        out.print(f"  encoding {encoding}: ", end="")
        out.print(path, markup=False)
    skipped = summary["skipped"]
    if not skipped:
        return
    out.print(f"[yellow]Skipped {len(skipped)}[/]:")
    for item in skipped[:SHOWN_SKIPS]:
        out.print(f"  {item['where']}: {item['reason']}", markup=False)
    if len(skipped) > SHOWN_SKIPS:
        out.print(f"  … and {len(skipped) - SHOWN_SKIPS} more (--json lists all)")


@app.command("formats")
def formats(as_json: JsonOption = False) -> None:
    """List the input formats `tuneloop data ingest` can read (plugins included)."""
    from rich.table import Table

    from tuneloop.data.ingest import readers

    registered = list(readers().values())
    if as_json:
        print_json(
            [
                {"name": r.name, "suffixes": list(r.suffixes), "description": r.description}
                for r in registered
            ]
        )
        return
    table = Table("format", "suffixes", "description")
    for reader in registered:
        table.add_row(reader.name, " ".join(reader.suffixes), reader.description)
    out.print(table)
