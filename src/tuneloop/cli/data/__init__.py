"""``tuneloop data``: one module per command (ingest, qa, clean, label, validate, split, export,
versions), all registering on the group in :mod:`tuneloop.cli.data._app`."""

from __future__ import annotations

from tuneloop.cli.data import (
    clean,
    export,
    ingest,
    label,
    prepare,
    qa,
    split,
    validate,
    versions,
)
from tuneloop.cli.data._app import app

__all__ = [
    "app",
    "clean",
    "export",
    "ingest",
    "label",
    "prepare",
    "qa",
    "split",
    "validate",
    "versions",
]
