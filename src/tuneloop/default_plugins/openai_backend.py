"""Registers the ``openai`` backend (official SDK; any OpenAI-compatible ``base_url``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl
from tuneloop.models.catalog import BackendFactory, ModelSpec

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.models.base import ChatModel


def _openai(spec: ModelSpec, settings: Settings) -> ChatModel:
    from tuneloop.models.openai_compat import OpenAIChatModel

    return OpenAIChatModel.from_config(spec.name, spec.config, settings.openai)


@hookimpl
def register_backends(register: Callable[[str, BackendFactory], None]) -> None:
    register("openai", _openai)
