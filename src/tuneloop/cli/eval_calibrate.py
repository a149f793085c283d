"""``tuneloop eval calibrate METRIC``: how far a metric agrees with hand labels.

The work is in :mod:`tuneloop.evaluate.calibrate`; this module parses options and prints the
figures (accuracy, Cohen's κ, the confusion table and the items the metric gets wrong).
It registers itself on the ``tuneloop eval`` group owned by :mod:`tuneloop.cli.eval`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import out, print_json
from tuneloop.cli.eval import app
from tuneloop.cli.options import JsonOption

__all__ = ["calibrate"]


@app.command("calibrate")
def calibrate(
    metric: Annotated[str, typer.Argument(help="A calibrated metric, e.g. fact_recall.")],
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="Count a score at or above this as 'good' (default: the metric's own).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Score METRIC's labelled calibration set and print accuracy, Cohen's kappa and the
    confusion table; fails for an unknown metric or one without a calibration set."""
    from tuneloop.evaluate.calibrate import calibrate as run_calibration

    result = run_calibration(metric, threshold=threshold)
    if as_json:
        print_json(result.as_dict())
        return
    method = f", method {result.method}" if result.method else ""
    out.print(
        f"[bold]{result.metric}[/]: {result.items} labelled answers, threshold "
        f"{result.threshold:g}{method}"
    )
    out.print(f"accuracy {result.accuracy:.3f}   Cohen's κ {result.kappa:.3f}")
    table = Table("", "labelled good", "labelled bad")
    table.add_row("scored good", str(result.true_positive), str(result.false_positive))
    table.add_row("scored bad", str(result.false_negative), str(result.true_negative))
    out.print(table)
    if result.disagreements:
        wrong = Table("item", "kind", "label", "score", "answer", title="Disagreements")
        for item in result.disagreements:
            wrong.add_row(
                str(item["id"]),
                str(item["kind"]),
                "good" if item["label"] else "bad",
                f"{item['score']:.3f}",
                str(item["answer"]),
            )
        out.print(wrong)
