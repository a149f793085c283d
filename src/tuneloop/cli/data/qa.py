"""``tuneloop data qa``: question/answer pairs from ingested documents (rules, an LLM, or both)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tuneloop.cli.context import catalog, err, out, print_json, settings, store
from tuneloop.cli.data._app import app
from tuneloop.cli.options import JsonOption, ModelOption
from tuneloop.cli.progress import stage_progress

if TYPE_CHECKING:
    from tuneloop.data.qa.pairs import QaResult
    from tuneloop.models.base import ChatModel
    from tuneloop.prompts.template import PromptFile

__all__ = ["app", "qa"]


def _rule_names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for the LLM calls (transient: the summary replaces it)."""
    if not enabled:
        yield None
        return
    with stage_progress() as update:
        yield lambda done, total: update("Writing Q/A pairs", done, total)


def _model(name: str | None) -> ChatModel:
    chosen = name or settings().default_model
    with err.status(f"Loading {chosen}…"):
        return catalog().get(chosen)


def _prompt(ref: str | None) -> PromptFile | None:
    if ref is None:
        return None
    from tuneloop.prompts.resolve import resolve_prompt

    return resolve_prompt(ref, settings(), store())


def _summary(result: QaResult, output: Path, flagged: Path, written: int) -> dict[str, Any]:
    return {
        "output": str(output),
        "flagged_file": str(flagged),
        "written": written,
        "documents": result.documents,
        "conversations_passed_through": len(result.passed),
        "kept": len(result.kept),
        "flagged": len(result.flagged),
        "generators": result.generators(),
        "failures": [f.as_dict() for f in result.failures],
    }


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table("", "count", title="tuneloop data qa")
    table.add_row("documents", str(summary["documents"]))
    table.add_row("conversations passed through", str(summary["conversations_passed_through"]))
    for name, counts in summary["generators"].items():
        table.add_row(f"pairs from {name}", f"{counts['kept']} kept, {counts['flagged']} flagged")
    table.add_row("grounded pairs kept", str(summary["kept"]))
    table.add_row("ungrounded pairs flagged", str(summary["flagged"]))
    table.add_row("failures", str(len(summary["failures"])))
    out.print(table)
    for failure in summary["failures"]:
        out.print(f"  [red]failed[/] {failure['source']}: ", end="")
        out.print(failure["reason"], markup=False)
    out.print(f"Wrote {summary['written']} examples to {summary['output']}", markup=False)
    if summary["flagged"]:
        out.print(
            f"Flagged pairs for review: {summary['flagged_file']} "
            "(`tuneloop data label export` turns them into a CSV).",
            markup=False,
        )


@app.command("qa")
def qa(
    records: Annotated[Path, typer.Argument(help="Record file from `tuneloop data ingest`.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Record file to write the examples to.")
    ],
    method: Annotated[str, typer.Option(help="How to make pairs: rules, llm or both.")] = "rules",
    rules: Annotated[
        str, typer.Option("--rules", help="Comma-separated rules for --method rules/both.")
    ] = "kv,section",
    model: ModelOption = None,
    prompt: Annotated[
        str | None,
        typer.Option(
            "--prompt",
            help="Prompt for --method llm/both: file, name in prompts/, or NAME@VERSION/LABEL; "
            "default: the packaged qa-generate prompt.",
        ),
    ] = None,
    pairs_per_chunk: Annotated[
        int, typer.Option(min=1, max=50, help="Pairs to ask the model for per document chunk.")
    ] = 3,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Model requests in flight at once.")
    ] = 4,
    grounding_threshold: Annotated[
        float,
        typer.Option(min=0, max=1, help="Share of an answer's words that its source must contain."),
    ] = 0.6,
    flagged: Annotated[
        Path | None,
        typer.Option(help="Where to write ungrounded pairs; default: OUTPUT.flagged.jsonl."),
    ] = None,
    keep_flagged: Annotated[
        bool,
        typer.Option(
            "--keep-flagged", help="Also write ungrounded pairs (marked) to the output file."
        ),
    ] = False,
    system: Annotated[
        str | None, typer.Option(help="System message to put first in every generated pair.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed for the model.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Make question/answer examples from documents; pass conversations through unchanged.

    Every pair is checked against its source text: grounded pairs go to OUTPUT, the others to
    the flagged file for review.
    """
    from tuneloop.data.qa.pipeline import METHODS, build_qa
    from tuneloop.data.records import read_records, write_records
    from tuneloop.errors import InvalidRequest

    if method not in METHODS:  # typer has no Literal choices; checked here
        raise InvalidRequest(
            f"--method {method!r} is not one of {', '.join(METHODS)}.", param="method"
        )
    loaded = list(read_records(records))
    uses_model = method != "rules"
    chat_model = _model(model) if uses_model else None
    chosen_prompt = _prompt(prompt) if uses_model else None
    with _progress(uses_model and not as_json) as progress:
        result = build_qa(
            loaded,
            method=method,
            rules=_rule_names(rules),
            model=chat_model,
            prompt=chosen_prompt,
            pairs_per_chunk=pairs_per_chunk,
            concurrency=concurrency,
            seed=seed,
            threshold=grounding_threshold,
            system=system,
            progress=progress,
        )
    flagged_path = flagged or output.with_name(
        output.name.removesuffix(".jsonl") + ".flagged.jsonl"
    )
    written = write_records(output, result.output(keep_flagged=keep_flagged))
    write_records(flagged_path, result.flagged)
    summary = _summary(result, output, flagged_path, written)
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)
