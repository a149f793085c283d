"""``tuneloop data prepare``: run a whole data pipeline file and push the dataset version."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tuneloop.cli.context import catalog, out, print_json, settings, store
from tuneloop.cli.data._app import app
from tuneloop.cli.options import JsonOption
from tuneloop.cli.progress import stage_progress

if TYPE_CHECKING:
    from tuneloop.data.prepare import PrepareResult

__all__ = ["app", "prepare"]


@app.command()
def prepare(
    config: Annotated[Path, typer.Argument(help="Pipeline file (YAML), e.g. data.yaml.")],
    out_dir: Annotated[
        Path | None, typer.Option(help="Also keep the split files here (default: a temp folder).")
    ] = None,
    push: Annotated[
        bool, typer.Option("--push/--no-push", help="Push the result as a dataset version.")
    ] = True,
    message: Annotated[str, typer.Option("--message", "-m", help="What changed.")] = "",
    parent: Annotated[
        str | None, typer.Option(help="The version this one derives from, e.g. seoul-qa@2.")
    ] = None,
    author: Annotated[str | None, typer.Option(help="Author; default: your user name.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model for qa.method llm/both (overrides qa.model).")
    ] = None,
    pii_salt: Annotated[
        str, typer.Option(envvar="TUNELOOP_PII_SALT", help="Secret salt for pii_mode hash.")
    ] = "",
    strict: Annotated[
        bool, typer.Option("--strict", help="Any unusable input row is an error, not a skip.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Ingest, generate Q/A, clean, guard held-out questions, split, and push — from one file."""
    from tuneloop.data.prepare import load_prepare_config, prepare_dataset

    spec = load_prepare_config(config)
    chat_model = None
    if spec.qa.method in ("llm", "both"):
        chat_model = catalog().get(model or spec.qa.model or settings().default_model)
    with stage_progress(enabled=not json_output) as progress:
        result = prepare_dataset(
            config,
            store=store() if push else None,
            author=author or getpass.getuser(),
            message=message,
            parent=parent,
            out_dir=out_dir,
            strict=strict,
            pii_salt=pii_salt,
            model=chat_model,
            progress=progress,
        )
    if json_output:
        print_json(_as_dict(result))
        return
    _print(result)


def _as_dict(result: PrepareResult) -> dict[str, Any]:
    return {
        "ref": result.version.ref if result.version else None,
        "created": result.created,
        "splits": result.split_counts,
        "files": {k: str(v) for k, v in result.files.items()},
        "flagged": result.flagged,
        "cleaning": result.cleaning,
        "skipped": result.skipped,
        "pipeline": result.steps,
    }


def _print(result: PrepareResult) -> None:
    table = Table("step", "result")
    for step in result.steps[1:]:
        name = step["step"]
        if name == "ingest":
            table.add_row(name, f"{step['records']} records, {step['skipped']} skipped")
        elif name == "qa":
            table.add_row(name, f"{step['examples']} examples, {step['flagged']} flagged")
        elif name == "system":
            table.add_row(name, f"system message added to {step['added']} examples")
        elif name == "clean":
            table.add_row(name, f"{step['kept']} kept")
        elif name == "heldout":
            table.add_row(name, f"{step['removed']} too close to a held-out question")
        elif name == "split":
            table.add_row(name, ", ".join(f"{k} {v}" for k, v in result.split_counts.items()))
        elif name == "context":
            table.add_row(
                name,
                f"{step['examples']} with sources ({step['not_in_sources']} not answerable from "
                f"them), {step['heldout_dropped']} dropped for a held-out passage, "
                f"{step['over_budget']} over {step['budget_tokens']} tokens ({step['counter']})",
            )
    out.print(table)
    for line in result.skipped[:10]:
        out.print(f"  skipped {line}")
    if len(result.skipped) > 10:
        out.print(f"  … and {len(result.skipped) - 10} more skipped")
    if result.version is None:
        folder = next(iter(result.files.values())).parent
        out.print(f"Not pushed (--no-push); split files in {folder}")
    else:
        verb = "Pushed" if result.created else "Unchanged: already"
        ref = result.version.ref
        out.print(f"{verb} [bold]{ref}[/] — see `tuneloop data show {ref}`")
