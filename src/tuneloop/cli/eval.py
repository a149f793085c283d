"""``tuneloop eval``: run evaluation suites against a model and list the stored runs.

The work is in :mod:`tuneloop.evaluate` (suite loading, the async runner, the response cache) and
:mod:`tuneloop.store.eval_runs`; this module only turns options into calls and prints results.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column, Table

from tuneloop.cli.context import catalog, err, out, print_json, settings, store
from tuneloop.cli.options import JsonOption, ModelOption

if TYPE_CHECKING:
    from tuneloop.evaluate.baselines import SideBySide
    from tuneloop.evaluate.suite import Suite
    from tuneloop.models.base import ChatModel
    from tuneloop.prompts.template import PromptFile
    from tuneloop.store.eval_results import EvalRun

app = typer.Typer(
    help="Evaluate a model on suites of cases and keep every run.", no_args_is_help=True
)


def _resolve_prompt(ref: str) -> PromptFile:
    from tuneloop.prompts.resolve import resolve_prompt

    return resolve_prompt(ref, settings(), store())


def _fmt(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


@app.command("run")
def run(
    suite_file: Annotated[Path, typer.Argument(help="The suite YAML file.", metavar="SUITE.yaml")],
    model: ModelOption = None,
    prompt: Annotated[
        str | None,
        typer.Option(
            "--prompt", help="Render cases with this prompt (file, name, NAME@LABEL) instead."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=512, help="Model calls in flight at once.")
    ] = 8,
    retries: Annotated[
        int, typer.Option("--retries", min=0, max=20, help="Retries per case on backend errors.")
    ] = 2,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.001, help="Seconds to wait for one answer.")
    ] = 60.0,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the response cache.")
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Ignore cached answers, ask the model, store the new ones."),
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Run only the first N (selected) cases.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Run only cases with this tag (repeatable: any of them)."),
    ] = None,
    baseline: Annotated[
        list[str] | None,
        typer.Option(
            "--baseline",
            help="Also run a trivial baseline, stored as a linked run: echo or retrieve "
            "(repeatable).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a suite against a model, score every answer, store the run and print a summary.

    Exits 0 whatever the scores (use a gate to fail CI on them).
    """
    from tuneloop.cli.progress import stage_progress
    from tuneloop.errors import InvalidRequest
    from tuneloop.evaluate.cache import ResponseCache
    from tuneloop.evaluate.metrics import MetricContext
    from tuneloop.evaluate.runner import run_suite_sync
    from tuneloop.evaluate.suite import load_suite

    if no_cache and refresh:
        raise InvalidRequest(
            "--no-cache and --refresh contradict each other.",
            hint="--refresh still writes the cache; use one or the other.",
        )
    suite = load_suite(suite_file, store=store(), prompts=_resolve_prompt)
    if prompt is not None:
        suite = suite.with_prompt(_resolve_prompt(prompt), prompt)
    selected = suite.select(tags=tag or (), limit=limit)
    if not selected.cases:
        raise InvalidRequest(
            f"No case of suite {suite.name!r} has any of the tags {', '.join(tag or [])}.",
            hint="See the tags used in the suite file, or drop --tag.",
        )
    baselines = _baseline_models(baseline or [], selected)  # a missing setting fails up front
    name = model or suite.model or settings().default_model
    with err.status(f"Loading {name}…"):
        resolved = catalog().resolve(name)  # once, up front: the run is of this version
        chat_model = catalog().load(resolved)
    cache = None if no_cache else ResponseCache.from_store(store(), refresh=refresh)
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "retries": retries,
        "timeout_s": timeout,
        "cache": cache,
        "metric_context": MetricContext(models=catalog().get, prompts=_resolve_prompt),
        "store": store(),  # opens the knowledge indexes a retrieving prompt names
    }
    with stage_progress(enabled=not as_json) as progress:
        result = run_suite_sync(
            selected, chat_model, progress=progress, resolved=resolved, **options
        )
    if baselines:
        _run_baselines(result, selected, baselines, options, as_json=as_json)
        return
    store().eval_runs.save(result)
    if as_json:
        print_json(_run_dict(result))
    else:
        _print_summary(result)


# ------------------------------------------------------------------------- --baseline


def _baseline_models(names: list[str], suite: Suite) -> dict[str, ChatModel]:
    from tuneloop.evaluate.baselines import baseline_model

    return {n: baseline_model(n, suite, settings()) for n in dict.fromkeys(names)}


