"""``tuneloop data push / list / show / alias``: immutable dataset versions with their card, and
the aliases (``seoul-qa@production``) every registry kind shares."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markdown import Markdown
from rich.table import Table

from tuneloop.cli.aliases import alias_app, aliases_by_version
from tuneloop.cli.context import out, print_json, store
from tuneloop.cli.data._app import app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.registry.datasets import DatasetVersion

__all__ = ["app", "list_datasets", "push", "show"]

app.add_typer(alias_app("dataset", lambda: store().datasets), name="alias")


def _split_files(specs: list[str]) -> dict[str, Path]:
    from tuneloop.errors import DataError

    files: dict[str, Path] = {}
    for spec in specs:
        split, eq, path = spec.partition("=")
        if not eq:
            split, path = "all", spec
        if split in files:
            raise DataError(
                f"Split {split!r} is given twice.",
                hint="Give each split once: train=train.jsonl validation=val.jsonl.",
            )
        files[split] = Path(path)
    return files


def version_dict(version: DatasetVersion) -> dict[str, Any]:
    return {
        "ref": version.ref,
        "name": version.name,
        "version": version.version,
        "content_hash": version.content_hash,
        "parent": version.parent,
        "files": version.files,
        "counts": version.counts,
        "pipeline": version.pipeline,
        "author": version.author,
        "message": version.message,
        "created_at": version.created_at.isoformat(),
    }


@app.command()
def push(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. seoul-qa.")],
    files: Annotated[
        list[str],
        typer.Argument(help="Record files as SPLIT=FILE (train=train.jsonl), or one FILE (all)."),
    ],
    message: Annotated[str, typer.Option("--message", "-m", help="What changed.")] = "",
    parent: Annotated[
        str | None, typer.Option(help="The version this one derives from, e.g. seoul-qa@2.")
    ] = None,
    description: Annotated[str, typer.Option(help="A paragraph for the dataset card.")] = "",
    author: Annotated[str | None, typer.Option(help="Author; default: your user name.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Store record files as the next immutable version of a dataset (same files: same version)."""
    from tuneloop.data.versions import push_dataset

    version, created = push_dataset(
        store(),
        name,
        _split_files(files),
        author=author or getpass.getuser(),
        message=message,
        parent=parent,
        pipeline=[{"step": "push", "files": files}],
        description=description,
    )
    if json_output:
        print_json({**version_dict(version), "created": created})
        return
    verb = "Pushed" if created else "Unchanged: already"
    splits = ", ".join(
        f"{split} {version.counts['splits'][split]['records']}" for split in version.splits
    )
    out.print(f"{verb} [bold]{version.ref}[/] ({splits}) sha256 {version.content_hash[:12]}")


@app.command("list")
def list_datasets(
    name: Annotated[
        str | None, typer.Argument(help="Show every version of this dataset instead.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List datasets (newest version of each), or every version of one dataset."""
    registry = store().datasets
    versions = registry.versions(name) if name else registry.latest()
    by_version = aliases_by_version(registry)
    if json_output:
        print_json(
            [
                {**version_dict(v), "aliases": by_version.get((v.name, v.version), [])}
                for v in versions
            ]
        )
        return
    table = Table("dataset", "aliases", "splits", "records", "created", "author", "message")
    for v in versions:
        splits = " ".join(f"{s}:{v.counts['splits'][s]['records']}" for s in v.splits)
        table.add_row(
            v.ref,
            ", ".join(by_version.get((v.name, v.version), [])),
            splits,
            str(v.counts.get("total", "")),
            v.created_at.strftime("%Y-%m-%d %H:%M"),
            v.author,
            v.message,
        )
    if not versions:
        out.print("No datasets yet: make one with `tuneloop data prepare` or `tuneloop data push`.")
        return
    out.print(table)


@app.command()
def show(
    ref: Annotated[
        str, typer.Argument(help="Dataset version: NAME, NAME@3, NAME@latest or NAME@ALIAS.")
    ],
    card: Annotated[bool, typer.Option("--card", help="Print only the dataset card.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Show a dataset version: its splits, pipeline, lineage and card."""
    version = store().datasets.get(ref)
    if json_output:
        print_json({**version_dict(version), "card": version.card})
        return
    if not card:
        out.print(
            f"[bold]{version.ref}[/] by {version.author} at "
            f"{version.created_at:%Y-%m-%d %H:%M} — sha256 {version.content_hash[:12]}"
            + (f", parent {version.parent}" if version.parent else "")
        )
        if version.message:
            out.print(version.message)
        for split in version.splits:
            out.print(f"  {split}: {version.ref}:{split} (file {version.files[split][:12]})")
    out.print(Markdown(version.card))
