"""Test doubles that behave like real models: public, so plugin authors can test with them too.

``EchoModel`` answers with the last user message; ``ScriptedModel`` plays back given replies in
order and counts calls (useful for checking caching and concurrency later).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from tuneloop.models.base import collect
from tuneloop.models.types import Chunk, Completion, FinishReason, Message, SamplingParams, Usage

__all__ = ["EchoModel", "ScriptedModel"]


def _words(text: str) -> list[str]:
    parts = text.split(" ")
    return [p + (" " if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


class ScriptedModel:
    """Replies with ``replies`` in turn (cycling); a "token" is a space-separated word."""

    def __init__(self, replies: Sequence[str], name: str = "scripted") -> None:
        if not replies:
            raise ValueError("ScriptedModel needs at least one reply")
        self._name = name
        self.replies = list(replies)
        self.calls = 0
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def context_window(self) -> int | None:
        return None

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return sum(len(m.content.split()) for m in messages)

    def _reply(self, messages: Sequence[Message]) -> str:
        with self._lock:
            reply = self.replies[self.calls % len(self.replies)]
            self.calls += 1
        return reply

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Completion:
        return collect(self._name, self.stream(messages, params))

    def stream(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Chunk]:
        words = _words(self._reply(messages))
        finish: FinishReason = "stop"
        if params.max_tokens is not None and len(words) > params.max_tokens:
            words, finish = words[: params.max_tokens], "length"
        text = "".join(words)
        for stop in params.stop:
            if stop in text:
                text, finish = text[: text.index(stop)], "stop"
        pieces = [w for w in _words(text) if w]
        for piece in pieces:
            yield Chunk(piece)
        yield Chunk("", finish_reason=finish, usage=Usage(self.count_tokens(messages), len(pieces)))


class EchoModel(ScriptedModel):
    """Replies with the last user message, word by word."""

    def __init__(self, name: str = "echo") -> None:
        super().__init__([""], name=name)

    def _reply(self, messages: Sequence[Message]) -> str:
        with self._lock:
            self.calls += 1
        users = [m.content for m in messages if m.role == "user"]
        return users[-1] if users else ""
