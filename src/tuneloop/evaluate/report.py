"""Reports on evaluation runs: the numbers (:func:`summarize`) and a self-contained HTML page.

Why one summary feeding every view: ``tuneloop eval report --json``, the terminal summary and the
HTML page must never disagree, so they all read the same :class:`RunReport`, computed by a pure
function from an :class:`~tuneloop.store.eval_results.EvalRun`.

Why Plotly, inlined: a report is attached to reviews and opened on laptops without network, so
the page carries ``plotly.js`` itself (once, ~4.8 MB) instead of pointing at a CDN; Plotly draws
interactive histograms (hover a bar to see its count) with no JavaScript of ours. Jinja2 renders
the page with autoescaping, so model outputs, case ids and tags — all user-supplied — cannot inject
markup; Plotly's own JSON escapes ``<`` inside its ``<script>`` blocks.

A run whose prompt retrieved (results carry ``sources``) also gets a grounding view per case: the
passages the answer was given (``file:line``, score, which sentences they support) and the
answer with the sentences ``faithfulness`` found unsupported highlighted; runs without sources
show no such section.

A case "passes" a metric when the metric said so (``details[metric]["passed"]``, set by
assertions and thresholds) or, for metrics that give no verdict, when its score is at least
``pass_threshold``.
"""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from tuneloop.atomicfile import atomic_write_text
from tuneloop.errors import InvalidRequest
from tuneloop.store.eval_results import CaseResult, EvalRun

if TYPE_CHECKING:
    import jinja2

    from tuneloop.evaluate.baselines import SideBySide
    from tuneloop.evaluate.compare import Comparison

__all__ = [
    "GroundedCase",
    "LatencyStats",
    "MetricStats",
    "RunReport",
    "TagExtreme",
    "TagStats",
    "comparison_html",
    "figure_div",
    "plot_layout",
    "render_page",
    "report_html",
    "summarize",
    "write_comparison",
    "write_report",
]


@dataclass(frozen=True)
class MetricStats:
    """One metric over the run's scored cases; numbers are NaN when no case has a score."""

    metric: str
    n: int
    mean: float
    median: float
    stdev: float
    minimum: float
    maximum: float
    passed: int
    pass_rate: float


@dataclass(frozen=True)
class TagStats:
    """The cases carrying one tag: how many, how many errored, and each metric's mean and count."""

    tag: str
    cases: int
    errors: int
    means: dict[str, float]
    counts: dict[str, int]


@dataclass(frozen=True)
class TagExtreme:
    """A tag that stands out for one metric: its mean and the gap to the run's mean."""

    metric: str
    tag: str
    mean: float
    n: int
    gap: float


@dataclass(frozen=True)
class LatencyStats:
    """Latency and throughput of the answered, non-cached cases (cached answers took no time)."""

    n: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    tokens_per_s: float
    p50_tokens_per_s: float
    prompt_tokens: int
    completion_tokens: int
    mean_prompt_tokens: float
    mean_completion_tokens: float


@dataclass(frozen=True)
class GroundedCase:
    """One case of a retrieving run, as the grounding view shows it.

    ``segments`` are the answer cut into sentences, each flagged when a grounding metric found it
    unsupported; ``unplaced`` are unsupported sentences not located in the answer text (shown
    apart); ``hits`` are the sources as stored (``id``, ``source``, ``line``, ``score``, ``text``)
    plus ``where`` and ``supports`` (how many answer sentences cite that source).
    """

    case_id: str
    question: str
    segments: tuple[tuple[str, bool], ...]
    unplaced: tuple[str, ...]
    hits: tuple[dict[str, Any], ...]
    scores: dict[str, float]


