"""Versioned prompts: immutable, numbered versions per prompt name, and aliases that point at them.

Why immutable: evaluation results, training runs and served traffic record the prompt they used as
``name@version``. That reference only means something if version 3 is the same text forever, so
there is no API to change or delete a version; a change is a new push, which gets the next number.
Pushing text identical to an existing version of the name returns that version instead of making
a duplicate, so pushing a file that did not change is harmless (scripts and CI may push every run).

Why aliases: code and config refer to ``name@production`` rather than a number, so a release (or a
roll back) moves the alias, not the code. Aliases and their history are the registry core's
(:mod:`tuneloop.registry.core`); prompt aliases are never gated (no gate compares prompt versions).

References (see :func:`parse_ref`)::

    support            the latest version        support@latest   the same
    support@3          version 3                 support@v3       the same (how diffs name it)
    support@production whatever the alias production points at

The registry stores the YAML text as given; checking that it is a valid prompt file is the
caller's job (``tuneloop.prompts.parse_prompt``), because the registry sits below the prompts
package. ``content_hash`` is sha256 of the UTF-8 text, the same as ``PromptFile.content_hash``.

Concurrency: every write is one transaction. Two pushes racing for the same number cannot both
win — ``(name, version)`` is unique — so the loser's transaction is rolled back and retried from
the start, where it sees the winner's row (and, if the texts are equal, returns it). SQLite's
"database is locked" and PostgreSQL's serialization failures are retried the same way.
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tuneloop.errors import PromptError
from tuneloop.registry import refs
from tuneloop.registry.core import KindInfo, Versioned
from tuneloop.registry.refs import LATEST
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import AliasRow, PromptVersionRow

__all__ = [
    "LATEST",
    "PromptRegistry",
    "PromptSummary",
    "PromptVersion",
    "content_hash",
    "parse_ref",
]

INFO = KindInfo(
    kind="prompt",
    create_hint="No prompt has been pushed yet; push one with `tuneloop prompt push FILE`.",
    list_command="tuneloop prompt list",
    alias_command="tuneloop prompt alias set {name}@{version} {alias}",
)


@dataclass(frozen=True)
class PromptVersion:
    """One pushed version; ``content`` is the YAML text exactly as pushed."""

    name: str
    version: int
    content: str
    content_hash: str
    author: str
    message: str
    created_at: datetime

    @property
    def ref(self) -> str:
        """``name@version``: how evaluations, runs and logs should refer to this version."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class PromptSummary:
    """One line of a listing: a prompt's newest version and its aliases."""

    name: str
    latest_version: int
    updated_at: datetime
    aliases: dict[str, int] = field(default_factory=dict)


def content_hash(content: str) -> str:
    """sha256 of the UTF-8 text, lowercase hex (equal to ``PromptFile.content_hash``)."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def parse_ref(ref: str) -> tuple[str, int | str]:
    """Split ``name[@selector]`` into the name and a version number, ``"latest"`` or an alias.

    Raises :class:`~tuneloop.errors.BadReference` if ``ref`` is not of that form.
    """
    parsed = refs.parse_ref(ref, kind="prompt")
    return parsed.name, parsed.selector


def _version(row: PromptVersionRow) -> PromptVersion:
    return PromptVersion(
        name=row.name,
        version=row.version,
        content=row.content,
        content_hash=row.content_hash,
        author=row.author,
        message=row.message,
        created_at=row.created_at,
    )


class PromptRegistry(Versioned[PromptVersionRow, PromptVersion]):
    """The ``prompt_versions`` table plus the prompt rows of ``aliases`` / ``alias_events``.

    Every method is its own transaction. Versions can be added, never changed or deleted.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, PromptVersionRow, _version, INFO)

    def push(
        self, name: str, content: str, *, author: str, message: str = ""
    ) -> tuple[PromptVersion, bool]:
        """Store ``content`` as the next version of ``name``; return it and whether it is new.

        If a version of ``name`` already has exactly this text, that version comes back with
        ``False`` and nothing is written. Raises :class:`BadReference` for a bad name and
        :class:`PromptError` for empty content.
        """
        refs.check_name(name, kind="prompt")
        if not content.strip():
            raise PromptError(
                f"Cannot push an empty prompt as {name!r}.",
                hint="Push the text of a prompt YAML file.",
                param="content",
            )
        digest = content_hash(content)

        def write(session: Session) -> tuple[PromptVersion, bool]:
            same = session.scalar(
                select(PromptVersionRow).where(
                    PromptVersionRow.name == name, PromptVersionRow.content_hash == digest
                )
            )
            if same is not None:
                return _version(same), False
            row = PromptVersionRow(
                name=name,
                version=self._latest_number(session, name) + 1,
                content=content,
                content_hash=digest,
                author=author,
                message=message,
            )
            session.add(row)
            session.flush()
            return _version(row), True

        return self._write(write, f"push {name!r}")

    def find_by_hash(self, name: str, content_hash: str) -> int | None:
        """The version of ``name`` whose text has this sha256, if any (links runs to versions)."""
        with session_scope(self._engine) as session:
            return session.scalar(
                select(PromptVersionRow.version).where(
                    PromptVersionRow.name == name, PromptVersionRow.content_hash == content_hash
                )
            )

    def summaries(self) -> builtins.list[PromptSummary]:
        """One :class:`PromptSummary` per prompt name, sorted by name (for listings)."""
        latest = (
            select(PromptVersionRow.name, func.max(PromptVersionRow.version).label("version"))
            .group_by(PromptVersionRow.name)
            .subquery()
        )
        query = (
            select(PromptVersionRow)
            .join(
                latest,
                (PromptVersionRow.name == latest.c.name)
                & (PromptVersionRow.version == latest.c.version),
            )
            .order_by(PromptVersionRow.name)
        )
        with session_scope(self._engine) as session:
            aliases: dict[str, dict[str, int]] = {}
            rows = session.scalars(
                select(AliasRow).where(AliasRow.kind == self.kind).order_by(AliasRow.alias)
            )
            for alias in rows:
                aliases.setdefault(alias.name, {})[alias.alias] = alias.version
            return [
                PromptSummary(
                    name=row.name,
                    latest_version=row.version,
                    updated_at=row.created_at,
                    aliases=aliases.get(row.name, {}),
                )
                for row in session.scalars(query)
            ]

    def diff(self, ref_a: str, ref_b: str, *, context: int = 3) -> str:
        """A unified diff from ``ref_a``'s YAML text to ``ref_b``'s; empty if they are equal.

        The file headers are ``name@vN``, which are valid refs themselves.
        """
        a, b = self.get(ref_a), self.get(ref_b)
        lines = difflib.unified_diff(
            a.content.splitlines(),
            b.content.splitlines(),
            fromfile=f"{a.name}@v{a.version}",
            tofile=f"{b.name}@v{b.version}",
            n=context,
            lineterm="",
        )
        text = "\n".join(lines)
        return text + "\n" if text else ""
