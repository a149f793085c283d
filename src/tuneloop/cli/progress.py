"""Progress bars for long commands, drawn on stderr so stdout stays clean for ``--json`` and pipes.

Why one helper: every long step (ingest, clean, qa, train, eval) reports progress the same way, as
``callback(stage, done, total)``; the components stay free of rich and the CLI draws one bar per
stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TimeElapsedColumn,
)
from rich.text import Text

from tuneloop.cli.context import err

__all__ = ["RateColumn", "StageCallback", "stage_progress"]

StageCallback = Callable[[str, int, int], None]


class RateColumn(ProgressColumn):
    """Items per second (``12.3 prompts/s``), from rich's moving estimate of the task's speed."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        shown = f"{speed:.1f}" if speed else "–"
        return Text(f"{shown} {self.unit}/s", style="progress.data.speed")


@contextmanager
def stage_progress(*, enabled: bool = True, unit: str | None = None) -> Iterator[StageCallback]:
    """Yield ``callback(stage, done, total)``; each new stage name gets its own bar. With
    ``unit`` (``"prompts"``) the bars also show the rate, e.g. ``12.3 prompts/s``."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    rate = [RateColumn(unit)] if unit else []
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        *rate,
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update
