"""``tuneloop train``: run a fine-tuning job from a train file, estimate it, and follow jobs.

Why ``train run FILE`` and not ``train FILE``: a Typer group with a default command cannot also
have subcommands whose names could be file names, so running is a subcommand next to
``status``, ``list``, ``cancel`` and ``events``.

Why the job runs in the foreground by default: the CLI must work without a server. The workflow
is :mod:`tuneloop.train.run` (resolve the data, pick the trainer, record the job, work it here or
wait for it); this module parses flags, calls it, and draws a progress bar from the job's metrics
events (loss, tokens/s). Ctrl-C stops at the next step with a checkpoint; ``--resume JOB``
continues it. ``--detach`` only queues the job for a worker (``tuneloop serve`` or
``tuneloop worker``). A finished job is registered, never promoted.
"""

from __future__ import annotations

import getpass
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from tuneloop.cli.context import err, out, print_json, settings, store
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from tuneloop.registry import Store
    from tuneloop.train.base import JobEvent, TrainJob
    from tuneloop.train.config import TrainConfig
    from tuneloop.train.run import TrainRun

app = typer.Typer(help="Fine-tune a model and follow its jobs.", no_args_is_help=True)

JobArg = Annotated[str, typer.Argument(help="Job id (ftjob-…), from `tuneloop train list`.")]
_POLL_SECONDS = 0.5


def _hp_option(help_: str) -> Any:
    return typer.Option(help=help_, show_default=False)


