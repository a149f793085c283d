"""What an evaluation run produces: per-case results and the run around them.

Why a plain value contract between the runner and everything after it: reports, comparisons and
gates read :class:`EvalRun` objects and never talk to a model or the database themselves, so they
are pure functions that tests can feed hand-built runs, and a run loaded from the store looks
exactly like one just produced. It lives in the store, a foundation, because the store persists
it and a foundation never imports a component (:mod:`tuneloop.evaluate` uses it from here).

All scores are in [0, 1], higher is better (see :class:`tuneloop.evaluate.metrics.Score`).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["CaseResult", "EvalRun"]


@dataclass(frozen=True)
class CaseResult:
    """One case of a run: what was asked, what came back, and every metric's score.

    ``sources`` are the passages the prompt retrieved for the question, as numbered in the
    messages (``{"id": 1, "source": "docs/x.md", "line": 12, "score": …, "text": …}``); empty
    when the prompt does not retrieve.
    """

    case_id: str
    tags: tuple[str, ...]
    messages: list[dict[str, Any]]
    output: str | None
    references: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    passed: bool | None = None
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    error: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)

    def score(self, metric: str) -> float | None:
        """The case's score on ``metric``, or ``None`` when it has none or the metric *skipped*
        it (``details[metric]["skipped"]``: not applicable — English text for a Korean spacing
        metric, no sources for ``faithfulness``). A skip is stored as 1.0 so it never fails a
        case, but it is not evidence either way, so means, intervals and gates leave it out."""
        if metric not in self.scores or "skipped" in self.details.get(metric, {}):
            return None
        return self.scores[metric]

    @property
    def question(self) -> str:
        """The last user message (what a report shows as the input)."""
        for message in reversed(self.messages):
            if message.get("role") == "user" and isinstance(message.get("content"), str):
                return str(message["content"])
        return ""


@dataclass(frozen=True)
class EvalRun:
    """One run of a suite against one model (and prompt version), with its results in case order.

    ``model`` is what the user typed (``seoul-guide@staging``); ``model_version`` and
    ``model_hash`` are what it resolved to when the run started (``seoul-guide@2``,
    ``sha256:…``) — ``None`` for a run of a bare ChatModel or one stored before resolution existed.
    ``meta["model_identity"]`` has the whole :class:`~tuneloop.models.identity.ResolvedModel`.
    """

    id: str
    suite: str
    suite_hash: str
    model: str
    created_at: datetime
    metrics: tuple[str, ...]
    results: tuple[CaseResult, ...]
    prompt_ref: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    model_hash: str | None = None

    @property
    def model_label(self) -> str:
        """``seoul-guide@staging → seoul-guide@2 (sha256:ab12…)`` (or just ``model``)."""
        from tuneloop.models.identity import model_label

        return model_label(self.model, self.model_version, self.model_hash)

    @property
    def identity(self) -> dict[str, Any] | None:
        """The resolved model identity the run was made with, as stored (``None``: unknown)."""
        found = self.meta.get("model_identity")
        return dict(found) if isinstance(found, dict) else None

    def scores(self, metric: str) -> list[float]:
        """The metric's scores of the cases it judged (errored and skipped cases have none)."""
        return [v for r in self.results if (v := r.score(metric)) is not None]

    def mean(self, metric: str) -> float:
        """Mean score of ``metric``; NaN when no case has it."""
        values = self.scores(metric)
        return statistics.fmean(values) if values else math.nan

    def summary(self) -> dict[str, float]:
        """``{metric: mean}`` in the run's metric order."""
        return {metric: self.mean(metric) for metric in self.metrics}

    @property
    def errors(self) -> int:
        return sum(r.error is not None for r in self.results)

    def tags(self) -> list[str]:
        """Every tag used by a case, sorted."""
        return sorted({tag for r in self.results for tag in r.tags})
