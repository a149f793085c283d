"""Models whose answer is computed without weights: the shared streaming of a ready reply.

Why one base: the test doubles (:mod:`tuneloop.models.testing`) and the trivial baselines (the
``echo`` and ``retrieve`` answerers) all know their whole answer up front; they must still behave
like a real backend — honour ``max_tokens`` and stop sequences, stream piece by piece, report
usage — and that behaviour lives here once. A "token" is a space-separated word.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from tuneloop.models.base import collect
from tuneloop.models.types import Chunk, Completion, FinishReason, Message, SamplingParams, Usage

__all__ = ["CannedReplyModel", "last_user_message", "words"]


def words(text: str) -> list[str]:
    """``text`` split after each space, so ``"".join(words(text)) == text``."""
    parts = text.split(" ")
    return [p + (" " if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


def last_user_message(messages: Sequence[Message]) -> str:
    """The content of the last ``user`` message ("" when there is none)."""
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return ""


class CannedReplyModel:
    """A ChatModel that streams what :meth:`_reply` returns; subclasses implement ``_reply``.

    ``calls`` counts answers (useful for checking caching and concurrency).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self.calls = 0
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def context_window(self) -> int | None:
        return None

    def _reply(self, messages: Sequence[Message]) -> str:
        """The whole answer to ``messages`` (before ``max_tokens`` and stop sequences)."""
        raise NotImplementedError

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return sum(len(m.content.split()) for m in messages)

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Completion:
        return collect(self._name, self.stream(messages, params))

    def stream(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Chunk]:
        with self._lock:
            self.calls += 1
        pieces = words(self._reply(messages))
        finish: FinishReason = "stop"
        if params.max_tokens is not None and len(pieces) > params.max_tokens:
            pieces, finish = pieces[: params.max_tokens], "length"
        text = "".join(pieces)
        for stop in params.stop:
            if stop in text:
                text, finish = text[: text.index(stop)], "stop"
        out = [w for w in words(text) if w]
        for piece in out:
            yield Chunk(piece)
        yield Chunk("", finish_reason=finish, usage=Usage(self.count_tokens(messages), len(out)))