@dataclass(frozen=True)
class RunReport:
    """Everything the report shows, computed once by :func:`summarize`."""

    run: EvalRun
    metrics: tuple[MetricStats, ...]
    tags: tuple[TagStats, ...]
    strengths: tuple[TagExtreme, ...]
    weaknesses: tuple[TagExtreme, ...]
    worst_metric: str | None
    worst: tuple[CaseResult, ...]
    errored: tuple[CaseResult, ...]
    latency: LatencyStats
    pass_threshold: float
    grounded: tuple[GroundedCase, ...] = ()

    @property
    def cached(self) -> int:
        return sum(r.cached for r in self.run.results)

    @property
    def passed_cases(self) -> tuple[int, int]:
        """``(passed, judged)``: cases whose overall verdict is a pass, of those with a verdict."""
        verdicts = [r.passed for r in self.run.results if r.passed is not None]
        return sum(verdicts), len(verdicts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready numbers (NaN becomes ``null``)."""
        run = self.run
        data: dict[str, Any] = _clean(
            {
                "run": {
                    "id": run.id,
                    "suite": run.suite,
                    "suite_hash": run.suite_hash,
                    "model": run.model,
                    "model_version": run.model_version,
                    "model_hash": run.model_hash,
                    "model_label": run.model_label,
                    "prompt_ref": run.prompt_ref,
                    "created_at": run.created_at.isoformat(),
                    "cases": len(run.results),
                    "errors": run.errors,
                    "cached": self.cached,
                    "passed": self.passed_cases[0],
                    "judged": self.passed_cases[1],
                    "params": run.params,
                },
                "pass_threshold": self.pass_threshold,
                "metrics": [vars(m) for m in self.metrics],
                "tags": [vars(t) for t in self.tags],
                "strengths": [vars(t) for t in self.strengths],
                "weaknesses": [vars(t) for t in self.weaknesses],
                "latency": vars(self.latency),
                "worst_metric": self.worst_metric,
                "worst": [_case_dict(r) for r in self.worst],
                "errored": [{"case_id": r.case_id, "error": r.error} for r in self.errored],
            }
        )
        if self.grounded:
            data["grounded"] = _clean([vars(g) for g in self.grounded])
        return data


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _case_dict(result: CaseResult) -> dict[str, Any]:
    return {
        "case_id": result.case_id,
        "tags": list(result.tags),
        "question": result.question,
        "output": result.output,
        "references": list(result.references),
        "scores": result.scores,
    }


_SENTENCE_END = re.compile(r"(?<=[.!?。？！])\s+")
# details keys of the grounding metrics (faithfulness and context_recall, under any label)
_GROUNDING_KEYS = ("unsupported", "retrieved")


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()


def _grounded_case(result: CaseResult) -> GroundedCase:
    """The grounding view of one case with sources (see :class:`GroundedCase`)."""
    from tuneloop.evaluate.metrics.analysis import normalise

    unsupported: list[str] = []
    cited: dict[int, int] = {}
    scores: dict[str, float] = {}
    for name, details in result.details.items():
        if not any(key in details for key in _GROUNDING_KEYS):
            continue
        if name in result.scores:
            scores[name] = result.scores[name]
        for item in details.get("unsupported") or ():
            if isinstance(item, dict) and isinstance(item.get("sentence"), str):
                unsupported.append(item["sentence"])
        for item in details.get("supported") or ():
            for number in item.get("sources") or () if isinstance(item, dict) else ():
                cited[number] = cited.get(number, 0) + 1
    # the metric reports sentences normalised (3,000원 → 3000원): compare them that way
    wanted = {_squeezed(s) for s in unsupported}
    segments, placed = [], set()
    for sentence in _SENTENCE_END.split((result.output or "").strip()):
        if not sentence:
            continue
        key = _squeezed(normalise(sentence))
        segments.append((sentence, key in wanted))
        placed.add(key)
    hits = []
    for number, source in enumerate(result.sources, start=1):
        hit = dict(source)
        ident = hit.get("id", number)
        line = hit.get("line")
        hit["where"] = f"{hit.get('source', '?')}:{line}" if line else str(hit.get("source", "?"))
        hit["supports"] = cited.get(ident if isinstance(ident, int) else number, 0)
        hits.append(hit)
    return GroundedCase(
        case_id=result.case_id,
        question=result.question,
        segments=tuple(segments),
        unplaced=tuple(s for s in unsupported if _squeezed(s) not in placed),
        hits=tuple(hits),
        scores=scores,
    )


def _grounded(run: EvalRun) -> tuple[GroundedCase, ...]:
    """Every case with sources, least faithful first (then by case id)."""
    cases = [_grounded_case(r) for r in run.results if r.sources]
    return tuple(sorted(cases, key=lambda g: (min(g.scores.values(), default=1.0), g.case_id)))


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def _percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _case_passed(result: CaseResult, metric: str, threshold: float) -> bool:
    verdict = result.details.get(metric, {}).get("passed")
    if isinstance(verdict, bool):
        return verdict
    return result.scores[metric] >= threshold


def _metric_stats(run: EvalRun, metric: str, threshold: float) -> MetricStats:
    scored = [r for r in run.results if r.score(metric) is not None]
    values = [r.scores[metric] for r in scored]
    passed = sum(_case_passed(r, metric, threshold) for r in scored)
    nan = math.nan
    return MetricStats(
        metric=metric,
        n=len(values),
        mean=_mean(values),
        median=statistics.median(values) if values else nan,
        stdev=statistics.pstdev(values) if values else nan,
        minimum=min(values) if values else nan,
        maximum=max(values) if values else nan,
        passed=passed,
        pass_rate=passed / len(values) if values else nan,
    )


def _tag_stats(run: EvalRun, tag: str) -> TagStats:
    cases = [r for r in run.results if tag in r.tags]
    means, counts = {}, {}
    for metric in run.metrics:
        values = [v for r in cases if (v := r.score(metric)) is not None]
        means[metric] = _mean(values)
        counts[metric] = len(values)
    return TagStats(
        tag=tag,
        cases=len(cases),
        errors=sum(r.error is not None for r in cases),
        means=means,
        counts=counts,
    )


def _extremes(
    metrics: Sequence[MetricStats], tags: Sequence[TagStats]
) -> tuple[tuple[TagExtreme, ...], tuple[TagExtreme, ...]]:
    """Per metric, the best and the worst tag (when at least two tags have scores that differ)."""
    best: list[TagExtreme] = []
    worst: list[TagExtreme] = []
    for stats in metrics:
        scored = [t for t in tags if t.counts[stats.metric]]
        if len(scored) < 2:
            continue
        # Ties broken by tag name so the call-out does not depend on dict order.
        top = min(scored, key=lambda t: (-t.means[stats.metric], t.tag))
        bottom = min(scored, key=lambda t: (t.means[stats.metric], t.tag))
        if top.means[stats.metric] == bottom.means[stats.metric]:
            continue  # every tag scores the same: nothing stands out
        for target, tag in ((best, top), (worst, bottom)):
            target.append(
                TagExtreme(
                    metric=stats.metric,
                    tag=tag.tag,
                    mean=tag.means[stats.metric],
                    n=tag.counts[stats.metric],
                    gap=tag.means[stats.metric] - stats.mean,
                )
            )
    return tuple(best), tuple(worst)


def _latency(run: EvalRun) -> LatencyStats:
    answered = [r for r in run.results if r.error is None]
    timed = [r for r in answered if not r.cached and r.latency_ms > 0]
    latencies = [r.latency_ms for r in timed]
    rates = [r.completion_tokens / (r.latency_ms / 1000.0) for r in timed]
    seconds = math.fsum(latencies) / 1000.0
    generated = sum(r.completion_tokens for r in timed)
    prompt_tokens = sum(r.prompt_tokens for r in answered)
    completion_tokens = sum(r.completion_tokens for r in answered)
    return LatencyStats(
        n=len(timed),
        mean_ms=_mean(latencies),
        p50_ms=_percentile(latencies, 50),
        p90_ms=_percentile(latencies, 90),
        p99_ms=_percentile(latencies, 99),
        max_ms=max(latencies) if latencies else math.nan,
        tokens_per_s=generated / seconds if seconds > 0 else math.nan,
        p50_tokens_per_s=_percentile(rates, 50),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        mean_prompt_tokens=prompt_tokens / len(answered) if answered else math.nan,
        mean_completion_tokens=completion_tokens / len(answered) if answered else math.nan,
    )


def summarize(
    run: EvalRun,
    *,
    worst_metric: str | None = None,
    worst: int = 10,
    pass_threshold: float = 0.5,
) -> RunReport:
    """Compute every number of the report.

    ``worst_metric`` (default: the run's first metric) orders the worst cases, lowest score first
    (ties by case id); ``worst`` is how many to keep. An unknown metric raises
    :class:`~tuneloop.errors.InvalidRequest` listing the run's metrics.
    """
    if worst_metric is not None and worst_metric not in run.metrics:
        raise InvalidRequest(
            f"Metric `{worst_metric}` is not in run {run.id} "
            f"(its metrics: {', '.join(run.metrics) or 'none'}).",
            hint="Pick one of the run's metrics with --metric.",
            param="metric",
        )
    if worst < 0:
        raise InvalidRequest(f"--worst must not be negative, got {worst}.")
    chosen = worst_metric or (run.metrics[0] if run.metrics else None)
    metrics = tuple(_metric_stats(run, m, pass_threshold) for m in run.metrics)
    tags = tuple(_tag_stats(run, t) for t in run.tags())
    strengths, weaknesses = _extremes(metrics, tags)
    worst_cases: tuple[CaseResult, ...] = ()
    if chosen is not None:
        scored = [r for r in run.results if r.score(chosen) is not None]
        scored.sort(key=lambda r: (r.scores[chosen], r.case_id))
        worst_cases = tuple(scored[:worst])
    return RunReport(
        run=run,
        metrics=metrics,
        tags=tags,
        strengths=strengths,
        weaknesses=weaknesses,
        worst_metric=chosen,
        worst=worst_cases,
        errored=tuple(r for r in run.results if r.error is not None),
        latency=_latency(run),
        pass_threshold=pass_threshold,
        grounded=_grounded(run),
    )


# ---------------------------------------------------------------------------------------- HTML


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tuneloop.evaluate", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["heat"] = _heat
    env.filters["signed"] = _signed
    return env


@functools.cache
def _page_environment(package: str) -> jinja2.Environment:
    import jinja2

    env = _environment().overlay(
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader(package, "templates"), _environment().loader]  # type: ignore[list-item]
        )
    )
    return env


def render_page(package: str, template: str, **context: Any) -> str:
    """A page in the reports' style from another package's ``templates`` folder (its template
    may extend ``_base.html.j2``), with the same filters, plotly.js inlined once (no network) and
    the generation time — so other stages (``migrate``'s parity report) reuse this machinery
    instead of copying it. Build figures with :func:`figure_div` and :func:`plot_layout`."""
    page = _page_environment(package).get_template(template)
    return page.render(plotly_js=_plotly_js(), generated=_now(), **context)


def figure_div(figure: Any, div_id: str) -> Markup:
    """A Plotly figure for a page of :func:`render_page` (``div_id`` must be ours, not user
    text: it lands in JavaScript unescaped)."""
    return _figure_div(figure, div_id)


def plot_layout(title: str, *, height: int = 300, **extra: Any) -> dict[str, Any]:
    """The reports' Plotly layout (font with Hangul fallbacks, white template, margins)."""
    return _layout(title, height=height, **extra)


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value * 100:.0f}%"


def _signed(value: float | None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:+.{digits}f}"


def _heat(value: float | None) -> str:
    """A background colour from red (0) through yellow to green (1); grey when undefined."""
    if value is None or math.isnan(value):
        return "background:#eef1f5"
    hue = round(max(0.0, min(1.0, value)) * 120)
    return f"background:hsl({hue},70%,85%)"


@functools.cache
def _plotly_js() -> Markup:
    from plotly.offline import get_plotlyjs

    # Defensive: a literal "</script" inside the bundle would end the tag early.
    return Markup(get_plotlyjs().replace("</script", "<\\/script"))


def _figure_div(figure: Any, div_id: str) -> Markup:
    """A Plotly figure as a ``<div>`` plus its ``<script>``; plotly.js itself is on the page once.

    ``div_id`` must be generated by us (it lands inside a JavaScript string unescaped).
    """
    html = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return Markup(html)


def _layout(title: str, *, height: int = 300, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 14}},
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
        "bargap": 0.05,
        "font": {"family": 'system-ui, "Noto Sans KR", "Apple SD Gothic Neo", sans-serif'},
        **extra,
    }


