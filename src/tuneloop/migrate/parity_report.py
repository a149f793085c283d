"""The parity report: its values (:class:`ParityReport` and its parts) and the two files
``tuneloop migrate openai parity`` writes — ``parity.json`` (:meth:`ParityReport.as_dict`) and
``parity.html``.

Why apart from :mod:`tuneloop.migrate.parity`: the workflow decides *what* agreement is and
stores the gate; this module only holds and shows the numbers. The page is rendered with the eval
reports' machinery (:func:`tuneloop.evaluate.report.render_page`: the shared base template, the
same filters, plotly.js inlined once so the file opens without network; Jinja2 autoescaping keeps
model answers — user-controlled text — inert) and draws three Plotly charts: the agreement per
case, agreement and each metric with their intervals, and agreement by tag.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.atomicfile import atomic_write_text
from tuneloop.evaluate.baselines import Interval

if TYPE_CHECKING:
    from tuneloop.registry.models import ModelVersion

__all__ = [
    "CONFIDENCE",
    "CONTENT_METRICS",
    "FORM_METRICS",
    "RESAMPLES",
    "SEED",
    "CaseAgreement",
    "Interval",
    "ParityReport",
    "SuiteSummary",
    "TagAgreement",
    "clean",
    "interval",
    "parity_html",
    "write_parity",
]

CONTENT_METRICS = ("token_f1", "rouge_l", "key_terms", "answer_similarity")
"""Scores of what the old answer said that the new one says (their mean is a case's content)."""
FORM_METRICS = ("same_format", "length_ratio", "same_language")
"""Checks that an application built on the old answers still works (their pass share is form)."""
CONFIDENCE = 0.95
RESAMPLES = 10_000
SEED = 0


@dataclass(frozen=True)
class CaseAgreement:
    """One golden prompt: the old and the new answer, the metric scores and the agreement."""

    case_id: str
    tags: tuple[str, ...]
    question: str
    old: str
    new: str | None
    agreement: float
    content: float | None
    form: float | None
    scores: dict[str, float]
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: clean(v) for k, v in vars(self).items()} | {"tags": list(self.tags)}


@dataclass(frozen=True)
class TagAgreement:
    tag: str
    agreement: Interval
    metrics: dict[str, float]


@dataclass(frozen=True)
class SuiteSummary:
    """One of the user's own suites, run on the local model."""

    suite: str
    path: str
    run_id: str
    cases: int
    errors: int
    metrics: dict[str, Interval]


