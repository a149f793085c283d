"""Progress bars for long commands, drawn on stderr so stdout stays clean for ``--json`` and pipes.

Why one helper: every long step (ingest, clean, qa, train, eval) reports progress the same way, as
``callback(stage, done, total)``; the components stay free of rich and the CLI draws one bar per
stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

from tuneloop.cli.context import err

__all__ = ["StageCallback", "stage_progress"]

StageCallback = Callable[[str, int, int], None]


@contextmanager
def stage_progress(*, enabled: bool = True) -> Iterator[StageCallback]:
    """Yield ``callback(stage, done, total)``; each new stage name gets its own bar."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
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
