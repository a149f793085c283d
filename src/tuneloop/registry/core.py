"""The versioned core every registry is: numbered immutable versions per name, and aliases.

Why one core: prompts, datasets and models are all "numbered versions of a name, plus movable
aliases (production, staging …) that pick one". Reading a reference, listing versions, moving,
removing and rolling back an alias, its audit trail and the hints for an unknown name are the same
code for all three; a kind adds only what is its own (how a version is pushed, what it holds).

Aliases of every kind live in one table pair (``aliases``, ``alias_events``), keyed by ``kind``.
Every move is recorded with who, when, from, to, why (``reason``) and — for a protected alias —
the stored gate (``gate_id``) that allowed it.

Protected aliases (:class:`AliasPolicy`, ``[registry] protected_aliases``, ``production`` by
default) apply to models: moving one to version v needs a stored, passing gate that compared v
against the version the alias points at *now* (``store.gate_results.evidence``), or ``force`` with
a reason. A roll back (back to where the alias pointed before its last move) is the emergency
exit: it needs a reason, not a gate, because that version already served under the alias.
Removing a protected alias needs ``force`` and a reason. Prompt and dataset aliases are not gated:
no gate compares prompt or dataset versions, so their moves are recorded (with an optional reason)
but never refused.
"""

from __future__ import annotations

import builtins
import difflib
import functools
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tuneloop.errors import BadReference, ProtectedAlias, UnknownReference
from tuneloop.registry import refs
from tuneloop.registry.refs import LATEST, Ref
from tuneloop.store.engine import session_scope, write_with_retry
from tuneloop.store.gate_results import GateRecord, GateResults
from tuneloop.store.schema import (
    AliasEventRow,
    AliasRow,
    DatasetVersionRow,
    IndexVersionRow,
    ModelVersionRow,
    PromptVersionRow,
    utcnow,
)

__all__ = [
    "DEFAULT_PROTECTED",
    "Alias",
    "AliasEvent",
    "AliasMove",
    "AliasPolicy",
    "KindInfo",
    "Versioned",
]

DEFAULT_PROTECTED = ("production",)
"""The aliases protected when a project configures none."""

R = TypeVar("R", PromptVersionRow, DatasetVersionRow, ModelVersionRow, IndexVersionRow)
V = TypeVar("V")
T = TypeVar("T")
_MAX_SHOWN = 20
_MOVE_ATTEMPTS = 8


@dataclass(frozen=True)
class Alias:
    """Where ``alias`` of ``kind`` ``name`` points now, and who moved it there last."""

    kind: str
    name: str
    alias: str
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class AliasEvent:
    """One alias move: ``from_version`` is None when the alias was new, ``to_version`` None when
    it was removed; ``reason`` is why (empty if none was given), ``gate_id`` the gate that allowed
    a protected move."""

    id: int
    kind: str
    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    at: datetime
    by: str
    reason: str = ""
    gate_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "at": self.at.isoformat(),
            "by": self.by,
            "reason": self.reason,
            "gate_id": self.gate_id,
        }


@dataclass(frozen=True)
class AliasMove:
    """The result of moving an alias: where it points now, where it pointed before (None if new),
    whether anything changed, and what allowed it (``gate``, or ``forced`` with ``reason``)."""

    alias: Alias
    previous: int | None
    changed: bool = True
    gate: GateRecord | None = None
    forced: bool = False
    reason: str = ""


@dataclass(frozen=True)
class AliasPolicy:
    """Which aliases are protected, and where the gate evidence for moving them is stored."""

    protected: frozenset[str]
    gates: GateResults

    @classmethod
    def of(cls, gates: GateResults, protected: Collection[str] = DEFAULT_PROTECTED) -> AliasPolicy:
        return cls(frozenset(protected), gates)


@dataclass(frozen=True)
class KindInfo:
    """How one kind talks about itself in messages: its noun and the commands to suggest."""

    kind: str
    create_hint: str
    list_command: str
    alias_command: str  # with {name}, {alias} and {version} placeholders
    plural: str = ""  # the noun in lists ("indexes"); default: kind + "s"


