"""Q/A pairs in tables and JSON lines: which field names mean "question" and "answer", and the
chat example a pair becomes. Shared by the CSV and JSONL readers so both accept the same names.

Names are matched case-insensitively after trimming; Korean headers (질문/답변) are as good as
English ones because the people filling these sheets are often not engineers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tuneloop.data.records import Example, Source

__all__ = [
    "ANSWER_NAMES",
    "OPTIONAL_NAMES",
    "QUESTION_NAMES",
    "find_field",
    "qa_example",
    "split_tags",
]

QUESTION_NAMES = ("question", "q", "질문", "prompt")
ANSWER_NAMES = ("answer", "a", "답변", "response", "completion")
OPTIONAL_NAMES = ("system", "tags", "source")


def find_field(names: Iterable[str], accepted: Iterable[str]) -> str | None:
    """The first of ``names`` (as written) that matches one of ``accepted`` (case-insensitive),
    preferring the earlier accepted name."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(str(name).strip().lower(), str(name))
    for want in accepted:
        if want in by_key:
            return by_key[want]
    return None


def split_tags(value: Any) -> list[str]:
    """Tags from a list or a ``;``-separated string (``"food; night"`` → ``["food", "night"]``)."""
    if isinstance(value, list):
        items = [str(v) for v in value]
    elif isinstance(value, str):
        items = value.split(";")
    else:
        return []
    return [t.strip() for t in items if t.strip()]


def qa_example(
    question: str,
    answer: str,
    *,
    source: Source,
    system: str | None = None,
    tags: Iterable[str] = (),
    meta: Mapping[str, Any] | None = None,
) -> Example:
    """A single-turn example: optional system message, the question, the answer."""
    messages = [{"role": "system", "content": system.strip()}] if system and system.strip() else []
    messages += [
        {"role": "user", "content": question.strip()},
        {"role": "assistant", "content": answer.strip()},
    ]
    return Example(messages=messages, source=source, tags=list(tags), meta=dict(meta or {}))
