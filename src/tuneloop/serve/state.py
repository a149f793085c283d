"""What the running server holds: settings, store, model catalog, auth mode."""

from __future__ import annotations

from dataclasses import dataclass

from tuneloop.config import Settings
from tuneloop.models.catalog import Catalog
from tuneloop.registry import Store

__all__ = ["ServerState"]


@dataclass
class ServerState:
    settings: Settings
    store: Store
    catalog: Catalog
    require_auth: bool = True