def _alias(row: AliasRow) -> Alias:
    return Alias(row.kind, row.name, row.alias, row.version, row.updated_at, row.updated_by)


def _event(row: AliasEventRow) -> AliasEvent:
    return AliasEvent(
        id=row.id,
        kind=row.kind,
        name=row.name,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        at=row.at,
        by=row.by,
        reason=row.reason,
        gate_id=row.gate_id,
    )


class _Moved(Exception):
    """The alias moved between the gate check and the write; check again."""


class Versioned(Generic[R, V]):
    """Versions of one kind (rows ``row``, handed out as ``V`` by ``convert``) and their aliases.

    Every public method is its own transaction; versions are never changed or deleted here.
    """

    def __init__(
        self,
        engine: Engine,
        row: type[R],
        convert: Callable[[R], V],
        info: KindInfo,
        policy: AliasPolicy | None = None,
    ) -> None:
        self._engine = engine
        self._row: type[R] = row
        self._convert: Callable[[R], V] = convert
        self._info = info
        self._policy = policy

    @property
    def kind(self) -> str:
        return self._info.kind

    # -- references ---------------------------------------------------------------------------

    def parse(self, text: str, *, param: str = "ref") -> Ref:
        """``text`` as a :class:`~tuneloop.registry.refs.Ref` of this kind."""
        return refs.parse_ref(text, kind=self.kind, param=param)

    def get(self, ref: str | Ref) -> V:
        """The version ``ref`` names (``name``, ``name@3``, ``name@latest``, ``name@alias``).

        Raises :class:`BadReference` for a malformed ref and :class:`UnknownReference` (hint: what
        exists, and the closest names) for an unknown name, version or alias.
        """
        parsed = ref if isinstance(ref, Ref) else self.parse(ref)
        with session_scope(self._engine) as session:
            return self._convert(self._resolve(session, parsed))

    def resolve(self, ref: str) -> V | None:
        """Like :meth:`get`, but None when ``ref`` is malformed or names nothing."""
        try:
            parsed = self.parse(ref)
        except BadReference:
            return None
        with session_scope(self._engine) as session:
            row = self._find(session, parsed)
            return None if row is None else self._convert(row)

    # -- versions -----------------------------------------------------------------------------

    def versions(self, name: str) -> builtins.list[V]:
        """Every version of ``name``, oldest first; :class:`UnknownReference` if there is none."""
        with session_scope(self._engine) as session:
            rows = list(
                session.scalars(
                    select(self._row).where(self._row.name == name).order_by(self._row.version)
                )
            )
            if not rows:
                raise self._unknown_name(session, name)
            return [self._convert(row) for row in rows]

    def names(self) -> builtins.list[str]:
        """Every name with at least one version, sorted."""
        with session_scope(self._engine) as session:
            return self._names(session)

    def latest(self) -> builtins.list[V]:
        """The newest version of every name, sorted by name."""
        newest = (
            select(self._row.name, func.max(self._row.version).label("v"))
            .group_by(self._row.name)
            .subquery()
        )
        query = (
            select(self._row)
            .join(newest, (self._row.name == newest.c.name) & (self._row.version == newest.c.v))
            .order_by(self._row.name)
        )
        with session_scope(self._engine) as session:
            return [self._convert(row) for row in session.scalars(query)]

    # -- aliases ------------------------------------------------------------------------------

    def aliases(self, name: str) -> dict[str, int]:
        """``{alias: version}`` for ``name``, sorted by alias; :class:`UnknownReference` for an
        unknown name."""
        with session_scope(self._engine) as session:
            if self._latest_number(session, name) == 0:
                raise self._unknown_name(session, name)
            return self._aliases(session, name)

    def all_aliases(self) -> builtins.list[Alias]:
        """Every alias of this kind, by name then alias (for listings)."""
        query = (
            select(AliasRow)
            .where(AliasRow.kind == self.kind)
            .order_by(AliasRow.name, AliasRow.alias)
        )
        with session_scope(self._engine) as session:
            return [_alias(row) for row in session.scalars(query)]

    def is_protected(self, alias: str) -> bool:
        """Whether moving ``alias`` of this kind needs gate evidence (see the module docstring)."""
        return self._policy is not None and alias in self._policy.protected

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        by: str,
        reason: str = "",
        force: bool = False,
    ) -> AliasMove:
        """Point ``alias`` of ``name`` at ``version`` (creating or moving it) and record the move.

        Pointing it at the version it already has changes and records nothing
        (``changed=False``). A protected alias needs gate evidence, or ``force`` with a
        ``reason`` (:class:`ProtectedAlias` otherwise). Raises :class:`BadReference` for a bad or
        reserved alias and :class:`UnknownReference` for an unknown name or version.
        """
        refs.check_name(name, kind=self.kind)
        refs.check_alias(alias)
        return self._move(name, alias, version, by=by, reason=reason, force=force, rollback=False)

    def rollback(
        self, name: str, alias: str = "production", *, by: str, reason: str = ""
    ) -> AliasMove:
        """Point ``alias`` back where it was before its last move (recorded as a move of its own,
        so a second roll back undoes the first). A protected alias needs a ``reason``, no gate.

        Raises :class:`UnknownReference` if the alias is not set and :class:`BadReference` if it
        never pointed anywhere else.
        """
        refs.check_name(name, kind=self.kind)
        with session_scope(self._engine) as session:
            current = session.get(AliasRow, (self.kind, name, alias))
            if current is None:
                raise self._no_alias(session, name, alias, "to roll back")
            last = session.scalar(
                select(AliasEventRow)
                .where(
                    AliasEventRow.kind == self.kind,
                    AliasEventRow.name == name,
                    AliasEventRow.alias == alias,
                )
                .order_by(AliasEventRow.id.desc())
                .limit(1)
            )
            previous = None if last is None else last.from_version
        if previous is None:
            raise BadReference(
                f"{name}@{alias} never pointed anywhere else; there is nothing to roll back to.",
                hint="Set it explicitly: `" + self._alias_command(name, alias, "N") + "`.",
                param="alias",
            )
        return self._move(name, alias, previous, by=by, reason=reason, force=False, rollback=True)

    def remove_alias(
        self, name: str, alias: str, *, by: str, reason: str = "", force: bool = False
    ) -> Alias:
        """Remove ``alias`` from ``name``, record it, and return where it pointed.

        A protected alias is removed only with ``force`` and a ``reason``. Raises
        :class:`UnknownReference` if the alias is not set.
        """
        refs.check_name(name, kind=self.kind)
        if self.is_protected(alias) and not (force and reason.strip()):
            raise ProtectedAlias(
                f"{name}@{alias} is protected: removing it would leave nothing to serve.",
                hint="Move it to another version instead, or remove it deliberately with "
                '--force --reason "why" (recorded in the history).',
                param="alias",
            )

        def write(session: Session) -> Alias:
            row = session.get(AliasRow, (self.kind, name, alias), with_for_update=True)
            if row is None:
                raise self._no_alias(session, name, alias)
            removed = _alias(row)
            session.delete(row)
            session.add(
                AliasEventRow(
                    kind=self.kind,
                    name=name,
                    alias=alias,
                    from_version=removed.version,
                    to_version=None,
                    by=by,
                    reason=reason.strip(),
                )
            )
            return removed

        return self._write(write, f"remove alias {name!r} {alias!r}")

    def alias_history(self, name: str, alias: str | None = None) -> builtins.list[AliasEvent]:
        """The recorded moves of ``name``'s aliases (or just ``alias``), oldest first."""
        query = select(AliasEventRow).where(
            AliasEventRow.kind == self.kind, AliasEventRow.name == name
        )
        if alias is not None:
            query = query.where(AliasEventRow.alias == alias)
        with session_scope(self._engine) as session:
            return [_event(row) for row in session.scalars(query.order_by(AliasEventRow.id))]

    # -- for the kinds ------------------------------------------------------------------------

    def _write(self, work: Callable[[Session], T], what: str) -> T:
        return write_with_retry(self._engine, work, what)

    def _latest_number(self, session: Session, name: str) -> int:
        query = select(func.max(self._row.version)).where(self._row.name == name)
        return session.scalar(query) or 0

    def _row_of(self, session: Session, name: str, version: int) -> R | None:
        return session.scalar(
            select(self._row).where(self._row.name == name, self._row.version == version)
        )

    def _find(self, session: Session, ref: Ref) -> R | None:
        if ref.selector == LATEST:
            version = self._latest_number(session, ref.name)
        elif isinstance(ref.selector, int):
            version = ref.selector
        else:
            alias = session.get(AliasRow, (self.kind, ref.name, ref.selector))
            if alias is None:
                return None
            version = alias.version
        return self._row_of(session, ref.name, version)

    def _resolve(self, session: Session, ref: Ref) -> R:
        row = self._find(session, ref)
        if row is not None:
            return row
        if self._latest_number(session, ref.name) == 0:
            raise self._unknown_name(session, ref.name)
        if isinstance(ref.selector, int):
            raise UnknownReference(
                f"{self.kind.capitalize()} {ref.name!r} has no version {ref.selector}.",
                hint=self._describe(session, ref.name),
                param="ref",
            )
        raise self._no_alias(session, ref.name, ref.selector)

    def _names(self, session: Session) -> builtins.list[str]:
        query = select(self._row.name).distinct().order_by(self._row.name)
        return list(session.scalars(query))

    def _aliases(self, session: Session, name: str) -> dict[str, int]:
        rows = session.scalars(
            select(AliasRow)
            .where(AliasRow.kind == self.kind, AliasRow.name == name)
            .order_by(AliasRow.alias)
        )
        return {row.alias: row.version for row in rows}

    def _describe(self, session: Session, name: str) -> str:
        """What exists for ``name``, for hints: its versions and its aliases."""
        latest = self._latest_number(session, name)
        versions = "version 1" if latest == 1 else f"versions 1 to {latest}"
        aliases = self._aliases(session, name)
        shown = ", ".join(f"{alias} → {version}" for alias, version in aliases.items())
        return f"{name} has {versions}" + (
            f" and aliases {shown}." if aliases else " and no aliases."
        )

    def _unknown_name(self, session: Session, name: str) -> UnknownReference:
        names = self._names(session)
        if not names:
            hint = self._info.create_hint
        else:
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
            shown = ", ".join(names[:_MAX_SHOWN]) + (", …" if len(names) > _MAX_SHOWN else "")
            hint = (f"Did you mean {' or '.join(close)}? " if close else "") + (
                f"Known {self._info.plural or self.kind + 's'}: {shown}; "
                f"see `{self._info.list_command}`."
            )
        return UnknownReference(f"No {self.kind} named {name!r}.", hint=hint, param="ref")

    def _no_alias(
        self, session: Session, name: str, alias: str, what: str = ""
    ) -> UnknownReference:
        if self._latest_number(session, name) == 0:
            return self._unknown_name(session, name)
        aliases = list(self._aliases(session, name))
        close = difflib.get_close_matches(alias, aliases, n=1, cutoff=0.6)
        return UnknownReference(
            f"{self.kind.capitalize()} {name!r} has no alias {alias!r}"
            + (f" {what}." if what else "."),
            hint=(f"Did you mean {name}@{close[0]}? " if close else "")
            + self._describe(session, name)
            + " Set it with `"
            + self._alias_command(name, alias, "N")
            + "`.",
            param="alias",
        )

    def _alias_command(self, name: str, alias: str, version: str) -> str:
        return self._info.alias_command.format(name=name, alias=alias, version=version)

    def _current(self, name: str, alias: str) -> int | None:
        with session_scope(self._engine) as session:
            row = session.get(AliasRow, (self.kind, name, alias))
            return None if row is None else row.version

    def _authorize(
        self,
        name: str,
        alias: str,
        current: int | None,
        target: int,
        *,
        reason: str,
        force: bool,
        rollback: bool,
    ) -> GateRecord | None:
        """The gate that allows moving a protected alias from ``current`` to ``target`` (None
        when no gate is needed or ``force`` replaces it); :class:`ProtectedAlias` if refused."""
        if not self.is_protected(alias) or current == target:
            return None
        assert self._policy is not None
        where = f"{name}@{alias}"
        if rollback:
            if not reason.strip():
                raise ProtectedAlias(
                    f"{where} is protected: rolling it back to version {target} needs a reason.",
                    hint=f"Say why: `tuneloop {self._cli_group} rollback {name} --alias {alias} "
                    f'--reason "..."` (recorded in the history).',
                    param="reason",
                )
            return None
        gate = self._policy.gates.evidence(name, target, current)
        if gate is not None:
            return gate
        if force:
            if not reason.strip():
                raise ProtectedAlias(
                    f"--force on {where} needs a reason.",
                    hint='Add --reason "why this version may skip its gate"; it is recorded in '
                    "the alias history.",
                    param="reason",
                )
            return None
        baseline = f"{name}@{current}" if current is not None else "the base model"
        moving = (
            f"moving it from version {current} to {target}"
            if current is not None
            else f"setting it to version {target}"
        )
        others = [
            f"{g.id} against {g.baseline_ref} ({'passed' if g.passed else 'failed'})"
            for g in self._policy.gates.for_version(name, target)[:3]
        ]
        found = (
            f" Gates of {name}@{target} on record: {'; '.join(others)} — none is a passing gate "
            f"against {baseline}."
            if others
            else ""
        )
        raise ProtectedAlias(
            f"{where} is protected: {moving} needs a stored, passing gate of {name}@{target} "
            f"against {baseline}, and there is none.{found}",
            hint=f"Evaluate both versions on a suite (`tuneloop eval run SUITE --model "
            f"{name}@{target}`, and the same for {baseline}), then gate them: `tuneloop eval gate "
            f"CANDIDATE_RUN --baseline BASELINE_RUN`. To move it without a gate (recorded): "
            f'`{self._alias_command(name, alias, str(target))} --force --reason "..."`.',
            param="alias",
        )

    @property
    def _cli_group(self) -> str:
        return {"model": "models", "prompt": "prompt", "dataset": "data"}.get(self.kind, self.kind)

    def _move(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        by: str,
        reason: str,
        force: bool,
        rollback: bool,
    ) -> AliasMove:
        for attempt in range(_MOVE_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
            seen: int | None = self._current(name, alias)
            gate = self._authorize(
                name, alias, seen, version, reason=reason, force=force, rollback=rollback
            )
            forced = force and gate is None and self.is_protected(alias) and seen != version
            write = functools.partial(
                self._write_move,
                name=name,
                alias=alias,
                version=version,
                seen=seen,
                by=by,
                reason=reason,
                gate=gate,
                forced=forced,
            )
            try:
                return self._write(write, f"alias {name!r} {alias!r}")
            except _Moved:
                continue
        raise ProtectedAlias(
            f"{name}@{alias} kept moving while it was being set; try again.", param="alias"
        )

    def _write_move(
        self,
        session: Session,
        *,
        name: str,
        alias: str,
        version: int,
        seen: int | None,
        by: str,
        reason: str,
        gate: GateRecord | None,
        forced: bool,
    ) -> AliasMove:
        if self._row_of(session, name, version) is None:
            if self._latest_number(session, name) == 0:
                raise self._unknown_name(session, name)
            raise UnknownReference(
                f"{self.kind.capitalize()} {name!r} has no version {version}.",
                hint=self._describe(session, name),
                param="version",
            )
        row = session.get(AliasRow, (self.kind, name, alias), with_for_update=True)
        previous = None if row is None else row.version
        if previous != seen and self.is_protected(alias):
            # The gate was checked against ``seen``; a move since then invalidates that check.
            raise _Moved()
        if row is not None and row.version == version:
            return AliasMove(_alias(row), previous=version, changed=False)
        now = utcnow()
        if row is None:
            row = AliasRow(kind=self.kind, name=name, alias=alias)
            session.add(row)
        row.version = version
        row.updated_at = now
        row.updated_by = by
        session.add(
            AliasEventRow(
                kind=self.kind,
                name=name,
                alias=alias,
                from_version=previous,
                to_version=version,
                at=now,
                by=by,
                reason=reason.strip(),
                gate_id=None if gate is None else gate.id,
            )
        )
        session.flush()
        return AliasMove(
            _alias(row), previous=previous, gate=gate, forced=forced, reason=reason.strip()
        )
