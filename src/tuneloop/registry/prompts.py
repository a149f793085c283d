"""Versioned prompts: immutable, numbered versions per prompt name, and labels that point at them.

Why immutable: evaluation results, training runs and served traffic record the prompt they used as
``name@version``. That reference only means something if version 3 is the same text forever, so
there is no API to change or delete a version; a change is a new push, which gets the next number.
Pushing text identical to an existing version of the name returns that version instead of making
a duplicate, so pushing a file that did not change is harmless (scripts and CI may push every run).

Why labels: code and config refer to ``name@production`` rather than a number, so a release (or a
roll back) moves the label, not the code. Every move is recorded in ``prompt_label_events`` with
who, when, from and to, which answers "what was production serving last Tuesday".

References (see :func:`parse_ref`)::

    support            the latest version        support@latest   the same
    support@3          version 3                 support@v3       the same (how diffs name it)
    support@production whatever the label production points at

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tuneloop.errors import NotFound, PromptError
from tuneloop.registry import refs
from tuneloop.registry.refs import LATEST
from tuneloop.store.engine import session_scope, write_with_retry
from tuneloop.store.schema import PromptLabelEventRow, PromptLabelRow, PromptVersionRow, utcnow

__all__ = [
    "LATEST",
    "PromptLabel",
    "PromptLabelEvent",
    "PromptRegistry",
    "PromptSummary",
    "PromptVersion",
    "content_hash",
    "parse_ref",
]


T = TypeVar("T")


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
class PromptLabel:
    """Where ``label`` of prompt ``name`` points now, and who moved it there last."""

    name: str
    label: str
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class PromptLabelEvent:
    """One label move: ``from_version`` is None when the label was new, ``to_version`` is None
    when it was removed."""

    id: int
    name: str
    label: str
    from_version: int | None
    to_version: int | None
    at: datetime
    by: str


@dataclass(frozen=True)
class PromptSummary:
    """One line of a listing: a prompt's newest version and its labels."""

    name: str
    latest_version: int
    updated_at: datetime
    labels: dict[str, int] = field(default_factory=dict)