def _run_baselines(
    result: EvalRun,
    suite: Suite,
    models: dict[str, ChatModel],
    options: dict[str, Any],
    *,
    as_json: bool,
) -> None:
    """Run each baseline like the model, store all runs linked, print them side by side."""
    from tuneloop.cli.progress import stage_progress
    from tuneloop.evaluate.baselines import link_runs, model_and_baselines
    from tuneloop.evaluate.runner import run_suite_sync

    runs = {}
    for name, baseline_model in models.items():
        with stage_progress(enabled=not as_json) as progress:
            runs[name] = run_suite_sync(suite, baseline_model, progress=progress, **options)
    main, linked = link_runs(result, runs)
    for run in linked:
        store().eval_runs.save(run)
    store().eval_runs.save(main)
    table = model_and_baselines(main, dict(zip(runs, linked, strict=True)))
    if as_json:
        data = _run_dict(main)
        data["baselines"] = {r.meta["baseline"]: _run_dict(r) for r in linked}
        data["side_by_side"] = table.as_dict()
        print_json(data)
        return
    _print_summary(main)
    out.print(side_by_side_table(table))
    for run in linked:
        out.print(f"Baseline {run.meta['baseline']}: run [bold]{run.id}[/] saved.")


def side_by_side_table(table: SideBySide, title: str | None = None) -> Table:
    """Each metric's mean [95% interval] for the model (or runs A, B) and each baseline."""
    level = f"{table.confidence:.0%}"
    grid = Table(
        "metric",
        *(Column(f"{arm.label}\n({arm.role})", justify="right") for arm in table.arms),
        title=title or f"Model and trivial baselines: mean [{level} bootstrap interval]",
        title_justify="left",
    )
    for metric in table.metrics:
        row = []
        for arm in table.arms:
            cell = arm.cells[metric]
            row.append("—" if not cell.n else f"{cell.mean:.3f}\n[{cell.low:.3f}, {cell.high:.3f}]")
        grid.add_row(metric, *row)
    return grid


def _run_dict(run: EvalRun) -> dict[str, Any]:
    from tuneloop.store.eval_runs import case_result_to_dict, jsonable

    return {
        "id": run.id,
        "suite": run.suite,
        "suite_hash": run.suite_hash,
        "model": run.model,
        "model_version": run.model_version,
        "model_hash": run.model_hash,
        "model_label": run.model_label,
        "prompt": run.prompt_ref,
        "created_at": run.created_at.isoformat(),
        "params": run.params,
        "summary": jsonable(run.summary()),
        "cases": len(run.results),
        "passed": sum(r.passed is True for r in run.results),
        "failed": sum(r.passed is False for r in run.results),
        "errors": run.errors,
        "cached": sum(r.cached for r in run.results),
        "wall_s": run.meta.get("wall_s"),
        "results": [case_result_to_dict(r) for r in run.results],
    }


def _print_summary(run: EvalRun) -> None:
    specs = run.meta.get("metric_specs", {})
    table = Table("metric", "mean", "threshold", "pass", title=f"{run.suite} · {run.model_label}")
    for metric in run.metrics:
        verdicts = [
            r.details.get(metric, {}).get("passed") for r in run.results if metric in r.details
        ]
        judged = [v for v in verdicts if v is not None]
        threshold = specs.get(metric, {}).get("threshold")
        table.add_row(
            metric,
            _fmt(run.mean(metric)),
            "" if threshold is None else f"{threshold:g}",
            f"{sum(judged)}/{len(judged)}" if judged else "",
        )
    if run.metrics:
        out.print(table)
    total = len(run.results)
    passed = sum(r.passed is True for r in run.results)
    with_verdict = sum(r.passed is not None for r in run.results)
    cached = sum(r.cached for r in run.results)
    rate = (
        f"{passed}/{with_verdict} passed ({passed / with_verdict:.0%})"
        if with_verdict
        else "no pass/fail checks"
    )
    errors = f"[red]{run.errors} errors[/]" if run.errors else "0 errors"
    wall = run.meta.get("wall_s", 0.0)
    out.print(f"{total} cases: {rate}, {errors}, {cached} cached, {wall:.1f} s")
    for r in run.results:
        if r.error:
            out.print(f"  [red]✗[/] {r.case_id}: ", end="")
            out.print(r.error, markup=False)
    out.print(f"Run [bold]{run.id}[/] saved.")


@app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs to show.")] = 20,
    suite: Annotated[
        str | None, typer.Option("--suite", help="Only runs of this suite (by name).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List stored eval runs, newest first."""
    from tuneloop.models.identity import model_label

    runs = store().eval_runs.list(limit, suite=suite)
    if as_json:
        print_json(
            [
                {**r.as_dict(), "model_label": model_label(r.model, r.model_version, r.model_hash)}
                for r in runs
            ]
        )
        return
    if not runs:
        out.print("No eval runs yet. Make one with `tuneloop eval run SUITE.yaml`.", markup=False)
        return
    table = Table(
        Column("run", no_wrap=True),
        "suite",
        "model",
        "when (UTC)",
        "cases",
        "pass",
        "errors",
        "means",
    )
    for r in runs:
        means = ", ".join(f"{k} {_fmt(v)}" for k, v in r.means.items())
        table.add_row(
            r.id,
            r.suite,
            model_label(r.model, r.model_version, r.model_hash)
            + (f" + {r.prompt_ref}" if r.prompt_ref else ""),
            f"{r.created_at:%Y-%m-%d %H:%M}",
            str(r.n_cases),
            "" if math.isnan(r.pass_rate) else f"{r.pass_rate:.0%}",
            str(r.n_errors),
            means,
        )
    out.print(table)
