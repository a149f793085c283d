"""``tuneloop worker``: run queued fine-tuning jobs in the foreground.

``tuneloop serve`` starts its own workers (``--train-workers``); run this command instead to
train on another machine (sharing the project's PostgreSQL database and artifact folder), or to
drain the queue once from a script (``--until-idle``).
"""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from tuneloop.cli.context import err, settings, store


def worker(
    name: Annotated[
        str | None, typer.Option(help="Worker name in job events (default: host:pid).")
    ] = None,
    poll_interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between looks at an empty queue.")
    ] = 2.0,
    stale_after: Annotated[
        float,
        typer.Option(
            min=10.0,
            help="Seconds without a heartbeat after which a running job counts as orphaned and "
            "is resumed from its last checkpoint.",
        ),
    ] = 60.0,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit once the queue is empty.")
    ] = False,
) -> None:
    """Run queued fine-tuning jobs (local LoRA) until stopped; Ctrl-C requeues the current job."""
    from tuneloop.train.worker import Worker

    runner = Worker(
        settings(), store(), name=name, poll_interval=poll_interval, stale_after=stale_after
    )

    def _stop(_signum: int, _frame: object) -> None:
        err.print("Stopping: the running job (if any) is saved and goes back to the queue.")
        runner.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    err.print(f"tuneloop worker {runner.name} waiting for fine-tuning jobs.")
    runner.run(until_idle=until_idle)
