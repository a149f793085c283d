"""Chat logs to training examples: who is the assistant, where a conversation starts, and which
turns are worth keeping. Shared by the chat-log JSONL and KakaoTalk readers.

A conversation becomes one multi-turn :class:`~tuneloop.data.records.Example` in OpenAI's chat
format. Consecutive messages of one role are merged with a newline (people send one thought in
three bubbles); greetings the assistant sent before the customer wrote are dropped so the example
starts with the user, and user messages after the last assistant reply are dropped because a
model learns nothing from a question nobody answered. A conversation without a user message or
without an assistant reply is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tuneloop.data.records import Example, SkipReport, Source

__all__ = [
    "ASSISTANT_ROLES",
    "USER_ROLES",
    "ChatMessage",
    "conversation_example",
    "map_role",
    "split_by_gap",
]

Role = Literal["user", "assistant"]
USER_ROLES = ("user", "customer")
ASSISTANT_ROLES = ("agent", "assistant", "bot", "guide")


@dataclass(frozen=True)
class ChatMessage:
    """One chat message as read from a log; ``line`` is where it starts in the file."""

    role: Role
    text: str
    line: int
    speaker: str | None = None
    time: datetime | None = None


def map_role(role: str | None, speaker: str | None, assistant_names: Sequence[str]) -> Role | None:
    """``user``/``assistant`` for a log's role label; without a label, speakers named in
    ``assistant_names`` are the assistant and everyone else the user. None: unknown label."""
    if role is None or not role.strip():
        return "assistant" if speaker is not None and speaker in assistant_names else "user"
    label = role.strip().lower()
    if label in USER_ROLES:
        return "user"
    if label in ASSISTANT_ROLES:
        return "assistant"
    return None


def split_by_gap(messages: Sequence[ChatMessage], gap_minutes: int) -> list[list[ChatMessage]]:
    """Split where more than ``gap_minutes`` pass between two timed messages."""
    gap = timedelta(minutes=gap_minutes)
    groups: list[list[ChatMessage]] = []
    last: datetime | None = None
    for message in messages:
        if not groups or (
            message.time is not None and last is not None and message.time - last > gap
        ):
            groups.append([])
        groups[-1].append(message)
        last = message.time or last
    return groups


def _merged(messages: Iterable[ChatMessage]) -> list[dict[str, str]]:
    turns: list[dict[str, str]] = []
    for message in messages:
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"] += "\n" + message.text.strip()
        else:
            turns.append({"role": message.role, "content": message.text.strip()})
    return turns


def conversation_example(
    conversation: str,
    messages: Sequence[ChatMessage],
    *,
    path: str,
    skips: SkipReport,
    tags: Sequence[str] = ("chatlog",),
) -> Example | None:
    """The example for one conversation, or None (and a skip saying why)."""
    kept = [m for m in messages if m.text.strip()]
    where = Source(path, messages[0].line if messages else None)
    if not any(m.role == "user" for m in kept):
        skips.skip(where, f"conversation {conversation}: no user message")
        return None
    first_user = next(i for i, m in enumerate(kept) if m.role == "user")
    kept = kept[first_user:]
    answered = [i for i, m in enumerate(kept) if m.role == "assistant"]
    if not answered:
        skips.skip(
            where,
            f"conversation {conversation}: no assistant reply "
            "(name the assistant's speaker with --assistant NAME)",
        )
        return None
    kept = kept[: answered[-1] + 1]
    speakers = list(dict.fromkeys(m.speaker for m in messages if m.speaker))
    started = next((m.time for m in messages if m.time is not None), None)
    return Example(
        messages=_merged(kept),
        source=Source(path, kept[0].line),
        tags=list(tags),
        meta={
            "conversation": conversation,
            "started": started.isoformat() if started else None,
            "speakers": speakers,
        },
    )
