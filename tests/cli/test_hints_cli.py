"""Every ``tuneloop …`` command that a message, hint or docstring in the code tells a user to run
exists (``tuneloop artifacts list`` did not)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from tuneloop.cli.main import app

SOURCE = Path(__file__).resolve().parents[2] / "src" / "tuneloop"
# `tuneloop data show NAME@VERSION`: the lower-case words after `tuneloop` name the command.
MENTION = re.compile(r"`tuneloop((?: [a-z][a-z0-9-]*)+)")
# Commands ARCHITECTURE.md plans that docstrings may already name.
PLANNED = {("update",)}  # the loop's update turn (loop/)


def _mentions() -> list[tuple[str, list[str]]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in MENTION.finditer(line):
                where = f"{path.relative_to(SOURCE)}:{number}"
                found.append((where, match.group(1).split()))
    return found


def _resolves(words: list[str]) -> bool:
    command = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)  # a group (typer vendors its click)
        if subcommands is None:
            return True  # the rest are arguments (`tuneloop eval run suite`)
        if word not in subcommands:
            return False
        command = subcommands[word]
    return True


def test_the_code_mentions_commands():
    assert len(_mentions()) > 20  # the scan finds what it should


def test_every_command_the_code_mentions_exists():
    missing = [
        f"{where}: tuneloop {' '.join(words)}"
        for where, words in _mentions()
        if not _resolves(words) and tuple(words[:1]) not in PLANNED
    ]
    assert not missing, "\n".join(missing)
