"""A/B: two prompt versions on the same inputs, side by side (terminal table and HTML page).

The HTML page is self-contained (no scripts, no external assets) so it can be attached to a
review or opened offline; Jinja2 with autoescaping keeps model output from injecting markup.
Scoring the two columns is the evaluation stage's job (``tuneloop eval compare`` on the two runs).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2

from tuneloop.prompts.runner import CaseResult

__all__ = ["Side", "html_report", "summary"]


@dataclass(frozen=True)
class Side:
    """One arm of the comparison."""

    label: str  # "A" / "B"
    ref: str  # what the user named: file path or name@version
    content_hash: str
    results: Sequence[CaseResult]
    run_id: str | None = None


def summary(results: Sequence[CaseResult]) -> dict[str, Any]:
    ok = [r for r in results if r.ok]
    return {
        "cases": len(results),
        "errors": len(results) - len(ok),
        "mean_latency_ms": round(statistics.fmean(r.latency_ms for r in ok), 1) if ok else None,
        "mean_completion_tokens": (
            round(statistics.fmean(r.completion_tokens for r in ok), 1) if ok else None
        ),
        "mean_output_chars": round(statistics.fmean(len(r.output or "") for r in ok), 1)
        if ok
        else None,
    }


def html_report(
    a: Side,
    b: Side,
    *,
    model: str,
    params: dict[str, Any],
    inputs: dict[int, dict[str, Any]] | None = None,
) -> str:
    """The side-by-side page; rows pair results by case index. ``inputs`` are the cases' full
    variables (each side may have used only the ones its prompt declares)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = resources.files("tuneloop.prompts").joinpath("compare.html.j2").read_text("utf-8")
    by_index = {r.index: r for r in b.results}
    rows = [(r, by_index[r.index]) for r in a.results if r.index in by_index]
    return env.from_string(template).render(
        a=a,
        b=b,
        rows=rows,
        inputs=inputs or {r.index: r.variables for r in a.results},
        model=model,
        params=params,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summaries={"A": summary(a.results), "B": summary(b.results)},
    )
