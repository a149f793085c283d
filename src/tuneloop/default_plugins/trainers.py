"""The built-in fine-tuning backends (``local-lora``, ``openai``), registered through the same
hook a third-party package would use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.registry import Store
    from tuneloop.train.base import Trainer
    from tuneloop.train.registry import TrainerFactory


def _local_lora(settings: Settings, store: Store) -> Trainer:
    from tuneloop.train.local_lora import LocalLoraTrainer

    return LocalLoraTrainer(settings, store)


def _openai(settings: Settings, store: Store) -> Trainer:
    from tuneloop.train.openai_trainer import OpenAITrainer

    return OpenAITrainer.from_settings(settings, store)


@hookimpl
def register_trainers(register: Callable[[str, TrainerFactory], None]) -> None:
    register("local-lora", _local_lora)
    register("openai", _openai)
