"""Stored gate results — the evidence behind every move of a protected alias.

Why a table of its own (and not a flag on an eval run): a gate is a *decision about two versions*
(candidate ``seoul-guide@3`` against ``seoul-guide@2``, the version ``production`` pointed at) on a
named suite, under stated settings. The registry refuses to move a protected alias unless a passing
row names exactly that candidate and exactly the alias's current version, so a gate run last week
against a different baseline proves nothing today. Rows are append-only.

Ids read like ``gate-20261207-ab12cd`` (UTC date, 6 random hex digits), as eval runs do.
"""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from tuneloop.errors import NotFound
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import GateResultRow

__all__ = ["GateRecord", "GateResults", "new_gate_id"]

GATE_ID_PREFIX = "gate-"


def new_gate_id(now: datetime | None = None) -> str:
    """A fresh gate id, ``gate-YYYYMMDD-xxxxxx`` (UTC date of ``now``)."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{GATE_ID_PREFIX}{when:%Y%m%d}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class GateRecord:
    """One gate decision. ``baseline_version`` is ``None`` when the baseline was not a version of
    ``model_name`` (the base model, before anything was promoted)."""

    model_name: str
    candidate_version: int
    baseline_model: str
    baseline_version: int | None
    suite: str
    suite_hash: str
    candidate_run_id: str
    baseline_run_id: str
    passed: bool
    checks: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    candidate_hash: str | None = None
    alias: str | None = None
    by: str = "tuneloop"
    id: str = ""
    created_at: datetime | None = None

    @property
    def candidate_ref(self) -> str:
        return f"{self.model_name}@{self.candidate_version}"

    @property
    def baseline_ref(self) -> str:
        if self.baseline_version is None:
            return self.baseline_model
        return f"{self.model_name}@{self.baseline_version}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model_name": self.model_name,
            "candidate": self.candidate_ref,
            "candidate_hash": self.candidate_hash,
            "baseline": self.baseline_ref,
            "baseline_model": self.baseline_model,
            "alias": self.alias,
            "suite": self.suite,
            "suite_hash": self.suite_hash,
            "candidate_run_id": self.candidate_run_id,
            "baseline_run_id": self.baseline_run_id,
            "passed": self.passed,
            "checks": self.checks,
            "settings": self.settings,
            "by": self.by,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


def _record(row: GateResultRow) -> GateRecord:
    return GateRecord(
        id=row.id,
        model_name=row.model_name,
        candidate_version=row.candidate_version,
        candidate_hash=row.candidate_hash,
        baseline_model=row.baseline_model,
        baseline_version=row.baseline_version,
        alias=row.alias,
        suite=row.suite,
        suite_hash=row.suite_hash,
        candidate_run_id=row.candidate_run_id,
        baseline_run_id=row.baseline_run_id,
        passed=row.passed,
        checks=list(row.checks),
        settings=dict(row.settings),
        by=row.by,
        created_at=row.created_at,
    )


class GateResults:
    """Append-only access to ``gate_results``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, record: GateRecord) -> GateRecord:
        """Store ``record`` under a fresh id and return it as stored."""
        gate_id = record.id or new_gate_id()
        with session_scope(self._engine) as session:
            row = GateResultRow(
                id=gate_id,
                model_name=record.model_name,
                candidate_version=record.candidate_version,
                candidate_hash=record.candidate_hash,
                baseline_model=record.baseline_model,
                baseline_version=record.baseline_version,
                alias=record.alias,
                suite=record.suite,
                suite_hash=record.suite_hash,
                candidate_run_id=record.candidate_run_id,
                baseline_run_id=record.baseline_run_id,
                passed=record.passed,
                checks=list(record.checks),
                settings=dict(record.settings),
                by=record.by,
            )
            session.add(row)
            session.flush()
            return _record(row)

    def get(self, gate_id: str) -> GateRecord:
        """The gate result ``gate_id``; :class:`~tuneloop.errors.NotFound` if there is none."""
        with session_scope(self._engine) as session:
            row = session.get(GateResultRow, gate_id)
            if row is None:
                raise NotFound(
                    f"No gate result {gate_id!r}.",
                    hint="List them with `tuneloop models show NAME@VERSION` or run "
                    "`tuneloop eval gate CANDIDATE_RUN --baseline BASELINE_RUN`.",
                    param="gate",
                )
            return _record(row)

    def for_version(self, model_name: str, version: int) -> builtins.list[GateRecord]:
        """Every gate of ``model_name@version``, newest first."""
        with session_scope(self._engine) as session:
            rows = session.scalars(
                select(GateResultRow)
                .where(
                    GateResultRow.model_name == model_name,
                    GateResultRow.candidate_version == version,
                )
                .order_by(GateResultRow.created_at.desc(), GateResultRow.id.desc())
            ).all()
            return [_record(r) for r in rows]

    def evidence(
        self, model_name: str, candidate_version: int, baseline_version: int | None
    ) -> GateRecord | None:
        """The newest *passing* gate of ``model_name@candidate_version`` against exactly
        ``baseline_version`` (``None``: against a baseline outside ``model_name``, which is what
        an alias with no version yet is compared to), or ``None`` if there is none."""
        for record in self.for_version(model_name, candidate_version):
            if record.passed and record.baseline_version == baseline_version:
                return record
        return None
