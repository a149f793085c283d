"""The ``retrieve`` baseline: a chat model whose answer is the best-matching passage.

Why it exists: a fine-tune or a prompt is only worth something if it beats *looking the answer up*
in the project's own documents. Any metric that scores this model close to a real one measures
overlap with the documents, not understanding (see docs/eval.md, "Trivial baselines").

The query is the conversation's last user message; the answer is the text of the top passage from
the :class:`~tuneloop.text.retrieval.Retriever` — empty when no passage shares a term with the
question — cut at ``max_tokens`` words and at stop sequences like every other answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from tuneloop.models.canned import CannedReplyModel, last_user_message
from tuneloop.models.types import Message
from tuneloop.text.retrieval import Hit, Retriever

__all__ = ["RetrievalModel"]


class RetrievalModel(CannedReplyModel):
    """Answers with the best passage ``retriever`` finds for the last user message."""

    def __init__(self, retriever: Retriever, name: str = "retrieve") -> None:
        super().__init__(name)
        self.retriever = retriever

    @property
    def cache_identity(self) -> str:
        """The response cache keys on what is searched: new documents, new answers."""
        return f"tuneloop.knowledge.RetrievalModel|{self.retriever.content_hash}"

    def best(self, messages: Sequence[Message]) -> Hit | None:
        """The passage the answer is made of, or None when nothing matches."""
        hits = self.retriever.search(last_user_message(messages), k=1)
        return hits[0] if hits else None

    def _reply(self, messages: Sequence[Message]) -> str:
        hit = self.best(messages)
        return hit.passage.text if hit is not None else ""
