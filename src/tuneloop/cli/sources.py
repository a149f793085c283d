"""Printing the sources an answer was given (``prompt run``, ``prompt render``, ``chat``).

One home for the terminal shape, so every command shows retrieved passages alike:
``[1] docs/gyeongbokgung.md:12  (score 7.31)`` and the passage's first line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.markup import escape

from tuneloop.cli.context import err

__all__ = ["print_sources"]

PREVIEW_CHARS = 100


def print_sources(sources: Sequence[Mapping[str, Any]]) -> None:
    """Print ``source_dicts`` output to stderr (stdout stays the answer alone)."""
    if not sources:
        return
    err.print("[dim]sources:[/]")
    for s in sources:
        line = s.get("line")
        where = f"{s['source']}:{line}" if line is not None else f"{s['source']}@{s.get('start')}"
        text = " ".join(str(s.get("text", "")).split())
        if len(text) > PREVIEW_CHARS:
            text = text[: PREVIEW_CHARS - 1] + "…"
        err.print(f"[dim][{s['id']}] {where}  (score {s['score']:.2f})[/]", highlight=False)
        err.print(f"[dim]    {escape(text)}[/]", highlight=False)
