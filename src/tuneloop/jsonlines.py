"""JSON Lines files read one object per line, streamed, with errors that name file:line.

Why one home: prompt-variable files, eval cases, held-out questions, golden-suite prompts and
imported eval items are all "one JSON object per line", and each reader had its own copy of the
same loop (and its own idea of what a bad line says). Here: blank lines are skipped, a UTF-8 BOM
on the first line is allowed, and a line that is not valid JSON, not a JSON object or not UTF-8
is an :class:`~tuneloop.errors.InvalidRecord` naming the file and line, with the caller's
``hint`` saying what a line should hold. The file is read line by line, so a 100k-line golden
set or a large eval export is never held in memory.

Why not the ``jsonlines`` package: it adds a dependency for a loop of a dozen lines and reports
errors without the hint a user needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tuneloop.errors import DataError, InvalidRecord

__all__ = ["iter_lines", "iter_objects"]


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for each line of ``path`` (1-based, line ending kept, so a CSV
    reader sees quoted newlines), streamed.
    Undecodable bytes are an :class:`InvalidRecord` naming the line; a missing file a
    :class:`DataError`."""
    file = Path(path)
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise DataError(f"{file}: no such file.", hint="Check the path.") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidRecord(
                    "not UTF-8 text.",
                    path=file,
                    line=number,
                    hint=f"Convert the file, e.g. `iconv -f cp949 -t utf-8 {file.name}`.",
                ) from exc
            yield number, text


def iter_objects(path: str | Path, *, hint: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of a JSONL file, streamed; ``hint``
    tells the user what one line should look like."""
    file = Path(path)
    for number, text in iter_lines(file):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidRecord(
                f"invalid JSON ({exc.msg} at column {exc.colno}).",
                path=file,
                line=number,
                hint=hint,
            ) from exc
        if not isinstance(value, dict):
            raise InvalidRecord(
                f"expected a JSON object, got {type(value).__name__}.",
                path=file,
                line=number,
                hint=hint,
            )
        yield number, value
