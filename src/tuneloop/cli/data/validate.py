"""``tuneloop data validate``: OpenAI's fine-tuning data checks, token statistics and cost."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import catalog, err, out, print_json
from tuneloop.cli.data._app import app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.data.tokenstats import Distribution
    from tuneloop.data.validate import ValidationReport
    from tuneloop.models.base import ChatModel

__all__ = ["app", "histogram", "validate"]

MAX_ROWS = 50


def _chat_model(model: str | None) -> ChatModel | None:
    """A local model whose tokenizer counts; OpenAI names count with their own encoding."""
    from tuneloop.data.tokenstats import is_openai_model

    if model is None or is_openai_model(model):
        return None
    with err.status(f"Loading {model}…"):
        return catalog().get(model)


@app.command("validate")
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="OpenAI chat JSONL files (as uploaded) or tuneloop record files."),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="An OpenAI model (gpt-4o-mini, gpt-4.1-mini…) for its training price and "
            "exact token counts, or a local model (see `tuneloop models list`) whose tokenizer "
            "counts tokens.",
        ),
    ] = None,
    max_tokens: Annotated[
        int,
        typer.Option("--max-tokens", min=1, help="Token limit per example (longer ones warn)."),
    ] = 65536,
    price_per_million: Annotated[
        float | None,
        typer.Option(
            "--price-per-million", min=0, help="Training price in USD per 1M tokens (overrides)."
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option("--epochs", min=1, help="Epochs to price; default: OpenAI's heuristic."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check fine-tuning files like OpenAI's API would; show token stats and estimated cost.

    Every error names file:line. Exit code 1 when any file has errors (for CI).
    """
    from tuneloop.data.validate import validate_file

    chat_model = _chat_model(model)
    reports = [
        validate_file(
            file,
            model=model,
            max_tokens_per_example=max_tokens,
            price_per_million=price_per_million,
            epochs=epochs,
            chat_model=chat_model,
        )
        for file in files
    ]
    ok = all(r.ok for r in reports)
    if as_json:
        print_json({"ok": ok, "files": [r.as_dict() for r in reports]})
    else:
        for report in reports:
            _print_report(report)
    if not ok:
        raise typer.Exit(1)


def _print_report(report: ValidationReport) -> None:
    kind = "OpenAI chat JSONL" if report.format == "openai" else "tuneloop record file"
    if report.encoding:
        kind += f", [red]{report.encoding}, not UTF-8[/]"
    mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
    out.print(
        f"{mark} [bold]{report.path}[/] ({kind}, {report.n_lines} lines): "
        f"{len(report.errors)} errors, {len(report.warnings)} warnings"
    )
    # Whole-file errors (a wrong encoding and how to convert it) as text: a table column would
    # cut the command off on a narrow terminal.
    for issue in report.errors:
        if issue.line is None:
            out.print(f"  {issue.code}: {issue.message}", markup=False, highlight=False)
    located = [issue for issue in report.errors if issue.line is not None]
    if located:
        table = Table(title="Errors", title_justify="left")
        table.add_column("location", no_wrap=True)
        table.add_column("code", no_wrap=True)
        table.add_column("message")
        for issue in located[:MAX_ROWS]:
            table.add_row(issue.location, f"[red]{issue.code}[/]", issue.message)
        out.print(table)
        if len(located) > MAX_ROWS:
            out.print(f"… and {len(located) - MAX_ROWS} more errors (see --json).")
    if report.warnings:
        by_code: dict[str, list[int | None]] = {}
        for issue in report.warnings:
            by_code.setdefault(issue.code, []).append(issue.line)
        table = Table("warning", "count", "first lines", title="Warnings", title_justify="left")
        for code, lines in sorted(by_code.items()):
            shown = ", ".join(str(n) for n in lines[:5] if n is not None)
            table.add_row(f"[yellow]{code}[/]", str(len(lines)), shown)
        out.print(table)
    _print_stats(report)


def _row(name: str, d: Distribution | None) -> list[str]:
    if d is None:
        return [name, *["-"] * 6]
    return [
        name,
        f"{d.min:g}",
        f"{d.max:g}",
        f"{d.mean:.1f}",
        f"{d.median:g}",
        f"{d.p10:.1f}",
        f"{d.p90:.1f}",
    ]


def _print_stats(report: ValidationReport) -> None:
    stats, cost = report.stats, report.cost
    if stats is None or cost is None:
        return
    how = f"exact, {stats.counter}" if stats.exact else "estimate, ~4 characters per token"
    table = Table(
        "per example",
        "min",
        "max",
        "mean",
        "median",
        "p10",
        "p90",
        title=f"Tokens ({stats.n_examples} examples; {how})",
        title_justify="left",
    )
    table.add_row(*_row("messages", stats.messages_per_example))
    table.add_row(*_row("total tokens", stats.total_tokens))
    table.add_row(*_row("assistant tokens", stats.assistant_tokens))
    out.print(table)
    ko, en = stats.chars_per_token.get("korean"), stats.chars_per_token.get("english")
    out.print(
        f"Over the {stats.limit}-token limit: {stats.n_over_limit}   "
        f"missing system: {stats.n_missing_system}   missing user: {stats.n_missing_user}"
    )
    out.print(
        f"Hangul share of characters: {stats.hangul_share:.0%}   chars/token: "
        f"Korean {_num(ko)}, English {_num(en)}"
    )
    out.print("Total tokens per example:")
    for line in histogram(stats.totals):
        out.print("  " + line, markup=False)
    out.print(
        f"Training: {cost.epochs} epochs ({cost.epochs_source}) × {cost.tokens_per_epoch:,} "
        f"tokens = [bold]{cost.billed_tokens:,}[/] billed tokens"
        + ("" if stats.exact else " (estimate)")
    )
    if cost.cost_usd is not None:
        out.print(
            f"Estimated cost: [bold]{_usd(cost.cost_usd)}[/] at ${cost.price_per_million:g}/1M "
            f"({cost.price_source})"
        )
    else:
        _print_price_table(cost.billed_tokens)
    out.print()


def _print_price_table(billed: int) -> None:
    from tuneloop.data.tokenstats import PRICES_CHECKED, TRAINING_PRICE_PER_MILLION

    table = Table(
        "OpenAI model",
        "USD / 1M training tokens",
        "estimated cost",
        title=f"Cost at OpenAI's training prices (checked {PRICES_CHECKED})",
        title_justify="left",
    )
    for name, price in TRAINING_PRICE_PER_MILLION.items():
        table.add_row(name, f"{price:.2f}", _usd(billed * price / 1_000_000))
    out.print(table)


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def _num(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def histogram(values: list[int], *, bins: int = 8, width: int = 30) -> list[str]:
    """A text histogram of integer counts: one line per bin of equal integer width,
    ``lo–hi | ███ count`` (bins cover min..max inclusive)."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    step = max(1, math.ceil((hi - lo + 1) / bins))
    n_bins = math.ceil((hi - lo + 1) / step)
    counts = [0] * n_bins
    for v in values:
        counts[(v - lo) // step] += 1
    top = max(counts)
    lines = []
    for i, count in enumerate(counts):
        start, end = lo + i * step, min(hi, lo + (i + 1) * step - 1)
        label = f"{start}" if start == end else f"{start}–{end}"
        lines.append(f"{label:>15} | {'█' * round(width * count / top)} {count}")
    return lines
