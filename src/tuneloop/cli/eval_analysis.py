"""``tuneloop eval report | compare | gate``: read stored runs, explain them, decide on them.

These commands only read runs (``store.eval_runs``) and hand them to the pure functions in
:mod:`tuneloop.evaluate.report`, :mod:`~tuneloop.evaluate.compare` and
:mod:`~tuneloop.evaluate.gate`; this module formats the results for a terminal or as JSON.
They are registered on the ``tuneloop eval`` group owned by :mod:`tuneloop.cli.eval`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from tuneloop.cli.context import err, out, print_json, store
from tuneloop.cli.eval import app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.evaluate.baselines import SideBySide
    from tuneloop.evaluate.compare import Comparison, MetricDelta
    from tuneloop.evaluate.gate import GateResult
    from tuneloop.evaluate.report import RunReport
    from tuneloop.store.eval_results import EvalRun

__all__ = ["compare", "gate", "report"]

RunArg = Annotated[
    str, typer.Argument(help="Eval run id, or a unique prefix of one (see `tuneloop eval list`).")
]


def _load(run_id: str) -> EvalRun:
    return store().eval_runs.get(run_id)


def _num(value: float, digits: int = 3) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


# ---------------------------------------------------------------------------------------- report


@app.command("report")
def report(
    run_id: RunArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="HTML file to write; default eval-report-RUN.html (none with --json alone).",
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option("--metric", help="Metric that orders the worst cases; default: the first."),
    ] = None,
    worst: Annotated[
        int, typer.Option("--worst", min=0, help="How many worst cases to show.")
    ] = 10,
    pass_threshold: Annotated[
        float,
        typer.Option(
            "--pass-threshold",
            min=0.0,
            max=1.0,
            help="Score that counts as a pass for metrics that give no verdict of their own.",
        ),
    ] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """Write a self-contained HTML report of a run and print its summary.

    The page works offline (plotly.js is inside it): summary per metric, score distributions,
    strengths and weaknesses per tag, the worst cases, latency and token statistics.
    """
    from tuneloop.evaluate.report import summarize, write_report

    run = _load(run_id)
    summary = summarize(run, worst_metric=metric, worst=worst, pass_threshold=pass_threshold)
    baselines = _report_baselines(run)
    path: Path | None = None
    if output is not None or not as_json:
        path = output or Path(f"eval-report-{run.id}.html")
        with err.status(f"Writing {path}…"):
            write_report(summary, path, baselines=baselines)
    if as_json:
        extra = {"baselines": baselines.as_dict() if baselines else None}
        print_json({**summary.as_dict(), **extra, "html": str(path) if path else None})
        return
    _print_report(summary)
    _print_baselines(run, baselines)
    out.print(Text.assemble("Report written to ", (str(path), "bold")))


def _report_baselines(run: EvalRun) -> SideBySide | None:
    """The run beside the baseline runs linked to it (``eval run --baseline``), if any."""
    from tuneloop.evaluate.baselines import linked_baselines, model_and_baselines

    found, missing = linked_baselines(store(), run)
    if not found and not missing:
        return None
    return model_and_baselines(run, found, notes=missing)


def _print_baselines(run: EvalRun, table: SideBySide | None) -> None:
    from tuneloop.cli.eval import side_by_side_table

    if run.meta.get("baseline_of"):
        out.print(
            f"[yellow]This is the {run.meta.get('baseline')} baseline of run "
            f"{run.meta['baseline_of']}.[/]"
        )
    if table is not None:
        out.print(side_by_side_table(table))
        for note in table.notes:
            out.print(f"[yellow]{note}[/]")


def _print_report(summary: RunReport) -> None:
    run = summary.run
    out.print(
        Text.assemble(
            ("Run ", "bold"),
            run.id,
            " · suite ",
            (run.suite, "cyan"),
            " · model ",
            (run.model_label, "cyan"),
            *((" · prompt ", (run.prompt_ref, "cyan")) if run.prompt_ref else ()),
        )
    )
    passed, judged = summary.passed_cases
    verdicts = f" · {passed}/{judged} passed" if judged else ""
    out.print(
        f"{len(run.results)} cases · {run.errors} errors · {summary.cached} cached{verdicts} · "
        f"{run.created_at:%Y-%m-%d %H:%M}"
    )
    table = Table(box=box.SIMPLE_HEAD, title="Metrics", title_justify="left")
    for column in ("metric", "mean", "pass rate", "scored", "min", "median", "max"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for m in summary.metrics:
        rate = "—" if math.isnan(m.pass_rate) else f"{m.pass_rate:.0%}"
        table.add_row(
            Text(m.metric),
            Text(_num(m.mean), style=_score_style(m.mean)),
            rate,
            str(m.n),
            _num(m.minimum),
            _num(m.median),
            _num(m.maximum),
        )
    out.print(table)
    if summary.strengths:
        tags = Table(box=box.SIMPLE_HEAD, title="Tags: strongest and weakest", title_justify="left")
        for column in ("metric", "strongest", "mean", "weakest", "mean "):
            tags.add_column(column, justify="right" if column.startswith("mean") else "left")
        for best, low in zip(summary.strengths, summary.weaknesses, strict=True):
            tags.add_row(
                Text(best.metric),
                Text(f"{best.tag} (n={best.n})", style="green"),
                f"{best.mean:.3f} ({best.gap:+.3f})",
                Text(f"{low.tag} (n={low.n})", style="red"),
                f"{low.mean:.3f} ({low.gap:+.3f})",
            )
        out.print(tags)
    latency = summary.latency
    if latency.n:
        out.print(
            f"Latency p50 {latency.p50_ms:.0f} ms · p90 {latency.p90_ms:.0f} ms · "
            f"p99 {latency.p99_ms:.0f} ms · {latency.tokens_per_s:.1f} tokens/s "
            f"({latency.n} timed cases)"
        )
    if summary.grounded:
        _print_grounded(summary)


GROUNDED_SHOWN = 5


def _print_grounded(summary: RunReport) -> None:
    """The least grounded cases: their sources and the sentences no source supports."""
    shown = summary.grounded[:GROUNDED_SHOWN]
    out.print(
        Text(
            f"Grounding: {len(summary.grounded)} case(s) with sources, "
            f"least grounded {len(shown)} shown",
            style="bold",
        )
    )
    for case in shown:
        scores = " · ".join(f"{name} {value:.2f}" for name, value in case.scores.items())
        out.print(Text.assemble(("  ", ""), (case.case_id, "cyan"), f"  {scores}"))
        for hit in case.hits:
            score = hit.get("score")
            shown_score = f"{score:.2f}" if isinstance(score, int | float) else "—"
            supports = f" · supports {hit['supports']}" if hit.get("supports") else ""
            out.print(Text(f"    [{hit.get('id', '?')}] {hit['where']} ({shown_score}){supports}"))
        unsupported = [text for text, bad in case.segments if bad] + list(case.unplaced)
        for sentence in unsupported:
            out.print(Text(f"    unsupported: {sentence}", style="red"))


def _score_style(value: float) -> str:
    if math.isnan(value):
        return "dim"
    return "green" if value >= 0.8 else "yellow" if value >= 0.5 else "red"


# --------------------------------------------------------------------------------------- compare


@app.command("compare")
def compare(
    run_a: Annotated[str, typer.Argument(help="Run A (the baseline), id or unique prefix.")],
    run_b: Annotated[str, typer.Argument(help="Run B (the candidate), id or unique prefix.")],
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="Only this metric (repeatable); default: all shared."),
    ] = None,
    resamples: Annotated[
        int, typer.Option("--resamples", min=1, help="Bootstrap resamples.")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap resampling.")] = 0,
    tie_margin: Annotated[
        float,
        typer.Option(
            "--tie-margin", min=0.0, help="A per-case difference at most this big is a tie."
        ),
    ] = 1e-9,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the comparison as an HTML page.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare two runs case by case: mean, delta B − A, paired bootstrap interval, wins/losses.

    Works for a prompt A/B and a model A/B alike; cases found in one run only are listed.
    """
    from tuneloop.evaluate.compare import compare_runs
    from tuneloop.evaluate.report import write_comparison

    a, b = _load(run_a), _load(run_b)
    with err.status("Bootstrapping…"):
        comparison = compare_runs(
            a, b, metrics=metric, resamples=resamples, seed=seed, tie_margin=tie_margin
        )
        baselines = _compare_baselines(a, b, comparison, seed=seed, resamples=resamples)
    if html is not None:
        write_comparison(comparison, html, baselines=baselines)
    if as_json:
        extra = {"baselines": baselines.as_dict() if baselines else None}
        print_json({**comparison.as_dict(), **extra, "html": str(html) if html else None})
        return
    _print_comparison(comparison)
    if baselines is not None:
        from tuneloop.cli.eval import side_by_side_table

        out.print(side_by_side_table(baselines, "A, B and trivial baselines: mean [95% interval]"))
    if html is not None:
        out.print(Text.assemble("Comparison written to ", (str(html), "bold")))


