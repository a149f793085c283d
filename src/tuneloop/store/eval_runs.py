"""Stored evaluation runs: a run row plus one JSON document per case, written in one transaction.

Why one transaction: reports and gates compare whole runs; a run that crashed half-way must not
be left claiming N cases with fewer results behind it. Why a JSON document per case (and not a
column per field): metrics come from plugins and their ``details`` have no fixed shape, while the
few things that are queried — suite, model, time, counts, per-metric means — are real columns on
the run row, so ``tuneloop eval list`` never reads results.

The model is stored three ways: ``model`` (what the user typed, ``seoul-guide@staging``),
``model_version`` (the immutable version it resolved to, ``seoul-guide@2``) and ``model_hash``
(``sha256:`` of its weights or config); the whole resolved identity is in ``meta``.

Run ids read like ``ev-20261125-ab12cd`` (UTC date, 6 random hex digits): sortable by eye, short
enough to type, and :meth:`EvalRuns.get` accepts any unique prefix — of the whole id or of the
random part (``ab12``).

JSON cannot hold NaN or infinity (PostgreSQL rejects them), so such numbers in metric details are
stored as ``null``, and a metric mean with no scores is stored as ``null`` and read back as NaN.
"""

from __future__ import annotations

import builtins
import math
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tuneloop.errors import NotFound, StoreError
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import EvalResultRow, EvalRunRow

if TYPE_CHECKING:
    from tuneloop.store.eval_results import CaseResult, EvalRun

__all__ = [
    "EvalRunSummary",
    "EvalRuns",
    "case_result_from_dict",
    "case_result_to_dict",
    "jsonable",
    "new_run_id",
]

RUN_ID_PREFIX = "ev-"


