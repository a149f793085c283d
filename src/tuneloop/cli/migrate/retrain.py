"""``tuneloop migrate openai retrain``: the pulled job's settings as a local train file, then a
local training run. The translation is :func:`tuneloop.migrate.retrain.plan_retrain`; training is
the ordinary workflow (:mod:`tuneloop.train.run`), followed with ``tuneloop train run``'s progress
bar; this module parses options and prints."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import out, print_json, settings, store
from tuneloop.cli.migrate._app import openai_app
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.migrate.retrain import RetrainPlan

__all__ = ["retrain"]


@openai_app.command("retrain")
def retrain(
    source: Annotated[
        str,
        typer.Argument(
            help="The pulled fine-tune: its tuneloop name, ft:… model id or ftjob-… job id."
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", help="The tuneloop model name (default: the name pull gave it)."),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Local base model to fine-tune (default: the mapping table's stand-in for the "
            "job's base model).",
        ),
    ] = None,
    write_only: Annotated[
        bool, typer.Option("--write-only", help="Write migrate/NAME/train.yaml; do not train.")
    ] = False,
    steps: Annotated[
        int | None, typer.Option("--steps", min=1, help="Stop after N optimizer steps.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Training seed (default: the job's, else 0).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Translate the job's settings into a local train file (with the reasoning as comments),
    then train it as the next version of the same model name (never promoted)."""
    from tuneloop.migrate.retrain import plan_retrain, start_retrain, write_train_file

    plan = plan_retrain(
        store(), settings().project_dir, source, name=name, base=base, steps=steps, seed=seed
    )
    write_train_file(plan)
    if write_only:
        if as_json:
            print_json(plan.as_dict())
        else:
            _print_plan(plan)
            out.print(f"Train it with `tuneloop train run {plan.path}`.")
        return
    if not as_json:
        _print_plan(plan)
    started = start_retrain(plan, settings(), store(), author=getpass.getuser())
    if as_json:
        from dataclasses import asdict

        final = started.follow()
        versions = store().models.find_by_job(final.id)
        print_json(
            {
                **plan.as_dict(),
                "job": {"id": final.id, "status": final.status, **_error(asdict(final))},
                "registered": [v.ref for v in versions],
            }
        )
        if final.status != "succeeded":
            raise typer.Exit(code=1)
        return
    from tuneloop.cli.train import _follow

    _follow(started, as_json=False)


def _error(job: dict[str, object]) -> dict[str, object]:
    return {"error": job["error"]} if job.get("error") else {}


def _print_plan(plan: RetrainPlan) -> None:
    out.print(
        f"[bold]{plan.source.model_id}[/] ({plan.source.ref}) → local [bold]{plan.name}[/] "
        f"on {plan.config.base_model}, dataset {plan.config.dataset}"
    )
    table = Table("setting", "local", "OpenAI", "why")
    for knob in plan.knobs:
        value = "r16 on 7 projections" if knob.key == "lora" else str(knob.value)
        table.add_row(knob.key, value, "" if knob.openai is None else str(knob.openai), knob.reason)
    out.print(table)
    for note in plan.notes:
        out.print(f"[dim]{note}[/]")
    out.print(f"Wrote [bold]{plan.path}[/].")