def _compare_baselines(
    a: EvalRun, b: EvalRun, comparison: Comparison, *, seed: int, resamples: int
) -> SideBySide | None:
    """A, B and the baselines linked to either (B's win a name both have), if any."""
    from tuneloop.evaluate.baselines import linked_baselines, runs_and_baselines

    found_a, missing_a = linked_baselines(store(), a)
    found_b, missing_b = linked_baselines(store(), b)
    found = {**found_a, **found_b}
    if not found and not (missing_a or missing_b):
        return None
    return runs_and_baselines(
        a,
        b,
        found,
        metrics=list(comparison.metrics),
        seed=seed,
        resamples=resamples,
        notes=[*missing_a, *missing_b],
    )


def _print_comparison(c: Comparison) -> None:
    from tuneloop.evaluate.bootstrap import MIN_PAIRS

    for label, info in (("A", c.a), ("B", c.b)):
        out.print(
            Text.assemble(
                (f"{label} ", "bold"),
                info.id,
                " · model ",
                (info.model_label or info.model, "cyan" if "model" in c.differs else ""),
                " · prompt ",
                (info.prompt_ref or "none", "cyan" if "prompt_ref" in c.differs else ""),
                f" · {info.cases} cases, {info.errors} errors",
            )
        )
    out.print(
        f"Changed: {c.kind} · {c.paired} paired cases · {c.resamples} resamples, seed {c.seed}"
    )
    if "suite_hash" in c.differs:
        out.print("[yellow]The runs used different versions of the suite.[/]")
    if c.only_a or c.only_b:
        out.print(
            Text(
                f"Unpaired: {len(c.only_a)} case(s) only in A, {len(c.only_b)} only in B: "
                + ", ".join([*c.only_a, *c.only_b][:10])
                + (" …" if len(c.only_a) + len(c.only_b) > 10 else ""),
                style="yellow",
            )
        )
    out.print(_delta_table("Overall (Δ = B − A)", c.overall, with_tag=False))
    if c.by_tag:
        out.print(_delta_table("By tag", c.by_tag, with_tag=True))
    out.print(
        f"[dim]* the 95% interval excludes 0 · rows with fewer than {MIN_PAIRS} pairs get no "
        "interval and are never significant[/]"
    )


