"""Trainers by name: what the ``register_trainers`` plugin hook provides.

Why factories, not instances: a trainer is bound to a project — its settings (API keys, base
URLs) and its store (where jobs, events and checkpoints are recorded) — so a plugin registers
``factory(settings, store) -> Trainer`` and tuneloop builds the trainer for the project at hand.
The built-ins (``local-lora``, ``openai``) come from :mod:`tuneloop.default_plugins.trainers`
through the same hook a third-party package would use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.errors import TrainError
from tuneloop.plugins import collect

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.registry import Store
    from tuneloop.train.base import Trainer

__all__ = ["TrainerFactory", "get_trainer", "trainer_factories"]

TrainerFactory = Callable[["Settings", "Store"], "Trainer"]
"""``factory(settings, store)`` returns a :class:`~tuneloop.train.base.Trainer` for that project."""


def trainer_factories() -> dict[str, TrainerFactory]:
    """Every registered trainer factory by name; a third-party one replaces a built-in."""
    factories: dict[str, TrainerFactory] = collect("register_trainers")
    return factories


def get_trainer(name: str, settings: Settings, store: Store) -> Trainer:
    """The trainer called ``name`` for this project; :class:`TrainError` if none is installed."""
    factories = trainer_factories()
    factory = factories.get(name)
    if factory is None:
        raise TrainError(
            f"No trainer named {name!r} is installed.",
            hint=f"Installed trainers: {', '.join(sorted(factories)) or 'none'}.",
        )
    return factory(settings, store)
