"""``tuneloop migrate openai pull``: an OpenAI fine-tune's files, settings and metrics into a
dataset version and a source model version. The work is :func:`tuneloop.migrate.pull.pull`;
this module parses options and prints what each job gave."""

from __future__ import annotations

import getpass
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
    account,
)
from tuneloop.cli.options import JsonOption
from tuneloop.cli.progress import stage_progress

if TYPE_CHECKING:
    from tuneloop.migrate.pull import PullResult

__all__ = ["pull"]

_SHOWN_PII = 10


@openai_app.command()
def pull(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="Fine-tuned model ids (ft:…) or job ids (ftjob-…) to pull.",
            metavar="JOB_OR_MODEL",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="tuneloop model name (default: the fine-tune's suffix, else "
            "openai-<last 8 characters of the job id>).",
        ),
    ] = None,
    all_jobs: Annotated[
        bool, typer.Option("--all", help="Pull every succeeded job of the account.")
    ] = False,
    keep_pii: Annotated[
        bool,
        typer.Option(
            "--keep-pii", help="Register records as they are, PII included (default: redact)."
        ),
    ] = False,
    author: Annotated[str | None, typer.Option(help="Author; default: your user name.")] = None,
    base_url: BaseUrlOption = None,
    key_env: KeyEnvOption = "OPENAI_API_KEY",
    organization: OrganizationOption = None,
    project: OpenAIProjectOption = None,
    json_output: JsonOption = False,
) -> None:
    """Download each job's training/validation files, step metrics and metadata, validate and
    PII-scan them, and register dataset NAME-openai and model NAME (the old fine-tune, pointed to
    by NAME@production if that alias is new). Safe to re-run: nothing is downloaded twice."""
    from tuneloop.migrate.pull import pull as pull_jobs

    with stage_progress(enabled=not json_output) as progress:
        results = pull_jobs(
            store(),
            account(base_url, key_env, organization, project),
            sources or [],
            project_dir=settings().project_dir,
            author=author or getpass.getuser(),
            name=name,
            all_jobs=all_jobs,
            keep_pii=keep_pii,
            progress=progress,
        )
    if json_output:
        print_json([r.as_dict() for r in results])
        return
    for result in results:
        _print(result)
    if not results:
        out.print("No succeeded fine-tuning job to pull.")


def _print(result: PullResult) -> None:
    job = result.job
    table = Table(title=f"{job.id} → {result.name}", show_header=False)
    table.add_column("what")
    table.add_column("result")
    for pulled in result.files:
        state = "downloaded" if pulled.downloaded else "already pulled"
        table.add_row(f"{pulled.role} file", f"{pulled.file_id} ({pulled.bytes:,} bytes, {state})")
    splits = result.dataset.counts.get("splits", {})
    counts = ", ".join(f"{k} {v.get('examples', 0)}" for k, v in splits.items())
    verb = "new" if result.dataset_created else "unchanged"
    table.add_row("dataset", f"{result.dataset.ref} ({verb}; {counts} examples)")
    verb = "new" if result.source_created else "unchanged"
    table.add_row("source model", f"{result.source.ref} = {result.source.model_id} ({verb})")
    if result.production_set:
        table.add_row("alias", f"{result.name}@production → {result.source.ref} (was unset)")
    if result.metrics:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in result.metrics.items())
        table.add_row("metrics", shown)
    if result.shutdown_date:
        table.add_row("shutdown", result.shutdown_date.isoformat())
    if result.pii_counts:
        found = ", ".join(f"{k} {v}" for k, v in result.pii_counts.items())
        what = "redacted" if result.pii_redacted else "[bold red]kept (--keep-pii)[/]"
        table.add_row("PII", f"{found} — {what}")
    else:
        table.add_row("PII", "none found")
    out.print(table)
    for hit in result.pii_hits[:_SHOWN_PII]:
        field = f" {hit.field}" if hit.field else ""
        out.print(f"  {hit.where}{field}: {hit.entity} {hit.preview}")
    if len(result.pii_hits) > _SHOWN_PII:
        out.print(f"  … and {len(result.pii_hits) - _SHOWN_PII} more")
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    out.print(f"Next: `{result.next_command}`")