def _delta_table(title: str, rows: tuple[MetricDelta, ...], *, with_tag: bool) -> Table:
    from tuneloop.evaluate.bootstrap import MIN_PAIRS

    table = Table(
        box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, title=title, title_justify="left"
    )
    if with_tag:
        table.add_column("tag")
    table.add_column("metric")
    for column in ("pairs", "A", "B", "Δ", "95% CI", "p", "W/L/T"):
        table.add_column(column, justify="right", no_wrap=True)
    for d in rows:
        if math.isnan(d.delta):
            arrow, style = "", "dim"
        elif d.delta > 0:
            arrow, style = "▲", "green"
        elif d.delta < 0:
            arrow, style = "▼", "red"
        else:
            arrow, style = "=", "dim"
        delta = "—" if math.isnan(d.delta) else f"{arrow} {d.delta:+.3f}"
        if not d.enough_pairs:
            interval = f"n<{MIN_PAIRS}" if d.n else "—"
        else:
            interval = f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
        cells: list[Text | str] = [Text(d.tag or "")] if with_tag else []
        cells += [
            Text(d.metric),
            str(d.n),
            _num(d.mean_a),
            _num(d.mean_b),
            Text(
                delta + (" *" if d.significant else ""),
                style=f"bold {style}" if d.significant else style,
            ),
            interval,
            _num(d.p_value),
            f"{d.wins}/{d.losses}/{d.ties}",
        ]
        table.add_row(*cells)
    return table


# ------------------------------------------------------------------------------------------ gate


def _minimums(pairs: list[str] | None) -> dict[str, float]:
    from tuneloop.errors import InvalidRequest

    minimums: dict[str, float] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not 0.0 <= number <= 1.0:
            raise InvalidRequest(
                f"--min {pair!r} is not METRIC=VALUE with VALUE between 0 and 1.",
                hint="Write it as --min token_f1=0.6.",
                param="min",
            )
        minimums[name.strip()] = number
    return minimums


