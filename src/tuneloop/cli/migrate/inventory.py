"""``tuneloop migrate openai inventory``: the account's fine-tuning jobs and fine-tuned models,
with the days left before each model shuts down. The work is
:func:`tuneloop.migrate.inventory.take_inventory`; this module parses options and prints."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tuneloop.cli.context import out, print_json
from tuneloop.cli.migrate._app import openai_app
from tuneloop.cli.migrate._options import (
    BaseUrlOption,
    KeyEnvOption,
    OpenAIProjectOption,
    OrganizationOption,
    account,
)
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.migrate.inventory import Inventory, JobInfo

__all__ = ["inventory"]

_STATUS = {"succeeded": "green", "failed": "red", "cancelled": "yellow"}


@openai_app.command()
def inventory(
    base_url: BaseUrlOption = None,
    key_env: KeyEnvOption = "OPENAI_API_KEY",
    organization: OrganizationOption = None,
    project: OpenAIProjectOption = None,
    page_size: Annotated[
        int,
        typer.Option("--page-size", min=1, max=100, help="Jobs fetched per request (paging)."),
    ] = 100,
    json_output: JsonOption = False,
) -> None:
    """List the account's fine-tuning jobs and fine-tuned models: base model, status, dates,
    trained tokens, hyperparameters, result metrics, checkpoints, files and shutdown dates."""
    from tuneloop.migrate.inventory import take_inventory

    found = take_inventory(account(base_url, key_env, organization, project), page_size=page_size)
    if json_output:
        print_json(found.as_dict())
        return
    _print(found)


def _days(days: int | None) -> str:
    from tuneloop.migrate.inventory import SHUTDOWN_WARNING_DAYS

    if days is None:
        return "-"
    text = f"{days} days" if days >= 0 else f"shut down {-days} days ago"
    return f"[bold red]{text}[/]" if days < SHUTDOWN_WARNING_DAYS else text


def _knobs(job: JobInfo) -> str:
    names = {"n_epochs": "epochs", "batch_size": "batch", "learning_rate_multiplier": "lr×"}
    parts = [
        f"{names.get(k, k)}{'' if k == 'learning_rate_multiplier' else '='}{v}"
        for k, v in job.hyperparameters.items()
        if k != "seed"
    ]
    return f"{job.method_type}: " + " ".join(parts) if parts else job.method_type


def _metrics(values: dict[str, Any]) -> str:
    shown = [
        f"{k} {v:.4g}"
        for k, v in values.items()
        if k in ("train_loss", "valid_loss", "full_valid_loss")
    ]
    return ", ".join(shown) or "-"


def _error(job: JobInfo) -> str:
    message = (job.error or {}).get("message")
    return f"\n{escape(str(message))}" if message else ""


def _date(value: date | None) -> str:
    return value.isoformat() if value else "-"


def _print(found: Inventory) -> None:
    jobs = Table(title=f"Fine-tuning jobs on {found.base_url}")
    for column in ("job", "status", "base model → fine-tuned model", "created", "finished"):
        jobs.add_column(column, overflow="fold")  # ids are copied from here: never cut them
    for column in ("tokens", "hyperparameters", "metrics", "checkpoints", "files"):
        jobs.add_column(column, overflow="fold")
    for job in found.jobs:
        color = _STATUS.get(job.status, "cyan")
        files = [f"train {job.training_file}"]
        if job.validation_file:
            files.append(f"valid {job.validation_file}")
        files.extend(f"result {f}" for f in job.result_files)
        jobs.add_row(
            job.id,
            f"[{color}]{job.status}[/]" + _error(job),
            f"{job.base_model} → {job.fine_tuned_model or '-'}",
            _date(job.created_at.date()),
            _date(job.finished_at.date() if job.finished_at else None),
            f"{job.trained_tokens:,}" if job.trained_tokens is not None else "-",
            _knobs(job),
            _metrics(job.metrics),
            ", ".join(str(c.step) for c in job.checkpoints) or "-",
            "\n".join(files),
        )
    out.print(jobs)
    models = Table(title="Fine-tuned models")
    for column in ("model", "base model", "job", "shutdown", "days left", "name"):
        models.add_column(column, overflow="fold")
    by_job = {j.id: j for j in found.jobs}
    for model in found.models:
        made_by = by_job.get(model.job_id or "")
        shutdown = _date(model.shutdown_date)
        if model.shutdown_source and model.shutdown_source != "model":
            shutdown += f" ({model.shutdown_source})"
        models.add_row(
            model.id,
            model.base_model,
            model.job_id or "-",
            shutdown,
            _days(model.days_left(found.today)),
            made_by.default_name if made_by else "-",
        )
    out.print(models)
    stop = found.new_jobs_stop
    out.print(
        f"OpenAI stops new fine-tuning jobs on {stop.isoformat()} "
        f"({_days((stop - found.today).days)} left)."
    )
    if any(j.status == "succeeded" for j in found.jobs):
        out.print(
            "Next: `tuneloop migrate openai pull FT_MODEL_OR_JOB --name NAME` (or --all) "
            "takes the data, settings and metrics of each fine-tune."
        )
