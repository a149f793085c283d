"""Values that cross the ChatModel seam: messages in, completions (or chunks) out.

Plain frozen dataclasses: backends, the server and the CLI all speak these, so no layer depends on
another's wire format (the server maps them to OpenAI's JSON, the CLI to text or ``--json``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tuneloop.errors import InvalidRequest

__all__ = ["Chunk", "Completion", "FinishReason", "Message", "Role", "SamplingParams", "Usage"]

Role = Literal["system", "developer", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length"]
ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool")
DEFAULT_MAX_TOKENS = 256


@dataclass(frozen=True)
class Message:
    """One chat turn. ``developer`` is OpenAI's newer name for ``system``."""

    role: Role
    content: str

    @classmethod
    def coerce(cls, value: Message | Mapping[str, Any]) -> Message:
        if isinstance(value, Message):
            return value
        role = value.get("role")
        content = value.get("content")
        if role not in ROLES:
            raise InvalidRequest(
                f"Unknown message role {role!r}.",
                hint=f"Use one of: {', '.join(ROLES)}.",
                param="messages",
            )
        if not isinstance(content, str):
            raise InvalidRequest("Message content must be a string.", param="messages")
        return cls(role=role, content=content)

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


def coerce_messages(messages: Iterable[Message | Mapping[str, Any]]) -> list[Message]:
    out = [Message.coerce(m) for m in messages]
    if not out:
        raise InvalidRequest("At least one message is required.", param="messages")
    return out


@dataclass(frozen=True)
class SamplingParams:
    """Generation knobs shared by every backend, named and defaulted as in OpenAI's API.

    ``max_tokens=None`` means :data:`DEFAULT_MAX_TOKENS` for local models (a CPU model should not
    ramble to its full window by accident) and the upstream's own default for the openai backend.
    ``temperature=0`` means greedy decoding.
    """

    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= 2.0:
            raise InvalidRequest(
                f"temperature must be between 0 and 2, got {self.temperature}.", param="temperature"
            )
        if not 0.0 < self.top_p <= 1.0:
            raise InvalidRequest(f"top_p must be in (0, 1], got {self.top_p}.", param="top_p")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise InvalidRequest(
                f"max_tokens must be at least 1, got {self.max_tokens}.", param="max_tokens"
            )
        if len(self.stop) > 4:
            raise InvalidRequest("At most 4 stop sequences are allowed.", param="stop")
        if any(not s for s in self.stop):
            raise InvalidRequest("Stop sequences must not be empty.", param="stop")


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    """A whole answer."""

    text: str
    finish_reason: FinishReason
    usage: Usage
    model: str


@dataclass(frozen=True)
class Chunk:
    """A piece of a streamed answer. The last chunk has ``finish_reason`` and ``usage`` set."""

    text: str
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    extra: dict[str, Any] = field(default_factory=dict)