@app.command("gate")
def gate(
    run_id: RunArg,
    minimum: Annotated[
        list[str] | None,
        typer.Option(
            "--min", help="METRIC=VALUE: the metric's mean must reach VALUE (repeatable)."
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Run of the current version to compare against (needs --max-regression).",
        ),
    ] = None,
    max_regression: Annotated[
        float | None,
        typer.Option(
            "--max-regression",
            min=0.0,
            help="Allowed drop of any metric versus --baseline: it regressed when the paired "
            "bootstrap interval lies entirely below minus this.",
        ),
    ] = None,
    max_error_rate: Annotated[
        float | None,
        typer.Option(
            "--max-error-rate", min=0.0, max=1.0, help="Largest allowed share of errored cases."
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Check only cases with this tag (repeatable: any of them)."),
    ] = None,
    for_alias: Annotated[
        str,
        typer.Option("--for", help="The alias this gate is evidence for (stored with it)."),
    ] = "production",
    ignore_errors: Annotated[
        bool,
        typer.Option(
            "--ignore-errors",
            help="Leave errored cases out of means and pairs instead of counting them as 0.",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Pass a regression check only when the interval's lower bound is at least "
            "minus --max-regression (the drop is shown to be small enough).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Pass or fail a run against thresholds, store the decision; exit code 8 on failure (for CI).

    Prints every check with ✓ or ✗, so a failure says which threshold was missed and by how much.
    With --baseline the decision is stored as gate evidence (`tuneloop models promote` needs a
    passing one) when the run is of a registered model version; its id is printed.
    """
    import getpass

    from tuneloop.errors import EvalGateFailed
    from tuneloop.evaluate.baselines import ensure_candidate
    from tuneloop.evaluate.gate import gate as run_gate
    from tuneloop.evaluate.gate import record_gate

    run = _load(run_id)
    ensure_candidate(run)  # a trivial baseline's run is never promoted
    base = _load(baseline) if baseline is not None else None
    result = run_gate(
        run,
        minimums=_minimums(minimum),
        baseline=base,
        max_regression=max_regression,
        max_error_rate=max_error_rate,
        tags=tag or (),
        errors_as_failures=not ignore_errors,
        strict=strict,
    )
    stored = record_gate(store(), run, base, result, alias=for_alias, by=getpass.getuser())
    if as_json:
        print_json(
            {
                "run": run.id,
                "baseline": base.id if base else None,
                "candidate": run.model_label,
                "baseline_model": base.model_label if base else None,
                **result.as_dict(),
                "gate_id": stored.record.id if stored.record else None,
                "alias": for_alias,
                "not_stored": stored.reason,
                "notes": list(stored.notes),
            }
        )
    else:
        _print_gate(run, base, result)
        if stored.record is not None:
            record = stored.record
            out.print(
                Text.assemble(
                    "Stored gate ",
                    (record.id, "bold"),
                    f": {record.candidate_ref} vs {record.baseline_ref} on {record.suite} "
                    f"for {record.model_name}@{for_alias}",
                )
            )
        else:
            out.print(Text(f"Not stored as gate evidence: {stored.reason}.", style="yellow"))
        for note in stored.notes:
            out.print(Text(f"Note: {note}.", style="yellow"))
    if not result.passed:
        names = ", ".join(c.name for c in result.failed)
        raise EvalGateFailed(
            f"Gate failed for run {run.id}: {len(result.failed)} of {len(result.checks)} "
            f"check(s) failed ({names}).",
            hint="Improve the model or prompt, or change the thresholds on purpose.",
        )


def _print_gate(run: EvalRun, baseline: EvalRun | None, result: GateResult) -> None:
    out.print(
        Text.assemble(
            ("Candidate ", "bold"),
            f"{run.id} · ",
            (run.model_label, "cyan"),
            *(
                (("  baseline ", "bold"), f"{baseline.id} · ", (baseline.model_label, "cyan"))
                if baseline is not None
                else ()
            ),
        )
    )
    for check in result.checks:
        mark = ("✓ ", "bold green") if check.passed else ("✗ ", "bold red")
        out.print(Text.assemble(mark, (check.name, "bold"), "  ", (check.message, "dim")))
    verdict = ("PASSED", "bold green") if result.passed else ("FAILED", "bold red")
    out.print(Text.assemble("Gate ", verdict, f" for run {run.id}"))
