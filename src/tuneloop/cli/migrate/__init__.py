"""``tuneloop migrate openai``: one module per command (inventory, pull, record, retrain, parity,
switch, import-evals), all registering on the group in :mod:`tuneloop.cli.migrate._app`."""

from __future__ import annotations

from tuneloop.cli.migrate import (
    import_evals,  # noqa: F401  (registers import-evals)
    inventory,  # noqa: F401  (registers inventory)
    parity,  # noqa: F401  (registers parity)
    pull,  # noqa: F401  (registers pull)
    record,  # noqa: F401  (registers record)
    retrain,  # noqa: F401  (registers retrain)
    switch,  # noqa: F401  (registers switch)
)
from tuneloop.cli.migrate._app import app

__all__ = ["app"]
