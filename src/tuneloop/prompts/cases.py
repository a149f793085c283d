"""Inputs for batch runs: a JSONL file with one object of template variables per line."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneloop.errors import DataError, InvalidRecord

__all__ = ["Case", "load_cases"]


@dataclass(frozen=True)
class Case:
    """One input of a batch run: variables for the template, and where it came from."""

    index: int
    variables: dict[str, Any]
    source: str = ""
    tags: list[str] = field(default_factory=list)


def load_cases(path: str | Path) -> list[Case]:
    """Read cases; each line is ``{"var": value, ...}`` or ``{"vars": {...}, "tags": [...]}``.

    Blank lines are skipped; any other bad line is an :class:`InvalidRecord` naming file:line.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError(f"{file}: no such file.", hint="Check the --vars/--cases path.") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{file}: not UTF-8 text.", hint="Save the file as UTF-8.") from exc
    cases: list[Case] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRecord(
                f"invalid JSON ({exc.msg} at column {exc.colno}).",
                path=file,
                line=lineno,
                hint="Each line must be one JSON object of template variables.",
            ) from exc
        if not isinstance(obj, dict):
            raise InvalidRecord(
                f"expected a JSON object, got {type(obj).__name__}.", path=file, line=lineno
            )
        if "vars" in obj:
            variables, tags = obj["vars"], obj.get("tags", [])
            extra = set(obj) - {"vars", "tags"}
            if extra or not isinstance(variables, dict) or not isinstance(tags, list):
                raise InvalidRecord(
                    'with "vars", a line may only have "vars" (object) and "tags" (list).',
                    path=file,
                    line=lineno,
                )
        else:
            variables, tags = obj, []
        cases.append(Case(len(cases), dict(variables), f"{file}:{lineno}", [str(t) for t in tags]))
    if not cases:
        raise DataError(
            f"{file}: no cases (the file is empty).", hint="Add a JSON object per line."
        )
    return cases