def content_hash(content: str) -> str:
    """sha256 of the UTF-8 text, lowercase hex (equal to ``PromptFile.content_hash``)."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def parse_ref(ref: str) -> tuple[str, int | str]:
    """Split ``name[@selector]`` into the name and a version number, ``"latest"`` or a label.

    Raises :class:`PromptError` if ``ref`` is not of that form.
    """
    return refs.parse_ref(ref, kind="prompt", error=PromptError)


def _check_name(name: str) -> None:
    refs.check_name(name, kind="prompt", error=PromptError)


def _check_label(label: str) -> None:
    if label == LATEST:
        raise PromptError(
            f"The label {LATEST!r} is reserved: it always means the newest version.",
            hint="Pick another label, e.g. production, staging or canary.",
            param="label",
        )
    if not refs.LABEL_PATTERN.fullmatch(label) or refs.VERSION_PATTERN.fullmatch(label):
        raise PromptError(
            f"Bad label {label!r}.",
            hint="Labels are lowercase identifiers such as production, staging or canary: a "
            "letter, then letters, digits, - or _ (and not v<number>, which reads as a version).",
            param="label",
        )


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


def _label(row: PromptLabelRow) -> PromptLabel:
    return PromptLabel(
        name=row.name,
        label=row.label,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _event(row: PromptLabelEventRow) -> PromptLabelEvent:
    return PromptLabelEvent(
        id=row.id,
        name=row.name,
        label=row.label,
        from_version=row.from_version,
        to_version=row.to_version,
        at=row.at,
        by=row.by,
    )


def _latest(session: Session, name: str) -> int:
    query = select(func.max(PromptVersionRow.version)).where(PromptVersionRow.name == name)
    return session.scalar(query) or 0


def _labels(session: Session, name: str) -> dict[str, int]:
    rows = session.scalars(
        select(PromptLabelRow).where(PromptLabelRow.name == name).order_by(PromptLabelRow.label)
    )
    return {row.label: row.version for row in rows}


def _describe(session: Session, name: str) -> str:
    """What exists for ``name``, for hints: its versions and its labels."""
    latest = _latest(session, name)
    versions = "version 1" if latest == 1 else f"versions 1 to {latest}"
    labels = _labels(session, name)
    shown = ", ".join(f"{label} → {version}" for label, version in labels.items())
    return f"{name} has {versions}" + (f" and labels {shown}." if labels else " and no labels.")


def _unknown_name(session: Session, name: str) -> NotFound:
    query = select(PromptVersionRow.name).distinct().order_by(PromptVersionRow.name).limit(21)
    names = list(session.scalars(query))
    if not names:
        hint = "No prompt has been pushed yet; push one with `tuneloop prompt push FILE`."
    else:
        shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
        hint = f"Pushed prompts: {shown}. Push a new one with `tuneloop prompt push FILE`."
    return NotFound(f"No prompt named {name!r}.", hint=hint, param="name")


class PromptRegistry:
    """The ``prompt_versions``, ``prompt_labels`` and ``prompt_label_events`` tables.

    Every method is its own transaction. Versions can be added, never changed or deleted.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def push(
        self, name: str, content: str, *, author: str, message: str = ""
    ) -> tuple[PromptVersion, bool]:
        """Store ``content`` as the next version of ``name``; return it and whether it is new.

        If a version of ``name`` already has exactly this text, that version comes back with
        ``False`` and nothing is written. Raises :class:`PromptError` for a bad name or empty
        content.
        """
        _check_name(name)
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
                version=_latest(session, name) + 1,
                content=content,
                content_hash=digest,
                author=author,
                message=message,
            )
            session.add(row)
            session.flush()
            return _version(row), True

        return self._write(write, f"push {name!r}")

    def get(self, ref: str) -> PromptVersion:
        """The version ``ref`` names (see :func:`parse_ref`).

        Raises :class:`PromptError` for a malformed ref and :class:`NotFound`, whose hint lists
        what exists, for an unknown name, version or label.
        """
        name, selector = parse_ref(ref)
        with session_scope(self._engine) as session:
            if selector == LATEST:
                version = _latest(session, name)
                if version == 0:
                    raise _unknown_name(session, name)
            elif isinstance(selector, int):
                version = selector
            else:
                label = session.get(PromptLabelRow, (name, selector))
                if label is None:
                    if _latest(session, name) == 0:
                        raise _unknown_name(session, name)
                    raise NotFound(
                        f"Prompt {name!r} has no label {selector!r}.",
                        hint=_describe(session, name),
                        param="ref",
                    )
                version = label.version
            row = session.scalar(
                select(PromptVersionRow).where(
                    PromptVersionRow.name == name, PromptVersionRow.version == version
                )
            )
            if row is None:
                if _latest(session, name) == 0:
                    raise _unknown_name(session, name)
                raise NotFound(
                    f"Prompt {name!r} has no version {version}.",
                    hint=_describe(session, name),
                    param="ref",
                )
            return _version(row)

    def find_by_hash(self, name: str, content_hash: str) -> int | None:
        """The version of ``name`` whose text has this sha256, if any (links runs to versions)."""
        with session_scope(self._engine) as session:
            return session.scalar(
                select(PromptVersionRow.version).where(
                    PromptVersionRow.name == name, PromptVersionRow.content_hash == content_hash
                )
            )

    def versions(self, name: str) -> builtins.list[PromptVersion]:
        """Every version of ``name``, oldest first; :class:`NotFound` if there is none."""
        with session_scope(self._engine) as session:
            rows = list(
                session.scalars(
                    select(PromptVersionRow)
                    .where(PromptVersionRow.name == name)
                    .order_by(PromptVersionRow.version)
                )
            )
            if not rows:
                raise _unknown_name(session, name)
            return [_version(row) for row in rows]

    def names(self) -> builtins.list[str]:
        """Every prompt name with at least one version, sorted."""
        with session_scope(self._engine) as session:
            query = select(PromptVersionRow.name).distinct().order_by(PromptVersionRow.name)
            return list(session.scalars(query))

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
            labels: dict[str, dict[str, int]] = {}
            for label in session.scalars(select(PromptLabelRow).order_by(PromptLabelRow.label)):
                labels.setdefault(label.name, {})[label.label] = label.version
            return [
                PromptSummary(
                    name=row.name,
                    latest_version=row.version,
                    updated_at=row.created_at,
                    labels=labels.get(row.name, {}),
                )
                for row in session.scalars(query)
            ]

    def labels(self, name: str) -> dict[str, int]:
        """``{label: version}`` for ``name``, sorted by label; :class:`NotFound` for an unknown
        name."""
        with session_scope(self._engine) as session:
            if _latest(session, name) == 0:
                raise _unknown_name(session, name)
            return _labels(session, name)

    def set_label(self, name: str, label: str, version: int, *, by: str) -> PromptLabel:
        """Point ``label`` of ``name`` at ``version`` (creating or moving it) and record the move.

        Setting a label to the version it already points at changes and records nothing.
        Raises :class:`PromptError` for a bad or reserved label (``latest``) and
        :class:`NotFound` for an unknown name or version.
        """
        _check_name(name)
        _check_label(label)

        def write(session: Session) -> PromptLabel:
            exists = session.scalar(
                select(PromptVersionRow.id).where(
                    PromptVersionRow.name == name, PromptVersionRow.version == version
                )
            )
            if exists is None:
                if _latest(session, name) == 0:
                    raise _unknown_name(session, name)
                raise NotFound(
                    f"Prompt {name!r} has no version {version}.",
                    hint=_describe(session, name),
                    param="version",
                )
            row = session.get(PromptLabelRow, (name, label), with_for_update=True)
            if row is not None and row.version == version:
                return _label(row)
            previous = None if row is None else row.version
            now = utcnow()
            if row is None:
                row = PromptLabelRow(name=name, label=label)
                session.add(row)
            row.version = version
            row.updated_at = now
            row.updated_by = by
            session.add(
                PromptLabelEventRow(
                    name=name, label=label, from_version=previous, to_version=version, at=now, by=by
                )
            )
            session.flush()
            return _label(row)

        return self._write(write, f"label {name!r} {label!r}")

    def remove_label(self, name: str, label: str, *, by: str) -> PromptLabel:
        """Remove ``label`` from ``name``, record it, and return where it pointed.

        Raises :class:`NotFound` if the label is not set.
        """
        _check_name(name)

        def write(session: Session) -> PromptLabel:
            row = session.get(PromptLabelRow, (name, label), with_for_update=True)
            if row is None:
                if _latest(session, name) == 0:
                    raise _unknown_name(session, name)
                raise NotFound(
                    f"Prompt {name!r} has no label {label!r}.",
                    hint=_describe(session, name),
                    param="label",
                )
            removed = _label(row)
            session.delete(row)
            session.add(
                PromptLabelEventRow(
                    name=name, label=label, from_version=removed.version, to_version=None, by=by
                )
            )
            return removed

        return self._write(write, f"remove label {name!r} {label!r}")

    def label_history(self, name: str, label: str | None = None) -> builtins.list[PromptLabelEvent]:
        """The recorded moves of ``name``'s labels (or just ``label``), oldest first."""
        query = select(PromptLabelEventRow).where(PromptLabelEventRow.name == name)
        if label is not None:
            query = query.where(PromptLabelEventRow.label == label)
        with session_scope(self._engine) as session:
            return [_event(row) for row in session.scalars(query.order_by(PromptLabelEventRow.id))]

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

    def _write(self, work: Callable[[Session], T], what: str) -> T:
        return write_with_retry(self._engine, work, what)
