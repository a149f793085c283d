"""Where the prompts replayed against an old fine-tune come from, one at a time.

``tuneloop migrate openai record`` asks the old model the questions its users asked it — the
pulled validation split, a seeded sample of the training split — plus whatever prompt files the
team brings. Each source is a generator, so 100,000 prompts never sit in memory at once; only
the training sample (a reservoir of ``n`` prompts, Algorithm R with a seeded
:class:`random.Random`, given back in file order) is held.

A prompt is a conversation *up to, not including, its last assistant message*; that message, when
there is one, is kept as :attr:`Prompt.reference` — only for estimating how long the answers will
be, never sent. Only plain-text chats are replayed (roles system/developer/user/assistant,
string content), because the golden suite they become is an eval suite of text chats
(:func:`tuneloop.evaluate.suite.read_case_file`); each message is sent as ``role`` + ``content``,
exactly what the golden suite stores and parity replays to the local model. A dataset example that
is not a plain-text chat (tool calls, images) is skipped and counted; in a user's file it is an
error naming file:line.

User files, by suffix:

- ``.jsonl`` / ``.ndjson``: ``{"messages": [...]}`` or ``{"question" | "input": "…"}``, with
  optional ``system``, ``tags`` and ``reference`` / ``answer``;
- ``.csv`` / ``.tsv``: a ``question`` / ``input`` / ``prompt`` column (also ``q``, ``질문``),
  optional ``system``, ``tags`` (``;``-separated) and ``reference`` / ``answer`` columns, UTF-8;
- ``.yaml`` / ``.yml``: a tuneloop suite (:func:`tuneloop.evaluate.suite.load_suite`), each case
  rendered to the messages ``eval run`` would send (a suite is small and loaded whole).

Every prompt of a user file is tagged ``user:<file stem>`` (then its own tags); the pulled
validation split's ``validation`` and the sample's ``train-sample``.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.data.ingest.qa import ANSWER_NAMES, QUESTION_NAMES, find_field, split_tags
from tuneloop.data.records import Example, SkipReport, Source, read_records
from tuneloop.errors import DataError, InvalidRecord
from tuneloop.jsonlines import iter_lines, iter_objects

if TYPE_CHECKING:
    from tuneloop.evaluate.suite import PromptResolver
    from tuneloop.registry import Store

__all__ = [
    "PROMPT_COLUMNS",
    "PROMPT_FILE_SUFFIXES",
    "Prompt",
    "dataset_prompts",
    "file_prompts",
    "sample_prompts",
    "split_prompt",
]

PROMPT_COLUMNS = ("question", "input", *(n for n in QUESTION_NAMES if n != "question"))
"""Accepted names (any case) of the column or key holding the question."""
REFERENCE_NAMES = ("reference", *ANSWER_NAMES)
TEXT_ROLES = frozenset({"system", "developer", "user", "assistant"})
PROMPT_FILE_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".yaml", ".yml")


@dataclass(frozen=True)
class Prompt:
    """One conversation to send: ``messages`` (role + content), the ``tags`` it is recorded
    under, ``where`` it came from (file:line, or ``dataset@N:split#k``), and the answer the data
    already holds for it (``reference``; for output-token estimates only)."""

    messages: tuple[dict[str, str], ...]
    tags: tuple[str, ...]
    where: str
    reference: str | None = None


def split_prompt(messages: Sequence[Any]) -> tuple[list[dict[str, str]], str | None] | str:
    """``(prompt messages, reference)`` of a chat: everything before its last assistant message,
    and that message's text (a chat that ends with a user turn is all prompt, no reference).
    A string says why the chat cannot be replayed."""
    chat: list[dict[str, str]] = []
    for k, message in enumerate(messages):
        if not isinstance(message, Mapping):
            return f"message {k} is not an object"
        role, content = message.get("role"), message.get("content")
        if role not in TEXT_ROLES:
            return (
                f"message {k} has role {role!r}; only {', '.join(sorted(TEXT_ROLES))} are replayed"
            )
        if not isinstance(content, str):
            return f"message {k} ({role}) has no plain-text content"
        chat.append({"role": str(role), "content": content})
    reference = None
    if chat and chat[-1]["role"] == "assistant":
        reference = chat.pop()["content"]
        while chat and chat[-1]["role"] == "assistant":
            chat.pop()
    if not any(m["role"] == "user" for m in chat):
        return "no user message to ask"
    return chat, reference


def _example_prompt(example: Example, where: str, tag: str, skips: SkipReport) -> Prompt | None:
    split = split_prompt(example.messages)
    if isinstance(split, str):
        skips.skip(Source(where), split)
        return None
    chat, reference = split
    return Prompt(tuple(chat), (tag,), where, reference)


def dataset_prompts(path: Path, label: str, tag: str, skips: SkipReport) -> Iterator[Prompt]:
    """Every replayable prompt of a dataset split's record file (``label`` names the split in
    ``where``: ``support-openai@1:validation#3``); the rest is skipped into ``skips``."""
    for k, record in enumerate(read_records(path), start=1):
        if isinstance(record, Example):
            prompt = _example_prompt(record, f"{label}#{k}", tag, skips)
            if prompt is not None:
                yield prompt


def sample_prompts(
    path: Path, label: str, tag: str, n: int, seed: int, skips: SkipReport
) -> list[Prompt]:
    """A uniform sample of ``n`` replayable prompts of a split (all of them when it has fewer),
    by reservoir sampling with ``seed``, in file order."""
    if n <= 0:
        return []
    rng = random.Random(seed)
    kept: list[tuple[int, Prompt]] = []
    for i, prompt in enumerate(dataset_prompts(path, label, tag, skips)):
        if i < n:
            kept.append((i, prompt))
        else:
            j = rng.randint(0, i)
            if j < n:
                kept[j] = (i, prompt)
    return [prompt for _, prompt in sorted(kept, key=lambda item: item[0])]


# --------------------------------------------------------------------------- user files


def file_prompts(
    path: Path, *, store: Store | None = None, prompts: PromptResolver | None = None
) -> Iterator[Prompt]:
    """The prompts of a user's file (see the module docstring for the formats); a bad line raises
    :class:`~tuneloop.errors.InvalidRecord` naming file:line. ``store`` and ``prompts`` let a
    suite file use dataset ``cases_from`` and named prompts."""
    if not path.is_file():
        raise DataError(f"{path}: no such prompt file.", hint="Check the --prompts path.")
    suffix = path.suffix.lower()
    tag = f"user:{path.stem}"
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_prompts(path, tag)
    if suffix in (".csv", ".tsv"):
        return _csv_prompts(path, tag)
    if suffix in (".yaml", ".yml"):
        return _suite_prompts(path, tag, store, prompts)
    raise DataError(
        f"{path}: unknown prompt file type {path.suffix!r}.",
        hint=f"Give a {', '.join(PROMPT_FILE_SUFFIXES)} file.",
    )


def _text(value: Any, key: str, path: Path, line: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"`{key}` must be a string.", path=path, line=line)
    return value


def _question_prompt(fields: Mapping[str, Any], tag: str, path: Path, line: int) -> Prompt:
    key = find_field(fields, PROMPT_COLUMNS)
    question = _text(fields.get(key), key, path, line) if key else None
    if not question or not question.strip():
        raise InvalidRecord(
            "no question: give a non-empty "
            + ", ".join(f"`{name}`" for name in PROMPT_COLUMNS)
            + " (JSONL also takes `messages`).",
            path=path,
            line=line,
            hint='Write e.g. {"question": "경복궁은 언제 쉬나요?"}, or a CSV with a header row '
            "naming a question, input or prompt column.",
        )
    system_key = find_field(fields, ("system",))
    system = _text(fields.get(system_key), "system", path, line) if system_key else None
    reference_key = find_field(fields, REFERENCE_NAMES)
    reference = _text(fields.get(reference_key), "reference", path, line) if reference_key else None
    tags_key = find_field(fields, ("tags",))
    chat = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": question}
    ]
    tags = split_tags(fields.get(tags_key)) if tags_key else []
    return Prompt(tuple(chat), _tags(tag, tags), f"{path}:{line}", reference or None)