def new_run_id(now: datetime | None = None) -> str:
    """A fresh run id, ``ev-YYYYMMDD-xxxxxx`` (UTC date of ``now``)."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{RUN_ID_PREFIX}{when:%Y%m%d}-{secrets.token_hex(3)}"


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: tuples become lists, NaN/±inf become ``None``, numpy-style
    scalars their Python value, anything else its ``str``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        return jsonable(item())
    return str(value)


def case_result_to_dict(result: CaseResult) -> dict[str, Any]:
    """A :class:`CaseResult` as JSON data (the inverse of :func:`case_result_from_dict`)."""
    return {
        "case_id": result.case_id,
        "tags": list(result.tags),
        "messages": jsonable(result.messages),
        "output": result.output,
        "references": list(result.references),
        "scores": jsonable(result.scores),
        "details": jsonable(result.details),
        "passed": result.passed,
        "latency_ms": jsonable(result.latency_ms),
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cached": result.cached,
        "error": result.error,
        "sources": jsonable(result.sources),
    }


def case_result_from_dict(data: Mapping[str, Any]) -> CaseResult:
    from tuneloop.store.eval_results import CaseResult

    return CaseResult(
        case_id=str(data["case_id"]),
        tags=tuple(data.get("tags") or ()),
        messages=list(data.get("messages") or []),
        output=data.get("output"),
        references=tuple(data.get("references") or ()),
        scores={k: float(v) for k, v in (data.get("scores") or {}).items() if v is not None},
        details=dict(data.get("details") or {}),
        passed=data.get("passed"),
        latency_ms=float(data.get("latency_ms") or 0.0),
        prompt_tokens=int(data.get("prompt_tokens") or 0),
        completion_tokens=int(data.get("completion_tokens") or 0),
        cached=bool(data.get("cached", False)),
        error=data.get("error"),
        sources=[dict(s) for s in data.get("sources") or ()],
    )


@dataclass(frozen=True)
class EvalRunSummary:
    """A run without its results: what `tuneloop eval list` shows. ``means`` has NaN for a
    metric no case has a score for."""

    id: str
    suite: str
    suite_hash: str
    model: str
    prompt_ref: str | None
    created_at: datetime
    metrics: tuple[str, ...]
    means: dict[str, float]
    n_cases: int
    n_errors: int
    n_passed: int
    n_failed: int
    n_cached: int
    meta: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    model_hash: str | None = None

    @property
    def pass_rate(self) -> float:
        """Passed cases over cases with a verdict (errors count as failed); NaN if none has one."""
        judged = self.n_passed + self.n_failed
        return self.n_passed / judged if judged else math.nan

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["metrics"] = list(self.metrics)
        data["means"] = jsonable(self.means)
        data["pass_rate"] = jsonable(self.pass_rate)
        return data


def _summary(row: EvalRunRow) -> EvalRunSummary:
    return EvalRunSummary(
        id=row.id,
        suite=row.suite,
        suite_hash=row.suite_hash,
        model=row.model,
        prompt_ref=row.prompt_ref,
        created_at=row.created_at,
        metrics=tuple(row.metrics),
        means={k: math.nan if v is None else float(v) for k, v in row.summary.items()},
        n_cases=row.n_cases,
        n_errors=row.n_errors,
        n_passed=row.n_passed,
        n_failed=row.n_failed,
        n_cached=row.n_cached,
        meta=dict(row.meta),
        model_version=row.model_version,
        model_hash=row.model_hash,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class EvalRuns:
    """Save, find and list evaluation runs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, run: EvalRun) -> None:
        """Store ``run`` and all its results in one transaction."""
        row = EvalRunRow(
            id=run.id,
            suite=run.suite,
            suite_hash=run.suite_hash,
            model=run.model,
            model_version=run.model_version,
            model_hash=run.model_hash,
            prompt_ref=run.prompt_ref,
            metrics=list(run.metrics),
            params=jsonable(run.params),
            meta=jsonable(run.meta),
            summary=jsonable(run.summary()),
            n_cases=len(run.results),
            n_errors=run.errors,
            n_passed=sum(r.passed is True for r in run.results),
            n_failed=sum(r.passed is False for r in run.results),
            n_cached=sum(r.cached for r in run.results),
            created_at=run.created_at,
        )
        try:
            with session_scope(self._engine) as session:
                session.add(row)
                session.flush()
                session.add_all(
                    EvalResultRow(
                        run_id=run.id, idx=i, case_id=r.case_id, data=case_result_to_dict(r)
                    )
                    for i, r in enumerate(run.results)
                )
        except IntegrityError as exc:
            raise StoreError(
                f"Cannot save eval run {run.id!r}: a run with that id already exists.",
                hint="Run ids must be unique; make a new one with new_run_id().",
            ) from exc

    def get(self, run_id: str) -> EvalRun:
        """The run ``run_id`` names: an exact id, or a prefix of exactly one run's id (or of the
        random part after the date). :class:`NotFound` lists recent runs otherwise."""
        with session_scope(self._engine) as session:
            row = session.get(EvalRunRow, run_id)
            if row is None:
                row = self._by_prefix(session, run_id)
            return self._load(session, row)

    def _by_prefix(self, session: Session, text: str) -> EvalRunRow:
        needle = _escape_like(text.strip())
        rows = []
        if needle:
            rows = list(
                session.scalars(
                    select(EvalRunRow)
                    .where(
                        or_(
                            EvalRunRow.id.like(needle + "%", escape="\\"),
                            EvalRunRow.id.like(
                                RUN_ID_PREFIX + "_" * 8 + "-" + needle + "%", escape="\\"
                            ),
                        )
                    )
                    .order_by(EvalRunRow.created_at.desc(), EvalRunRow.id.desc())
                    .limit(6)
                )
            )
        if len(rows) == 1:
            return rows[0]
        if rows:
            shown = ", ".join(r.id for r in rows[:5]) + (", …" if len(rows) > 5 else "")
            raise NotFound(
                f"Eval run id {text!r} is ambiguous: it matches {shown}.",
                hint="Type more of the id.",
                param="run",
            )
        recent = list(
            session.scalars(
                select(EvalRunRow.id)
                .order_by(EvalRunRow.created_at.desc(), EvalRunRow.id.desc())
                .limit(5)
            )
        )
        hint = (
            f"Recent runs: {', '.join(recent)} (see `tuneloop eval list`)."
            if recent
            else "No eval run has been stored yet; make one with `tuneloop eval run SUITE.yaml`."
        )
        raise NotFound(f"No eval run {text!r}.", hint=hint, param="run")

    def _load(self, session: Session, row: EvalRunRow) -> EvalRun:
        from tuneloop.store.eval_results import EvalRun

        results = session.scalars(
            select(EvalResultRow).where(EvalResultRow.run_id == row.id).order_by(EvalResultRow.idx)
        )
        return EvalRun(
            id=row.id,
            suite=row.suite,
            suite_hash=row.suite_hash,
            model=row.model,
            created_at=row.created_at,
            metrics=tuple(row.metrics),
            results=tuple(case_result_from_dict(r.data) for r in results),
            prompt_ref=row.prompt_ref,
            params=dict(row.params),
            meta=dict(row.meta),
            model_version=row.model_version,
            model_hash=row.model_hash,
        )

    def list(self, limit: int = 20, *, suite: str | None = None) -> builtins.list[EvalRunSummary]:
        """Newest first (of ``suite`` only, if given)."""
        query = select(EvalRunRow).order_by(EvalRunRow.created_at.desc(), EvalRunRow.id.desc())
        if suite is not None:
            query = query.where(EvalRunRow.suite == suite)
        with session_scope(self._engine) as session:
            return [_summary(row) for row in session.scalars(query.limit(limit))]

    def latest(self, suite: str | None = None) -> EvalRun | None:
        """The newest run (of ``suite``, if given), or ``None`` when there is none."""
        query = select(EvalRunRow).order_by(EvalRunRow.created_at.desc(), EvalRunRow.id.desc())
        if suite is not None:
            query = query.where(EvalRunRow.suite == suite)
        with session_scope(self._engine) as session:
            row = session.scalars(query.limit(1)).first()
            return None if row is None else self._load(session, row)
