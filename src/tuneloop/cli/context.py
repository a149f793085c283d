"""What every command shares: the global options, and lazy access to settings, store and models.

Commands call these helpers instead of building settings or stores themselves, so ``--project``
and ``TUNELOOP_*`` variables mean the same thing everywhere.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.models.catalog import Catalog
    from tuneloop.registry import Store

__all__ = ["Globals", "catalog", "err", "globals_", "out", "print_json", "settings", "store"]

out = Console(highlight=False, soft_wrap=True)
# soft_wrap: error paragraphs must not be cut into lines at 80 columns when piped.
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class Globals:
    project: Path | None = None
    debug: bool = False


globals_ = Globals()


@functools.cache
def settings() -> Settings:
    from tuneloop.config import load_settings

    return load_settings(globals_.project)


@functools.cache
def store() -> Store:
    from tuneloop.registry import Store

    return Store.from_settings(settings())


@functools.cache
def catalog() -> Catalog:
    from tuneloop.models.catalog import Catalog

    return Catalog(settings(), store())


def print_json(data: Any) -> None:
    """JSON for scripts: plain stdout, UTF-8, no rich markup or wrapping."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def reset() -> None:
    """Forget cached settings/store (tests invoke several commands in one process)."""
    for fn in (settings, store, catalog):
        fn.cache_clear()