def _report_figures(report: RunReport) -> dict[str, Any]:
    import plotly.graph_objects as go

    run = report.run
    distributions = []
    for i, metric in enumerate(run.metrics):
        figure = go.Figure(
            go.Histogram(
                x=run.scores(metric),
                # Bins centred on 0, 0.05, …, 1 so that scores of exactly 1 get a bar.
                xbins={"start": -0.025, "end": 1.025, "size": 0.05},
                marker={"color": "#3b6fb6"},
                name=metric,
                hovertemplate="score %{x}<br>%{y} case(s)<extra></extra>",
            ),
            layout=_layout(
                metric,
                xaxis={"range": [-0.03, 1.03], "title": {"text": "score"}},
                yaxis={"title": {"text": "cases"}},
            ),
        )
        distributions.append((metric, _figure_div(figure, f"dist-{i}")))
    box = None
    if run.metrics:
        box_figure = go.Figure(
            [go.Box(x=run.scores(m), name=m, boxmean=True, orientation="h") for m in run.metrics],
            layout=_layout(
                "All metrics",
                height=max(220, 60 * len(run.metrics) + 80),
                xaxis={"range": [-0.03, 1.03], "title": {"text": "score"}},
                showlegend=False,
            ),
        )
        box = _figure_div(box_figure, "dist-box")
    latency = None
    timed = [r.latency_ms for r in run.results if r.error is None and not r.cached and r.latency_ms]
    if timed:
        latency_figure = go.Figure(
            go.Histogram(
                x=timed,
                nbinsx=30,
                marker={"color": "#6b8e4e"},
                hovertemplate="%{x} ms<br>%{y} case(s)<extra></extra>",
            ),
            layout=_layout(
                "Latency",
                xaxis={"title": {"text": "ms"}},
                yaxis={"title": {"text": "cases"}},
            ),
        )
        latency = _figure_div(latency_figure, "latency-hist")
    return {"distributions": distributions, "box": box, "latency": latency}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def report_html(report: RunReport, *, baselines: SideBySide | None = None) -> str:
    """The report page as one self-contained HTML document (plotly.js inlined, no network).

    ``baselines`` (the run beside its trivial baselines) adds the "Trivial baselines" table.
    """
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        run=report.run,
        figures=_report_figures(report),
        plotly_js=_plotly_js(),
        generated=_now(),
        baselines=baselines,
    )


