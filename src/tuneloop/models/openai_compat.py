"""The ``openai`` backend: any OpenAI-compatible chat API through the official ``openai`` SDK.

Why the official SDK: it is what our users already run, it speaks every compatible server
(OpenAI, vLLM, TGI, llama.cpp server, Ollama, tuneloop's own ``tuneloop serve``) with just a
``base_url``, and it already implements retries with exponential backoff on 408/409/429/5xx and
connection errors (``max_retries``) and per-request timeouts. We only map its exceptions to ours
(:mod:`tuneloop.models.openai_errors`, shared with the ``openai`` trainer and ``tuneloop
migrate``).

Token counting: OpenAI's API has no tokenize endpoint. For an OpenAI model (``gpt-4o-mini``,
``ft:gpt-4.1-…``) :meth:`OpenAIChatModel.count_tokens` is exact, from the encodings bundled
offline (:mod:`tuneloop.text.openai_tokens`); for any other upstream it is an estimate — about one
token per 4 Latin characters and one per Hangul syllable, plus 4 per message for the chat
framing. Exact counts come back in ``usage`` after each call.

Half characters: an upstream that cuts a byte-level answer at ``max_tokens`` or a stop sequence
may send the rest of a split Hangul syllable as U+FFFD. A trailing U+FFFD is held back while
streaming and dropped when the answer ends (:mod:`tuneloop.models.decoding`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from tuneloop.models.decoding import TextHoldback, drop_incomplete_tail
from tuneloop.models.openai_errors import remote_errors
from tuneloop.models.types import Chunk, Completion, FinishReason, Message, SamplingParams, Usage

if TYPE_CHECKING:
    pass

__all__ = ["OpenAIChatModel", "estimate_message_tokens", "estimate_tokens"]


def estimate_tokens(text: str) -> int:
    """Rough token count: Hangul syllables ~1 token each, other text ~4 characters per token."""
    hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3")
    return hangul + (len(text) - hangul + 3) // 4


def estimate_message_tokens(messages: Sequence[Message]) -> int:
    """Estimated prompt tokens of a chat: content plus ~4 tokens of framing per message, +2."""
    return sum(4 + estimate_tokens(m.content) for m in messages) + 2


class OpenAIChatModel:
    """:class:`~tuneloop.models.base.ChatModel` over an OpenAI-compatible HTTP API."""

    def __init__(
        self,
        name: str,
        *,
        upstream_model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        context_window: int | None = None,
        key_env: str = "OPENAI_API_KEY",
    ) -> None:
        import openai

        self._name = name
        self.upstream_model = upstream_model
        self.key_env = key_env
        self._context_window = context_window
        self.client = openai.OpenAI(
            base_url=base_url,
            # The SDK refuses to start without a key; local servers such as vLLM accept any.
            api_key=api_key or "no-key",
            timeout=timeout,
            max_retries=max_retries,
        )

    @classmethod
    def from_config(cls, name: str, config: Mapping[str, Any], defaults: Any) -> OpenAIChatModel:
        """Build from a registration config, falling back to the project's ``[openai]`` settings."""
        key_env = str(config.get("api_key_env") or defaults.api_key_env)
        return cls(
            name,
            upstream_model=str(config.get("model") or config.get("target") or name),
            base_url=config.get("base_url") or defaults.base_url,
            api_key=os.environ.get(key_env),
            timeout=float(config.get("timeout") or defaults.timeout),
            max_retries=int(config.get("max_retries", defaults.max_retries)),
            context_window=config.get("context_window"),
            key_env=key_env,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def context_window(self) -> int | None:
        return self._context_window

    def _errors(self) -> AbstractContextManager[None]:
        """SDK exceptions as tuneloop's (:mod:`tuneloop.models.openai_errors`)."""
        return remote_errors(
            str(self.client.base_url), key_env=self.key_env, model=self.upstream_model
        )

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Exact for an OpenAI upstream model whose encoding is bundled
        (:mod:`tuneloop.text.openai_tokens`), else the estimate — vLLM, llama.cpp or Ollama
        models have tokenizers of their own that only their server knows."""
        from tuneloop.text import openai_tokens

        encoding = openai_tokens.encoding_for(self.upstream_model)
        if encoding is not None and openai_tokens.available(encoding):
            return openai_tokens.tokenizer(encoding).count_chat([m.as_dict() for m in messages])
        return estimate_message_tokens(messages)

    def _request(self, messages: Sequence[Message], params: SamplingParams) -> dict[str, Any]:
        req: dict[str, Any] = {
            "model": self.upstream_model,
            "messages": [m.as_dict() for m in messages],
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.max_tokens is not None:
            req["max_tokens"] = params.max_tokens
        if params.stop:
            req["stop"] = list(params.stop)
        if params.seed is not None:
            req["seed"] = params.seed
        return req

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Completion:
        with self._errors():
            resp = self.client.chat.completions.create(**self._request(messages, params))
        choice = resp.choices[0]
        usage = resp.usage
        return Completion(
            text=drop_incomplete_tail(choice.message.content or ""),
            finish_reason=_finish(choice.finish_reason),
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(0, 0),
            model=self._name,
        )

    def stream(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Chunk]:
        req = self._request(messages, params)
        finish: FinishReason = "stop"
        usage = Usage(0, 0)
        holdback = TextHoldback()
        with self._errors():
            events = self.client.chat.completions.create(
                **req, stream=True, stream_options={"include_usage": True}
            )
            for event in events:
                if event.usage is not None:
                    usage = Usage(event.usage.prompt_tokens, event.usage.completion_tokens)
                for choice in event.choices:
                    piece = holdback.push(choice.delta.content or "")
                    if piece:
                        yield Chunk(piece)
                    if choice.finish_reason:
                        finish = _finish(choice.finish_reason)
        holdback.finish()
        yield Chunk("", finish_reason=finish, usage=usage)


def _finish(reason: str | None) -> FinishReason:
    return "length" if reason == "length" else "stop"
