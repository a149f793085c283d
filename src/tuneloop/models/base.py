"""The ChatModel seam every backend implements.

Why a Protocol and not a base class: third-party backends (plugins) need not inherit from us; they
only have to behave. ``generate`` has a default in :func:`collect` so a backend may implement
``stream`` alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from tuneloop.errors import BackendError
from tuneloop.models.types import Chunk, Completion, FinishReason, Message, SamplingParams, Usage

__all__ = ["ChatModel", "collect"]


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: messages in, text out, whole or streamed."""

    @property
    def name(self) -> str:
        """The name clients use for this model (``smollm2-135m``, ``ft:...``)."""
        ...

    @property
    def context_window(self) -> int | None:
        """Prompt plus completion tokens the model accepts, when known."""
        ...

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Completion:
        """The whole answer at once."""
        ...

    def stream(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Chunk]:
        """The answer piece by piece; the last chunk carries ``finish_reason`` and ``usage``."""
        ...

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt tokens these messages cost, chat template included."""
        ...


def collect(model_name: str, chunks: Iterator[Chunk]) -> Completion:
    """Join a stream into one :class:`Completion` (the shared ``generate`` implementation)."""
    parts: list[str] = []
    finish: FinishReason | None = None
    usage: Usage | None = None
    for chunk in chunks:
        parts.append(chunk.text)
        if chunk.finish_reason is not None:
            finish = chunk.finish_reason
        if chunk.usage is not None:
            usage = chunk.usage
    if finish is None or usage is None:
        raise BackendError(f"Model {model_name!r} ended its stream without a final chunk.")
    return Completion(text="".join(parts), finish_reason=finish, usage=usage, model=model_name)
