"""``tuneloop migrate openai record``: replay prompts against the old fine-tune into a golden
suite. The work is :func:`tuneloop.migrate.record.record`; this module parses options, turns
Ctrl-C into "stop taking prompts" (a second Ctrl-C interrupts at once), and prints the plan, the
progress and the outcome."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import err, out, print_json, settings, store
from tuneloop.cli.migrate._app import openai_app
from tuneloop.cli.migrate._options import (
    BaseUrlOption,
    KeyEnvOption,
    OpenAIProjectOption,
    OrganizationOption,
)
from tuneloop.cli.options import JsonOption
from tuneloop.cli.progress import StageCallback, stage_progress

if TYPE_CHECKING:
    from tuneloop.migrate.record import RecordPlan, RecordResult
    from tuneloop.prompts.template import PromptFile

__all__ = ["record", "usd"]

INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""


@openai_app.command("record")
def record(
    model: Annotated[
        str,
        typer.Argument(
            metavar="FT_MODEL_OR_NAME",
            help="The old fine-tune: its ft:… model id, its ftjob-… job id, or the tuneloop "
            "model name pull registered it under.",
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="tuneloop model name (default: the one pull registered, else the ft id's "
            "suffix); the golden suite goes to migrate/NAME/.",
        ),
    ] = None,
    validation: Annotated[
        bool,
        typer.Option(
            "--validation/--no-validation",
            help="Replay the pulled validation split's prompts.",
        ),
    ] = True,
    train_sample: Annotated[
        int,
        typer.Option(
            "--train-sample",
            help="Replay a seeded sample of this many prompts of the pulled training split "
            "(0: none).",
        ),
    ] = 200,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="Seed of the training sample; also sent as the request's seed."
        ),
    ] = 0,
    prompt_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--prompts",
            help="Also replay this file's prompts: JSONL, CSV (a question/input/prompt column) "
            "or a suite YAML; repeat for several.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Requests in flight at once.")
    ] = 8,
    temperature: Annotated[
        float, typer.Option("--temperature", help="Sampling temperature sent with every prompt.")
    ] = 0.0,
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", help="max_tokens sent with every prompt (default: none)."),
    ] = None,
    base_url: BaseUrlOption = None,
    key_env: KeyEnvOption = "OPENAI_API_KEY",
    organization: OrganizationOption = None,
    openai_project: OpenAIProjectOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Count prompts and tokens and estimate the cost; send nothing.",
        ),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", help="Only the first N distinct prompts (to try a few first)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the old fine-tune the pulled validation prompts, a sample of the training prompts and
    your own prompt files, and keep its answers as the golden suite migrate/NAME/golden.yaml.
    Resumable: run it again after a crash or Ctrl-C and it asks only what is missing."""
    from tuneloop.migrate.record import RecordOptions
    from tuneloop.migrate.record import record as run_record

    options = RecordOptions(
        validation=validation,
        train_sample=train_sample,
        seed=seed,
        prompt_files=tuple(prompt_files or ()),
        temperature=temperature,
        max_tokens=max_tokens,
        concurrency=concurrency,
        limit=limit,
    )
    stop = threading.Event()
    with _stop_on_ctrl_c(stop), ExitStack() as stack:

        def progress(stage: str, done: int, total: int) -> None:
            # The bar starts with the first answer, after the plan is printed.
            if not bars:
                bars.append(
                    stack.enter_context(stage_progress(enabled=not as_json, unit="prompts"))
                )
            bars[0](stage, done, total)

        bars: list[StageCallback] = []
        done = run_record(
            model,
            project_dir=settings().project_dir,
            store=store(),
            options=options,
            name=name,
            base_url=base_url,
            key_env=key_env,
            organization=organization,
            openai_project=openai_project,
            dry_run=dry_run,
            prompts=_resolve_prompt,
            on_plan=None if as_json else _print_plan,
            stop=stop,
            progress=progress,
        )
    if as_json:
        result = done.result.as_dict() if done.result is not None else None
        print_json({"plan": done.plan.as_dict(), "result": result})
    elif done.result is not None:
        _print_result(done.result, done.plan)
    if done.result is not None and done.result.interrupted:
        saved = done.result.already + done.result.recorded
        err.print(
            f"[yellow]Interrupted.[/] {saved} answers are saved in {done.result.golden_jsonl}; "
            f"run the same command again to record the rest:\n  "
            + shlex.join(["tuneloop", *sys.argv[1:]])
        )
        raise typer.Exit(INTERRUPTED)


@contextmanager
def _stop_on_ctrl_c(stop: threading.Event) -> Iterator[None]:
    """SIGINT sets ``stop`` (the run finishes what is in flight); a second one interrupts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: object) -> None:
        err.print("[yellow]Stopping: finishing the requests in flight (Ctrl-C again to abort)…[/]")
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _resolve_prompt(ref: str) -> PromptFile:
    from tuneloop.prompts.resolve import resolve_prompt

    return resolve_prompt(ref, settings(), store())


def _print_plan(plan: RecordPlan) -> None:
    table = Table("source", "prompts", title=f"Recording {plan.ft_id} → {plan.golden_yaml}")
    for source, count in plan.sources.items():
        table.add_row(source, str(count))
    table.add_row("[bold]distinct prompts[/]", f"[bold]{plan.total}[/]")
    out.print(table)
    if plan.duplicates:
        out.print(f"  {plan.duplicates} duplicate prompts asked once (the first source's tags)")
    if plan.skipped:
        out.print(f"  {plan.skipped} examples skipped (not plain-text chats), e.g.:")
        for example in plan.skip_examples:
            out.print(f"    {example}")
    for note in plan.notes:
        out.print(f"  note: {note}")
    params = ", ".join(f"{k}={v}" for k, v in plan.params.items() if k != "model")
    out.print(f"  params: {params}")
    out.print(f"  already recorded: {plan.already}; to send now: [bold]{plan.to_send}[/]")
    exact = "exact" if plan.exact else "estimated"
    out.print(f"  input tokens: {plan.input_tokens:,} ({exact}, {plan.counter})")
    out.print(f"  output tokens: ~{plan.output_tokens:,} (estimate: {plan.output_basis})")
    if plan.price is None or plan.cost_usd is None:
        out.print("  cost: unknown (no OpenAI price for this model)")
    else:
        family, price_in, price_out = plan.price
        out.print(
            f"  cost: ~[bold]{usd(plan.cost_usd)}[/] ({family} fine-tuned: ${price_in}/M input, "
            f"${price_out}/M output)"
        )


def usd(amount: float) -> str:
    """Dollars with cents, or four decimals below one dollar (a few prompts cost fractions)."""
    return f"${amount:,.2f}" if amount >= 1 else f"${amount:.4f}"


def _print_result(result: RecordResult, plan: RecordPlan) -> None:
    total = result.already + result.recorded
    out.print(
        f"Recorded {result.recorded} answers in {result.seconds:.1f} s "
        f"({result.rate:.1f} prompts/s); {total} of {plan.total} in {result.golden_jsonl}"
    )
    if result.pauses:
        out.print(f"  paused {result.pauses} times for the server's rate limit (Retry-After)")
    for failure in result.failures[:10]:
        out.print(f"  [red]refused[/] {failure.where}: {failure.message}")
    if len(result.failures) > 10:
        out.print(f"  … and {len(result.failures) - 10} more refused")
    if result.interrupted:
        return
    if result.failures:
        out.print("Run the same command again to retry the refused prompts.")
    else:
        out.print(f"Golden suite: {result.golden_yaml} (next: `tuneloop migrate openai retrain`)")
