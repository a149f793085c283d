"""Stored prompt runs: a run row plus one row per case, written in a single transaction.

Why one transaction: a run that crashes half-way must not leave a run claiming N cases with fewer
rows behind it. Results arrive as plain mappings (or objects with the same attributes) so the store
does not import the prompts component above it.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from tuneloop.errors import NotFound
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import PromptRunResultRow, PromptRunRow

__all__ = ["PromptRunRecord", "PromptRunResult", "PromptRuns"]

_RESULT_FIELDS = (
    "index",
    "variables",
    "messages",
    "tags",
    "output",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "error",
    "sources",
)


@dataclass(frozen=True)
class PromptRunResult:
    index: int
    variables: dict[str, Any]
    messages: list[dict[str, str]]
    output: str | None
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    error: str | None
    tags: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PromptRunRecord:
    id: str
    prompt_ref: str
    prompt_name: str
    prompt_version: int | None
    prompt_hash: str
    model: str
    params: dict[str, Any]
    n_cases: int
    n_errors: int
    created_at: datetime
    model_version: str | None = None
    model_hash: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


def _record(row: PromptRunRow) -> PromptRunRecord:
    return PromptRunRecord(
        id=row.id,
        prompt_ref=row.prompt_ref,
        prompt_name=row.prompt_name,
        prompt_version=row.prompt_version,
        prompt_hash=row.prompt_hash,
        model=row.model,
        params=dict(row.params),
        n_cases=row.n_cases,
        n_errors=row.n_errors,
        created_at=row.created_at,
        model_version=row.model_version,
        model_hash=row.model_hash,
    )


def _field(result: Any, name: str) -> Any:
    if name == "sources":  # optional: results from before retrieval existed have none
        return result.get(name) if isinstance(result, Mapping) else getattr(result, name, None)
    return result[name] if isinstance(result, Mapping) else getattr(result, name)


class PromptRuns:
    """Save and read prompt runs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(
        self,
        *,
        prompt_ref: str,
        prompt_name: str,
        prompt_version: int | None,
        prompt_hash: str,
        model: str,
        params: Mapping[str, Any],
        results: Iterable[Any],
        model_version: str | None = None,
        model_hash: str | None = None,
    ) -> str:
        """Store a run and all its results atomically; return the new run id (``prun_…``).

        ``model`` is what was typed; ``model_version`` / ``model_hash`` what it resolved to."""
        rows = [{name: _field(r, name) for name in _RESULT_FIELDS} for r in results]
        run_id = f"prun_{uuid.uuid4().hex[:24]}"
        with session_scope(self._engine) as session:
            session.add(
                PromptRunRow(
                    id=run_id,
                    prompt_ref=prompt_ref,
                    prompt_name=prompt_name,
                    prompt_version=prompt_version,
                    prompt_hash=prompt_hash,
                    model=model,
                    model_version=model_version,
                    model_hash=model_hash,
                    params=dict(params),
                    n_cases=len(rows),
                    n_errors=sum(1 for r in rows if r["error"]),
                )
            )
            session.flush()
            for r in rows:
                session.add(
                    PromptRunResultRow(
                        run_id=run_id,
                        idx=r["index"],
                        variables=dict(r["variables"]),
                        messages=list(r["messages"]),
                        tags=list(r["tags"] or []),
                        output=r["output"],
                        finish_reason=r["finish_reason"],
                        prompt_tokens=r["prompt_tokens"],
                        completion_tokens=r["completion_tokens"],
                        latency_ms=float(r["latency_ms"]),
                        error=r["error"],
                        sources=list(r["sources"] or []),
                    )
                )
        return run_id

    def get(self, run_id: str) -> PromptRunRecord:
        with session_scope(self._engine) as session:
            row = session.get(PromptRunRow, run_id)
            if row is None:
                raise NotFound(
                    f"No prompt run {run_id!r}.", hint="List runs: `tuneloop prompt runs`."
                )
            return _record(row)

    def results(self, run_id: str) -> builtins.list[PromptRunResult]:
        self.get(run_id)
        with session_scope(self._engine) as session:
            rows = session.scalars(
                select(PromptRunResultRow)
                .where(PromptRunResultRow.run_id == run_id)
                .order_by(PromptRunResultRow.idx)
            ).all()
            return [
                PromptRunResult(
                    index=r.idx,
                    variables=dict(r.variables),
                    messages=list(r.messages),
                    output=r.output,
                    finish_reason=r.finish_reason,
                    prompt_tokens=r.prompt_tokens,
                    completion_tokens=r.completion_tokens,
                    latency_ms=r.latency_ms,
                    error=r.error,
                    tags=list(r.tags),
                    sources=list(r.sources or []),
                )
                for r in rows
            ]

    def list(
        self, *, prompt_name: str | None = None, limit: int = 20
    ) -> builtins.list[PromptRunRecord]:
        """Newest first."""
        query = select(PromptRunRow).order_by(PromptRunRow.created_at.desc()).limit(limit)
        if prompt_name is not None:
            query = query.where(PromptRunRow.prompt_name == prompt_name)
        with session_scope(self._engine) as session:
            return [_record(row) for row in session.scalars(query).all()]
