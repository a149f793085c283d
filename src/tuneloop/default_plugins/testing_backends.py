"""Registers ``echo``: a backend with no weights, for trying the server and for tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl
from tuneloop.models.catalog import BackendFactory, ModelSpec

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.models.base import ChatModel


def _echo(spec: ModelSpec, settings: Settings) -> ChatModel:
    from tuneloop.models.testing import EchoModel

    return EchoModel(name=spec.name)


@hookimpl
def register_backends(register: Callable[[str, BackendFactory], None]) -> None:
    register("echo", _echo)
