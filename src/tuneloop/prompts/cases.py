"""Inputs for batch runs: a JSONL file with one object of template variables per line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneloop.errors import DataError, InvalidRecord
from tuneloop.jsonlines import iter_objects

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
    if not file.is_file():
        raise DataError(f"{file}: no such file.", hint="Check the --vars/--cases path.")
    cases: list[Case] = []
    hint = "Each line must be one JSON object of template variables."
    for lineno, obj in iter_objects(file, hint=hint):
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
