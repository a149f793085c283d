"""``tuneloop data split``: train/validation/test files with no near-duplicate across them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from tuneloop.cli.context import err, out, print_json
from tuneloop.cli.data._app import app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.data.split import SplitResult

__all__ = ["app", "split"]


@app.command("split")
def split(
    input_file: Annotated[
        str, typer.Argument(help="Record file of examples (from `tuneloop data clean` or qa).")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Folder for NAME.jsonl per split (created).")
    ],
    ratios: Annotated[
        str, typer.Option("--ratios", help="NAME=FRACTION pairs summing to 1.")
    ] = "train=0.8,validation=0.1,test=0.1",
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same split).")] = 0,
    stratify: Annotated[
        Literal["tag", "none"],
        typer.Option("--stratify", help="Keep each first tag's share equal across splits."),
    ] = "tag",
    leakage_threshold: Annotated[
        float,
        typer.Option(
            "--leakage-threshold",
            min=0.01,
            max=1.0,
            help="Jaccard similarity from which two examples count as near-duplicates.",
        ),
    ] = 0.8,
    as_json: JsonOption = False,
) -> None:
    """Split examples into train/validation/test, keeping near-duplicates in one split.

    Writes OUT_DIR/train.jsonl, validation.jsonl and test.jsonl (record files) and checks that no
    pair of splits shares a near-duplicate.
    """
    from tuneloop.cli.data.export import _load_examples
    from tuneloop.data.records import SkipReport, write_records
    from tuneloop.data.split import parse_ratios, split_examples

    parsed = parse_ratios(ratios)
    skipped = SkipReport()
    examples = _load_examples(input_file, skipped)
    documents = len(skipped)
    if documents and not as_json:
        err.print(f"[yellow]Skipped {documents} document records (only examples are split).[/]")
    with err.status(f"Splitting {len(examples)} examples…"):
        result = split_examples(
            examples,
            ratios=parsed,
            seed=seed,
            stratify=stratify,
            leakage_threshold=leakage_threshold,
        )
    files = {}
    for name, members in result.splits.items():
        target = out_dir / f"{name}.jsonl"
        write_records(target, members)
        files[name] = str(target)
    if as_json:
        print_json({**result.as_dict(), "files": files, "documents_skipped": documents})
        return
    _print_result(result, files)


def _print_result(result: SplitResult, files: dict[str, str]) -> None:
    names = list(result.splits)
    tags = sorted({tag for counts in result.counts.values() for tag in counts})
    table = Table("tag", *names, title=f"Split (seed {result.seed})", title_justify="left")
    for tag in tags:
        table.add_row(tag, *(str(result.counts[name].get(tag, 0)) for name in names))
    table.add_row("[bold]total[/]", *(f"[bold]{result.sizes[name]}[/]" for name in names))
    out.print(table)
    out.print(
        f"Near-duplicate groups kept together: {result.groups_merged} "
        f"({result.examples_in_groups} examples)"
    )
    if result.leakage:
        out.print(
            f"[red]Leakage check: {len(result.leakage)} near-duplicate pairs cross splits[/] "
            f"(Jaccard ≥ {result.leakage_threshold:g}):"
        )
        for leak in result.leakage[:20]:
            out.print(
                f"  {leak.left_split}:{leak.left_id} ~ {leak.right_split}:{leak.right_id} "
                f"({leak.similarity:.2f})"
            )
    else:
        out.print(
            f"[green]Leakage check passed:[/] no near-duplicate pair (Jaccard ≥ "
            f"{result.leakage_threshold:g}) crosses splits."
        )
    for name, path in files.items():
        out.print(f"Wrote {path} ({result.sizes[name]} examples)", markup=False)
