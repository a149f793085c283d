"""References to versioned things: ``name``, ``name@3`` / ``name@v3``, ``name@latest``,
``name@label``.

Why one parser: prompts, datasets and (later) models are all referred to the same way on the
command line, in suite and train files, and in the server, so the syntax and its error messages
must be the same everywhere. Each registry passes its own noun and error type.
"""

from __future__ import annotations

import re

from tuneloop.errors import TuneloopError

__all__ = ["LABEL_PATTERN", "LATEST", "NAME_PATTERN", "check_name", "parse_ref"]

LATEST = "latest"
"""The selector that always means the newest version; reserved, so no label can take it."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
LABEL_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,99}")
VERSION_PATTERN = re.compile(r"v?([0-9]+)")


def check_name(
    name: str, *, kind: str, error: type[TuneloopError], what: str | None = None
) -> None:
    """Raise ``error`` unless ``name`` is a valid name for a ``kind`` (prompt, dataset …)."""
    if not NAME_PATTERN.fullmatch(name):
        raise error(
            f"Bad {what or kind + ' name'}: {name!r} is not a {kind} name.",
            hint=f"{kind.capitalize()} names start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-' (at most 200 characters); refer to a version as "
            "name@3 or name@label.",
            param="name",
        )


def parse_ref(ref: str, *, kind: str, error: type[TuneloopError]) -> tuple[str, int | str]:
    """Split ``name[@selector]`` into the name and a version number, ``"latest"`` or a label."""
    name, at, selector = ref.partition("@")
    check_name(name, kind=kind, error=error, what=f"{kind} reference {ref!r}")
    if not at:
        return name, LATEST
    if version := VERSION_PATTERN.fullmatch(selector):
        number = int(version.group(1))
        if number < 1:
            raise error(
                f"Bad {kind} reference {ref!r}: versions start at 1.",
                hint=f"Use {name}@1, {name}@latest or {name}@<label>.",
                param="ref",
            )
        return name, number
    if selector == LATEST or LABEL_PATTERN.fullmatch(selector):
        return name, selector
    raise error(
        f"Bad {kind} reference {ref!r}.",
        hint=f"Use {name} or {name}@latest (newest version), {name}@3 (version 3) or "
        f"{name}@production (a label: lowercase letters, digits, - and _).",
        param="ref",
    )