@dataclass(frozen=True)
class ParityReport:
    """Everything ``parity.json`` and ``parity.html`` show (see the module docstring)."""

    name: str
    source: ModelVersion
    candidate: ModelVersion
    candidate_label: str
    candidate_hash: str | None
    run_id: str
    suite: str
    suite_path: str
    suite_hash: str
    agreement: Interval
    metrics: dict[str, Interval]
    tags: tuple[TagAgreement, ...]
    cases: tuple[CaseAgreement, ...]
    worst: tuple[CaseAgreement, ...]
    errors: int
    suites: tuple[SuiteSummary, ...] = ()
    notes: tuple[str, ...] = ()
    gate: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        """The gate's verdict; None when no gate was asked for."""
        return None if self.gate is None else bool(self.gate["passed"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": _version(self.source),
            "candidate": {**_version(self.candidate), "label": self.candidate_label},
            "candidate_hash": self.candidate_hash,
            "run_id": self.run_id,
            "suite": {"name": self.suite, "path": self.suite_path, "hash": self.suite_hash},
            "cases": len(self.cases),
            "errors": self.errors,
            "agreement": self.agreement.as_dict(),
            "metrics": {
                m: {
                    **i.as_dict(),
                    "role": "content" if m in CONTENT_METRICS else "form",
                }
                for m, i in self.metrics.items()
            },
            "tags": [
                {"tag": t.tag, "agreement": t.agreement.as_dict(), "metrics": clean(t.metrics)}
                for t in self.tags
            ],
            "worst": [c.as_dict() for c in self.worst],
            "suites": [
                {
                    "suite": s.suite,
                    "path": s.path,
                    "run_id": s.run_id,
                    "cases": s.cases,
                    "errors": s.errors,
                    "metrics": {m: i.as_dict() for m, i in s.metrics.items()},
                }
                for s in self.suites
            ],
            "notes": list(self.notes),
            "gate": self.gate,
            "settings": self.settings,
            "per_case": [c.as_dict() for c in self.cases],
        }


def interval(values: Sequence[float]) -> Interval:
    """The mean of per-case ``values`` with its bootstrap interval (parity's settings)."""
    from tuneloop.evaluate.baselines import mean_interval

    return mean_interval(values, resamples=RESAMPLES, seed=SEED, confidence=CONFIDENCE)


def clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def _version(version: ModelVersion) -> dict[str, Any]:
    return {
        "ref": version.ref,
        "model_id": version.model_id,
        "backend": version.backend,
        "base_model": version.base_model,
    }


# ------------------------------------------------------------------------------ files


def _figures(report: ParityReport) -> dict[str, Any]:
    import plotly.graph_objects as go

    from tuneloop.evaluate.report import figure_div, plot_layout

    histogram = go.Figure(
        go.Histogram(
            x=[c.agreement for c in report.cases],
            xbins={"start": -0.025, "end": 1.025, "size": 0.05},
            marker={"color": "#3b6fb6"},
            hovertemplate="agreement %{x}<br>%{y} case(s)<extra></extra>",
        ),
        layout=plot_layout(
            "Agreement per golden case",
            xaxis={"range": [-0.03, 1.03], "title": {"text": "agreement"}},
            yaxis={"title": {"text": "cases"}},
        ),
    )

    def intervals(rows: list[tuple[str, Interval]], title: str, div: str) -> Any:
        shown = [(label, i) for label, i in rows if i.n]
        if not shown:
            return None
        figure = go.Figure(
            go.Scatter(
                x=[i.mean for _, i in shown],
                y=[label for label, _ in shown],
                mode="markers",
                marker={"size": 10, "color": "#3b6fb6"},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [i.high - i.mean for _, i in shown],
                    "arrayminus": [i.mean - i.low for _, i in shown],
                    "color": "#5b6b7d",
                },
                hovertemplate="%{y}: %{x:.3f}<extra></extra>",
            ),
            layout=plot_layout(
                title,
                height=max(220, 45 * len(shown) + 100),
                xaxis={"range": [-0.03, 1.03], "title": {"text": "mean, 95% interval"}},
                yaxis={"autorange": "reversed"},
            ),
        )
        return figure_div(figure, div)

    metric_rows = [("agreement", report.agreement), *report.metrics.items()]
    tag_rows = [(t.tag, t.agreement) for t in report.tags]
    return {
        "histogram": figure_div(histogram, "agreement-hist"),
        "metrics": intervals(metric_rows, "Agreement and each metric", "metric-intervals"),
        "tags": intervals(tag_rows, "Agreement by tag", "tag-intervals"),
    }


def parity_html(report: ParityReport) -> str:
    """The report as one self-contained HTML page (plotly.js inlined, no network)."""
    from tuneloop.evaluate.report import render_page

    return render_page(
        "tuneloop.migrate",
        "parity.html.j2",
        r=report,
        figures=_figures(report),
        content_metrics=CONTENT_METRICS,
        form_metrics=FORM_METRICS,
    )


def write_parity(report: ParityReport, out_dir: Path) -> tuple[Path, Path]:
    """Write ``parity.json`` and ``parity.html`` into ``out_dir`` atomically; return both."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str)
    json_path = atomic_write_text(out_dir / "parity.json", data + "\n")
    html_path = atomic_write_text(out_dir / "parity.html", parity_html(report))
    return Path(json_path), Path(html_path)
