"""The built-in evaluation metrics, registered through the same hook a third-party package would
use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.evaluate.metrics import MetricFactory


@hookimpl
def register_metrics(register: Callable[[str, MetricFactory], None]) -> None:
    return None