@app.command("run")
def run(
    config_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="CONFIG", help="Train file (YAML, or TOML if it ends in .toml).", exists=True
        ),
    ] = None,
    trainer: Annotated[str | None, typer.Option(help="local-lora or openai.")] = None,
    base_model: Annotated[str | None, typer.Option(help="Model to fine-tune.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset version, e.g. seoul-qa@3.")] = None,
    training_data: Annotated[
        str | None, typer.Option(help="Split, JSONL file or file id instead of --dataset.")
    ] = None,
    validation_data: Annotated[str | None, typer.Option(help="Validation data.")] = None,
    epochs: Annotated[int | None, _hp_option("hyperparameters.n_epochs.")] = None,
    learning_rate: Annotated[float | None, _hp_option("hyperparameters.learning_rate.")] = None,
    batch_size: Annotated[int | None, _hp_option("hyperparameters.batch_size.")] = None,
    lora_r: Annotated[int | None, _hp_option("hyperparameters.lora_r.")] = None,
    max_steps: Annotated[int | None, _hp_option("hyperparameters.max_steps.")] = None,
    max_length: Annotated[int | None, _hp_option("hyperparameters.max_length.")] = None,
    seed: Annotated[int | None, _hp_option("hyperparameters.seed.")] = None,
    suffix: Annotated[str | None, typer.Option(help="Names the result ft:…:SUFFIX:ID.")] = None,
    model_name: Annotated[
        str | None, typer.Option(help="Model-registry name of the result.")
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="Prompt version, for lineage.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print tokens, time and cost; do not train.")
    ] = False,
    resume: Annotated[
        str | None, typer.Option(help="Continue this stopped, failed or killed job.")
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="Only queue the job for a worker; return at once.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune from a train file (flags override it), in the foreground by default."""
    from tuneloop.train.config import apply_overrides, load_train_config

    if resume is not None:
        _resume(resume, detach=detach, as_json=as_json)
        return
    if config_file is None and base_model is None:
        from tuneloop.errors import InvalidRequest

        raise InvalidRequest(
            "Nothing to train: give a train file, or at least --base-model and --dataset.",
            hint="e.g. tuneloop train run examples/seoul-travel/train.yaml",
        )
    config = apply_overrides(
        load_train_config(config_file) if config_file is not None else None,
        {
            "trainer": trainer,
            "base_model": base_model,
            "dataset": dataset,
            "training_data": training_data,
            "validation_data": validation_data,
            "suffix": suffix,
            "model_name": model_name,
            "prompt": prompt,
        },
        {
            "n_epochs": epochs,
            "learning_rate": learning_rate,
            "batch_size": batch_size,
            "lora_r": lora_r,
            "max_steps": max_steps,
            "max_length": max_length,
            "seed": seed,
        },
    )
    if dry_run:
        from tuneloop.train.dry_run import estimate_run

        estimate = estimate_run(config, store())
        if as_json:
            print_json(estimate.as_dict())
        else:
            _print_estimate(estimate)
        return
    _start(config, detach=detach, as_json=as_json)


def _start(config: TrainConfig, *, detach: bool, as_json: bool) -> None:
    from tuneloop.train import run as train_run

    started = train_run.start(config, settings(), store(), author=getpass.getuser())
    if detach:
        job = started.job
        if as_json:
            print_json(_job_dict(job))
        else:
            out.print(f"Queued [bold]{job.id}[/] ({job.trainer}, {job.status}).")
            out.print(f"Follow it with `tuneloop train status {job.id}`; a worker runs it.")
        return
    _follow(started, as_json=as_json)


def _resume(job_id: str, *, detach: bool, as_json: bool) -> None:
    from tuneloop.train import run as train_run

    started = train_run.resume(job_id, settings(), store())
    if detach:
        if as_json:
            print_json(_job_dict(started.job))
        else:
            out.print(f"Queued [bold]{started.job.id}[/] again; a worker resumes it.")
        return
    _follow(started, as_json=as_json)


def _follow(started: TrainRun, *, as_json: bool) -> None:
    """Follow the run, drawing progress; Ctrl-C asks a local run to stop at its next step."""
    import signal

    previous = signal.getsignal(signal.SIGINT)

    def _stop(signum: int, frame: object) -> None:
        err.print("[yellow]Stopping at the next step (a checkpoint is saved)…[/]")
        started.stop()
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts at once

    handle = started.local and threading.current_thread() is threading.main_thread()
    if handle:
        signal.signal(signal.SIGINT, _stop)
    try:
        with _JobProgress(store(), started.job.id, enabled=not as_json) as progress:
            final = started.follow(on_progress=progress.refresh)
    finally:
        if handle:
            signal.signal(signal.SIGINT, previous)
    if as_json:
        print_json(_job_dict(final))
        return
    _print_outcome(final)


class _JobProgress:
    """A progress bar on stderr fed by the job's metrics events (step, loss, tokens/s), read
    from the store by a background thread — the same events ``train events`` shows."""

    def __init__(self, db: Store, job_id: str, *, enabled: bool) -> None:
        self.db = db
        self.job_id = job_id
        self.enabled = enabled
        self._seen: set[str] = set()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> _JobProgress:
        if not self.enabled:
            return self
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.job_id, total=None, metrics="")
        self._thread = threading.Thread(target=self._poll, name="train-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self.refresh()
        if self._progress is not None:
            self._progress.stop()

    def _poll(self) -> None:
        while not self._done.wait(_POLL_SECONDS):
            self.refresh()

    def refresh(self) -> None:
        if self._progress is None or self._task is None:
            return
        events, _ = self.db.train_jobs.events(self.job_id, limit=100)
        for event in reversed(events):
            if event.id in self._seen:
                continue
            self._seen.add(event.id)
            self._show(event)

    def _show(self, event: JobEvent) -> None:
        assert self._progress is not None and self._task is not None
        data = event.data
        if "step" in data and "total_steps" in data:
            shown = []
            if (loss := data.get("train_loss", data.get("loss"))) is not None:
                shown.append(f"loss {float(loss):.3f}")
            if (tps := data.get("tokens_per_second")) is not None:
                shown.append(f"{float(tps):.0f} tok/s")
            self._progress.update(
                self._task,
                completed=int(data["step"]),
                total=int(data["total_steps"]),
                metrics="  ".join(shown),
            )
        elif event.level != "info" or event.type == "message":
            style = {"warn": "yellow", "error": "red"}.get(event.level, "dim")
            self._progress.console.print(Text(event.message, style=style), emoji=False)


def _job_dict(job: TrainJob) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(job)
    for key in ("created_at", "started_at", "finished_at"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


def _print_outcome(job: TrainJob) -> None:
    if job.status == "succeeded":
        out.print(f"[green]Succeeded[/] {job.id}: [bold]{job.fine_tuned_model}[/]")
        for version in store().models.find_by_job(job.id):
            aliases = [
                a for a, v in store().models.aliases(version.name).items() if v == version.version
            ]
            where = f" ({', '.join(aliases)})" if aliases else ""
            out.print(f"Registered as [bold]{version.ref}[/]{where}.")
            out.print(f"Chat with it: tuneloop chat --model {version.ref}")
            out.print(
                "Training moves no alias: evaluate it, `tuneloop eval gate …`, then "
                f"`tuneloop models promote {version.ref} --to production`."
            )
        return
    if job.status in ("queued", "running"):
        out.print(f"Stopped {job.id} ({job.status}); continue with:")
        out.print(f"  tuneloop train run --resume {job.id}")
        return
    message = (job.error or {}).get("message", "")
    out.print(f"[red]{job.status.capitalize()}[/] {job.id}" + (f": {message}" if message else ""))
    if job.status in ("failed", "cancelled"):
        out.print(f"Resume it with `tuneloop train run --resume {job.id}`.")
    raise typer.Exit(code=1 if job.status == "failed" else 0)


def _print_estimate(estimate: Any) -> None:
    data = estimate.as_dict()
    table = Table("", "", show_header=False, box=None)
    for label, value in estimate.rows():
        table.add_row(label, value)
    out.print(f"[bold]Dry run[/] — {data['trainer']} on {data['base_model']}; nothing trained.")
    out.print(table)
    costs = data.get("openai_costs") or []
    if costs:
        prices = Table("OpenAI model", "USD / 1M tokens", "billed tokens", "estimated cost")
        for row in costs:
            prices.add_row(
                row["model"],
                f"{row['price_per_million']:.2f}",
                f"{row['billed_tokens']:,}",
                f"${row['cost_usd']:.2f}",
            )
        out.print(prices)
        out.print(f"[dim]{data['price_note']}[/]")


@app.command("status")
def status(job_id: JobArg, as_json: JsonOption = False) -> None:
    """A job's state, result, metrics and last events."""
    job = store().train_jobs.get(job_id)
    if as_json:
        print_json(_job_dict(job))
        return
    table = Table("", "", show_header=False, box=None)
    table.add_row("job", job.id)
    table.add_row("trainer", job.trainer)
    table.add_row("status", job.status)
    table.add_row("base model", job.base_model)
    table.add_row("training data", job.training_data)
    table.add_row("validation data", job.validation_data or "-")
    table.add_row("fine-tuned model", job.fine_tuned_model or "-")
    if job.trained_tokens is not None:
        table.add_row("trained tokens", f"{job.trained_tokens:,}")
    for key, value in job.metrics.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    if job.error:
        table.add_row("error", str(job.error.get("message", job.error)))
    out.print(table)


@app.command("list")
def list_jobs(
    limit: Annotated[int, typer.Option(help="How many jobs, newest first.", min=1)] = 20,
    as_json: JsonOption = False,
) -> None:
    """Fine-tuning jobs of every trainer, newest first."""
    jobs, _ = store().train_jobs.list(limit=limit)
    if as_json:
        print_json([_job_dict(job) for job in jobs])
        return
    table = Table("job", "trainer", "status", "base model", "created", "fine-tuned model")
    for job in jobs:
        table.add_row(
            job.id,
            job.trainer,
            job.status,
            job.base_model,
            job.created_at.strftime("%Y-%m-%d %H:%M"),
            job.fine_tuned_model or "",
        )
    out.print(table)


@app.command("cancel")
def cancel(job_id: JobArg, as_json: JsonOption = False) -> None:
    """Cancel a job: at once if it has not started, else at its next step."""
    from tuneloop.train.run import trainer_for

    job = store().train_jobs.get(job_id)
    cancelled = trainer_for(job.trainer, settings(), store()).cancel(job_id)
    if as_json:
        print_json(_job_dict(cancelled))
    elif cancelled.status == "cancelled":
        out.print(f"Cancelled {job_id}.")
    else:
        out.print(f"Cancelling {job_id}: it stops at its next step (a checkpoint is saved).")


@app.command("events")
def events(
    job_id: JobArg,
    limit: Annotated[int, typer.Option(help="How many events, newest last.", min=1)] = 50,
    as_json: JsonOption = False,
) -> None:
    """A job's log: messages and metrics (step, loss, tokens/s), oldest first."""
    found, _ = store().train_jobs.events(job_id, limit=limit)
    ordered = list(reversed(found))
    if as_json:
        print_json(
            [
                {
                    "id": e.id,
                    "created_at": e.created_at.isoformat(),
                    "level": e.level,
                    "type": e.type,
                    "message": e.message,
                    "data": e.data,
                }
                for e in ordered
            ]
        )
        return
    for event in ordered:
        style = {"warn": "yellow", "error": "red"}.get(event.level, "")
        line = f"{event.created_at:%H:%M:%S} {event.message}"
        out.print(Text(line, style=style), emoji=False)
