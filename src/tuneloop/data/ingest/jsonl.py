"""JSON Lines (``.jsonl``, ``.ndjson``): four shapes, told apart by the file's first object.

1. tuneloop record files (lines with ``"kind"``) — read as they are, so ingest output can be
   merged with more input.
2. OpenAI chat fine-tuning lines ``{"messages": [...]}`` — one example each; a line without an
   assistant message or with an unknown role is skipped (OpenAI would reject the whole file).
3. Generic lines: ``{"question", "answer"}`` / ``{"prompt", "completion"}`` (the same names the
   CSV reader accepts) → examples; ``{"text"}`` (and an optional ``"title"``) → documents, chunked.
4. Chat logs, one message per line, with a ``"conversation"`` id::

       {"conversation": "c-0001", "time": "2026-05-03T15:15:00+09:00", "speaker": "민지",
        "role": "user", "text": "경복궁 몇 시에 열어요?"}

   ``role`` is user/customer or agent/assistant/bot/guide; without it, speakers named with
   ``--assistant`` are the assistant. Each conversation becomes one multi-turn example (see
   :mod:`tuneloop.data.ingest.chatlog`); its messages are put in time order when all have one.

A line that is not valid JSON is skipped with ``path:line`` and the parser's message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tuneloop.data.ingest.base import IngestOptions
from tuneloop.data.ingest.chatlog import ChatMessage, conversation_example, map_role
from tuneloop.data.ingest.chunk import chunk_document
from tuneloop.data.ingest.encoding import read_text
from tuneloop.data.ingest.qa import ANSWER_NAMES, QUESTION_NAMES, find_field, qa_example, split_tags
from tuneloop.data.records import ROLES, Example, Record, SkipReport, Source, record_from_dict
from tuneloop.errors import InvalidRecord

__all__ = ["JsonlReader", "detect_shape"]


def detect_shape(first: dict[str, Any]) -> str:
    """``records``, ``openai``, ``chatlog`` or ``generic`` for a file whose first object is this."""
    if "kind" in first:
        return "records"
    if "messages" in first:
        return "openai"
    if "conversation" in first:
        return "chatlog"
    return "generic"


def _objects(text: str, path: Path, skips: SkipReport) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            skips.skip(
                Source(str(path), number), f"not valid JSON ({exc.msg} at column {exc.colno})"
            )
            continue
        if not isinstance(data, dict):
            skips.skip(
                Source(str(path), number), f"expected a JSON object, got {type(data).__name__}"
            )
            continue
        yield number, data


def _record(data: dict[str, Any], path: Path, line: int, skips: SkipReport) -> Record | None:
    try:
        return record_from_dict(data, path=path, line=line)
    except InvalidRecord as exc:
        skips.skip(Source(str(path), line), exc.message.removeprefix(f"{path}:{line}: "))
        return None


def _openai(data: dict[str, Any], path: Path, line: int, skips: SkipReport) -> Example | None:
    where = Source(str(path), line)
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        skips.skip(where, '"messages" must be a non-empty list')
        return None
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            role = message.get("role") if isinstance(message, dict) else None
            skips.skip(where, f"message {i}: role {role!r} is not one of {', '.join(ROLES)}")
            return None
    if not any(m["role"] == "assistant" for m in messages):
        skips.skip(where, "no assistant message (fine-tuning needs at least one)")
        return None
    meta = {k: v for k, v in data.items() if k not in ("messages", "tags")}
    return Example(messages=messages, source=where, tags=split_tags(data.get("tags")), meta=meta)


def _generic(
    data: dict[str, Any], path: Path, line: int, options: IngestOptions, skips: SkipReport
) -> list[Record]:
    where = Source(str(path), line)
    question_key = find_field(data, QUESTION_NAMES)
    answer_key = find_field(data, ANSWER_NAMES)
    if question_key and answer_key:
        question, answer = data[question_key], data[answer_key]
        if not isinstance(question, str) or not question.strip():
            skips.skip(where, f'empty or non-text "{question_key}"')
            return []
        if not isinstance(answer, str) or not answer.strip():
            skips.skip(where, f'empty or non-text "{answer_key}"')
            return []
        system = data.get("system")
        meta = {"source": data["source"]} if data.get("source") else {}
        return [
            qa_example(
                question,
                answer,
                source=where,
                system=system if isinstance(system, str) else None,
                tags=split_tags(data.get("tags")),
                meta=meta,
            )
        ]
    text = data.get("text")
    if isinstance(text, str):
        if not text.strip():
            skips.skip(where, 'empty "text"')
            return []
        title = data.get("title")
        return list(
            chunk_document(
                text,
                path=str(path),
                title=title if isinstance(title, str) else None,
                chunk_chars=options.chunk_chars,
                overlap_chars=options.overlap_chars,
                line_at=lambda _offset: line,
            )
        )
    skips.skip(
        where,
        "no question/answer, prompt/completion or text field "
        f"(keys: {', '.join(sorted(data)) or 'none'})",
    )
    return []


def _chat_message(
    data: dict[str, Any], path: Path, line: int, options: IngestOptions, skips: SkipReport
) -> tuple[str, ChatMessage] | None:
    where = Source(str(path), line)
    conversation, text = data.get("conversation"), data.get("text")
    if conversation is None or str(conversation).strip() == "":
        skips.skip(where, 'chat-log line without "conversation"')
        return None
    if not isinstance(text, str) or not text.strip():
        skips.skip(where, 'chat-log line without "text"')
        return None
    speaker = data.get("speaker")
    speaker = str(speaker) if speaker is not None else None
    raw_role = data.get("role")
    role = map_role(
        str(raw_role) if raw_role is not None else None, speaker, options.assistant_names
    )
    if role is None:
        skips.skip(
            where,
            f"unknown role {raw_role!r} (expected user, customer, agent, assistant, bot or guide)",
        )
        return None
    when = None
    if isinstance(data.get("time"), str):
        try:
            when = datetime.fromisoformat(data["time"])
        except ValueError:
            skips.skip(where, f"time {data['time']!r} is not an ISO 8601 date-time")
            return None
    return str(conversation), ChatMessage(role, text.strip(), line, speaker, when)


def _time(message: ChatMessage) -> datetime:
    return message.time or datetime.min


def _chatlog(
    objects: list[tuple[int, dict[str, Any]]], path: Path, options: IngestOptions, skips: SkipReport
) -> Iterator[Record]:
    conversations: dict[str, list[ChatMessage]] = {}
    for line, data in objects:
        parsed = _chat_message(data, path, line, options, skips)
        if parsed is not None:
            conversations.setdefault(parsed[0], []).append(parsed[1])
    for conversation, messages in conversations.items():
        times = [m.time for m in messages]
        if all(t is not None for t in times) and len({t.tzinfo is None for t in times if t}) == 1:
            messages = sorted(messages, key=_time)  # naive and aware times would not compare
        example = conversation_example(conversation, messages, path=str(path), skips=skips)
        if example is not None:
            yield example


class JsonlReader:
    name = "jsonl"
    suffixes: tuple[str, ...] = (".jsonl", ".ndjson")
    description = (
        "JSON Lines: tuneloop records, OpenAI chat lines, question/answer or text objects, "
        "or chat-log messages (one per line, grouped by conversation)."
    )
    binary = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return True

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        objects = list(_objects(read_text(path, options.encoding).text, path, skips))
        if not objects:
            return
        shape = detect_shape(objects[0][1])
        if shape == "chatlog":
            yield from _chatlog(objects, path, options, skips)
            return
        for line, data in objects:
            if shape == "records":
                record = _record(data, path, line, skips)
                if record is not None:
                    yield record
            elif shape == "openai":
                example = _openai(data, path, line, skips)
                if example is not None:
                    yield example
            else:
                yield from _generic(data, path, line, options, skips)