def _tags(source: str, own: Iterable[str]) -> tuple[str, ...]:
    """The source tag first, then the prompt's own tags (without repeating it)."""
    return (source, *dict.fromkeys(t for t in own if t != source))


def _jsonl_prompts(path: Path, tag: str) -> Iterator[Prompt]:
    hint = 'Each line is one object: {"messages": [...]} or {"question": "…"}.'
    for line, obj in iter_objects(path, hint=hint):
        if "messages" not in obj:
            yield _question_prompt(obj, tag, path, line)
            continue
        messages = obj["messages"]
        split = split_prompt(messages) if isinstance(messages, list) else "not a list"
        if isinstance(split, str):
            raise InvalidRecord(
                f"`messages` cannot be replayed: {split}.",
                path=path,
                line=line,
                hint='Give [{"role": "user", "content": "…"}, …] with string contents.',
            )
        chat, reference = split
        tags = split_tags(obj.get("tags"))
        yield Prompt(tuple(chat), _tags(tag, tags), f"{path}:{line}", reference)


def _csv_prompts(path: Path, tag: str) -> Iterator[Prompt]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    numbered = iter_lines(path)
    physical = {"line": 0}

    def text_lines() -> Iterator[str]:
        for number, text in numbered:
            physical["line"] = number
            yield text

    rows = csv.reader(text_lines(), delimiter=delimiter)
    header: list[str] | None = None
    for row in rows:
        if any(cell.strip() for cell in row):
            header = row
            break
    if header is None:
        raise InvalidRecord("no header row.", path=path, line=1)
    if find_field(header, PROMPT_COLUMNS) is None:
        raise InvalidRecord(
            f"no question column in the header {header!r}.",
            path=path,
            line=physical["line"],
            hint="Name the question column one of "
            + ", ".join(PROMPT_COLUMNS)
            + " (any case); optional columns: system, tags (;-separated), reference/answer.",
        )
    start = physical["line"] + 1
    for row in rows:
        if not any(cell.strip() for cell in row):
            start = physical["line"] + 1
            continue
        if len(row) != len(header):
            raise InvalidRecord(
                f"{len(row)} cells, but the header has {len(header)}.",
                path=path,
                line=start,
                hint="Quote cells that contain the delimiter or line breaks.",
            )
        yield _question_prompt(dict(zip(header, row, strict=True)), tag, path, start)
        start = physical["line"] + 1


def _suite_prompts(
    path: Path, tag: str, store: Store | None, prompts: PromptResolver | None
) -> Iterator[Prompt]:
    from tuneloop.evaluate.suite import load_suite

    suite = load_suite(path, store=store, prompts=prompts)
    for case, rendered in zip(suite.cases, suite.eval_cases(), strict=True):
        split = split_prompt(rendered.messages)
        if isinstance(split, str):
            raise DataError(f"{case.where}: case {case.id!r} cannot be replayed: {split}.")
        chat, reference = split
        reference = reference or (case.references[0] if case.references else None)
        yield Prompt(tuple(chat), _tags(tag, case.tags), case.where, reference)