def write_report(
    report: RunReport, path: str | Path, *, baselines: SideBySide | None = None
) -> Path:
    """Render :func:`report_html` and write it atomically; return the path."""
    return atomic_write_text(path, report_html(report, baselines=baselines))


def _comparison_figure(comparison: Comparison) -> Markup | None:
    import plotly.graph_objects as go

    rows = [d for d in comparison.overall if d.n]
    if not rows:
        return None
    figure = go.Figure(
        go.Scatter(
            x=[d.delta for d in rows],
            y=[d.metric for d in rows],
            mode="markers",
            marker={
                "size": 10,
                "color": ["#2e7d32" if d.delta > 0 else "#c62828" for d in rows],
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [d.ci_high - d.delta if d.enough_pairs else 0.0 for d in rows],
                "arrayminus": [d.delta - d.ci_low if d.enough_pairs else 0.0 for d in rows],
                "color": "#5b6b7d",
            },
            hovertemplate="%{y}: Δ %{x:+.3f}<extra></extra>",
        ),
        layout=_layout(
            f"B − A with {comparison.confidence:.0%} bootstrap interval",
            height=max(220, 50 * len(rows) + 100),
            xaxis={"zeroline": True, "zerolinewidth": 2, "title": {"text": "delta (B − A)"}},
            yaxis={"autorange": "reversed"},
        ),
    )
    return _figure_div(figure, "compare-deltas")


def comparison_html(comparison: Comparison, *, baselines: SideBySide | None = None) -> str:
    """The comparison as one self-contained HTML page, in the report's style.

    ``baselines`` (runs A and B beside the trivial baselines) adds the "Trivial baselines" table.
    """
    template = _environment().get_template("compare.html.j2")
    return template.render(
        c=comparison,
        figure=_comparison_figure(comparison),
        plotly_js=_plotly_js(),
        generated=_now(),
        baselines=baselines,
    )


def write_comparison(
    comparison: Comparison, path: str | Path, *, baselines: SideBySide | None = None
) -> Path:
    """Render :func:`comparison_html` and write it atomically; return the path."""
    return atomic_write_text(path, comparison_html(comparison, baselines=baselines))
