"""The ``openai`` backend: any OpenAI-compatible chat API through the official ``openai`` SDK.

Why the official SDK: it is what our users already run, it speaks every compatible server
(OpenAI, vLLM, TGI, llama.cpp server, Ollama, tuneloop's own ``tuneloop serve``) with just a
``base_url``, and it already implements retries with exponential backoff on 408/409/429/5xx and
connection errors (``max_retries``) and per-request timeouts. We only map its exceptions to ours.

Token counting: OpenAI's API has no tokenize endpoint and ``tiktoken`` downloads its encodings at
run time (not allowed here), so :meth:`OpenAIChatModel.count_tokens` is an estimate — about one
token per 4 Latin characters and one per Hangul syllable, plus 4 per message for the chat
framing. Exact counts come back in ``usage`` after each call.

Half characters: an upstream that cuts a byte-level answer at ``max_tokens`` or a stop sequence
may send the rest of a split Hangul syllable as U+FFFD. A trailing U+FFFD is held back while
streaming and dropped when the answer ends (:mod:`tuneloop.models.decoding`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tuneloop.errors import (
    AuthError,
    BackendError,
    BackendUnavailable,
    ContextWindowExceeded,
    InvalidRequest,
    ModelNotFound,
    RateLimited,
)
from tuneloop.models.decoding import TextHoldback, drop_incomplete_tail
from tuneloop.models.types import Chunk, Completion, FinishReason, Message, SamplingParams, Usage

if TYPE_CHECKING:
    import openai

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
    ) -> None:
        import openai

        self._name = name
        self.upstream_model = upstream_model
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
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def context_window(self) -> int | None:
        return self._context_window

    def count_tokens(self, messages: Sequence[Message]) -> int:
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
        with _mapped_errors(self):
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
        with _mapped_errors(self):
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


class _mapped_errors:
    """Context manager turning ``openai`` SDK exceptions into tuneloop's, with a fix to try."""

    def __init__(self, model: OpenAIChatModel) -> None:
        self.model = model

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        import openai

        if exc is None or not isinstance(exc, openai.OpenAIError):
            return
        where = str(self.model.client.base_url)
        err: openai.OpenAIError = exc
        if isinstance(err, openai.AuthenticationError):
            raise AuthError(
                f"{where} rejected the API key: {_msg(err)}",
                hint="Set a valid key in the variable named by the model's api_key_env "
                "(default OPENAI_API_KEY).",
            ) from exc
        if isinstance(err, openai.NotFoundError):
            raise ModelNotFound(
                f"{where} has no model {self.model.upstream_model!r}: {_msg(err)}",
                hint="List the upstream's models (GET /v1/models) and register the right name.",
                param="model",
            ) from exc
        if isinstance(err, openai.RateLimitError):
            retry = err.response.headers.get("retry-after")
            raise RateLimited(
                f"{where} is rate limiting requests: {_msg(err)}",
                retry_after=float(retry) if retry and retry.replace(".", "", 1).isdigit() else None,
                hint="Lower the concurrency or retry later.",
            ) from exc
        if isinstance(err, openai.BadRequestError):
            # OpenAI (and tuneloop) send code context_length_exceeded; vLLM only says it in words.
            text = _msg(err).lower()
            if err.code == "context_length_exceeded" or ("context" in text and "length" in text):
                raise ContextWindowExceeded(_msg(err), param="messages") from exc
            raise InvalidRequest(f"{where} refused the request: {_msg(err)}") from exc
        if isinstance(err, openai.APITimeoutError):
            raise BackendUnavailable(
                f"{where} did not answer in time.", hint="Raise the timeout or check the server."
            ) from exc
        if isinstance(err, openai.APIConnectionError):
            raise BackendUnavailable(
                f"Cannot connect to {where}: {err}",
                hint="Check that the server is running and base_url is right.",
            ) from exc
        raise BackendError(f"{where} failed: {_msg(err)}") from exc


def _msg(err: openai.OpenAIError) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(err, "message", err))
