"""Test doubles that behave like real models: public, so plugin authors can test with them too.

``EchoModel`` answers with the last user message; ``ScriptedModel`` plays back given replies in
order and counts calls (useful for checking caching and concurrency later). Both stream through
:class:`~tuneloop.models.canned.CannedReplyModel`, so they honour ``max_tokens`` (in words) and
stop sequences as a real backend does.
"""

from __future__ import annotations

from collections.abc import Sequence

from tuneloop.models.canned import CannedReplyModel, last_user_message
from tuneloop.models.types import Message

__all__ = ["EchoModel", "ScriptedModel"]


class ScriptedModel(CannedReplyModel):
    """Replies with ``replies`` in turn (cycling); a "token" is a space-separated word."""

    def __init__(self, replies: Sequence[str], name: str = "scripted") -> None:
        if not replies:
            raise ValueError("ScriptedModel needs at least one reply")
        super().__init__(name)
        self.replies = list(replies)
        self._next = 0

    def _reply(self, messages: Sequence[Message]) -> str:
        with self._lock:
            reply = self.replies[self._next % len(self.replies)]
            self._next += 1
        return reply


class EchoModel(CannedReplyModel):
    """Replies with the last user message, word by word.

    It is also the ``echo`` trivial baseline (``tuneloop eval run --baseline echo``): an answer
    that only restates the question, which any useful metric must score low.
    """

    def __init__(self, name: str = "echo") -> None:
        super().__init__(name)

    def _reply(self, messages: Sequence[Message]) -> str:
        return last_user_message(messages)
