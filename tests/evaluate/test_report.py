"""The run report: its numbers (summarize) and its self-contained HTML page."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.report import report_html, summarize, write_report
from tuneloop.store.eval_results import CaseResult, EvalRun

XSS = "<script>alert(1)</script>"


def case(
    case_id: str,
    scores: dict[str, float] | None = None,
    *,
    tags: tuple[str, ...] = (),
    question: str = "경복궁은 몇 시에 문을 여나요?",
    output: str | None = "오전 9시에 엽니다.",
    error: str | None = None,
    latency_ms: float = 400.0,
    completion_tokens: int = 20,
    prompt_tokens: int = 50,
    cached: bool = False,
    details: dict[str, dict[str, object]] | None = None,
) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        tags=tags,
        messages=[
            {"role": "system", "content": "You are a Seoul travel guide."},
            {"role": "user", "content": question},
        ],
        output=None if error else output,
        references=("09:00에 개장합니다.", "Opens at 9 a.m."),
        scores={} if error else dict(scores or {}),
        details=details or {},
        latency_ms=latency_ms,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cached=cached,
        error=error,
    )


def make_run(
    results: list[CaseResult], metrics: tuple[str, ...] = ("token_f1", "exact")
) -> EvalRun:
    return EvalRun(
        id="ev-20261125-abc123",
        suite="seoul-travel",
        suite_hash="f" * 64,
        model="seoul-guide-v2",
        created_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        metrics=metrics,
        results=tuple(results),
        prompt_ref="seoul-guide@3",
    )


@pytest.fixture
def run() -> EvalRun:
    return make_run(
        [
            case("palace-hours", {"token_f1": 0.9, "exact": 1.0}, tags=("궁궐", "hours")),
            case("palace-fee", {"token_f1": 0.5, "exact": 0.0}, tags=("궁궐", "prices")),
            case("subway-line", {"token_f1": 0.2, "exact": 0.0}, tags=("교통",)),
            case("bus-fare", {"token_f1": 0.7, "exact": 1.0}, tags=("교통", "prices")),
            case("market-food", {"token_f1": 0.35, "exact": 0.0}, tags=("맛집",)),
            case("timeout", error="upstream timed out after 30 s", tags=("맛집",)),
        ]
    )


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_summary_means_and_pass_rates_follow_the_scored_cases(run: EvalRun) -> None:
    report = summarize(run)
    f1 = next(m for m in report.metrics if m.metric == "token_f1")
    values = [0.9, 0.5, 0.2, 0.7, 0.35]
    assert f1.n == 5  # the errored case has no score
    assert f1.mean == pytest.approx(statistics.fmean(values))
    assert f1.median == pytest.approx(statistics.median(values))
    assert f1.passed == 3  # 0.9, 0.5, 0.7 reach the default threshold 0.5
    assert f1.pass_rate == pytest.approx(3 / 5)
    assert summarize(run, pass_threshold=0.8).metrics[0].passed == 1


def test_a_metrics_own_verdict_beats_the_pass_threshold() -> None:
    run = make_run(
        [
            case("a", {"judge": 0.9}, details={"judge": {"passed": False}}),
            case("b", {"judge": 0.1}, details={"judge": {"passed": True}}),
            case("c", {"judge": 0.6}),
        ],
        metrics=("judge",),
    )
    stats = summarize(run).metrics[0]
    assert (stats.passed, stats.n) == (2, 3)  # b by verdict, c by threshold; a failed its verdict


def test_overall_verdicts_count_only_cases_that_have_one() -> None:
    results = [
        replace(case("a", {"exact": 1.0}), passed=True),
        replace(case("b", {"exact": 0.0}), passed=False),
        replace(case("c", {"exact": 1.0}), passed=True),
        case("d", {"exact": 1.0}),  # no verdict
    ]
    report = summarize(make_run(results, metrics=("exact",)))
    assert report.passed_cases == (2, 3)
    assert report.as_dict()["run"]["judged"] == 3
    assert "2 of 3 case(s)" in soup(report_html(report)).select_one("#n-passed").text


def test_per_tag_table_shows_each_tags_mean_and_case_count(run: EvalRun) -> None:
    page = soup(report_html(summarize(run)))
    rows = {row["data-tag"]: row for row in page.select("#tags tr.tag-row")}
    assert set(rows) == {"궁궐", "교통", "맛집", "hours", "prices"}
    for tag in rows:
        tagged = [r for r in run.results if tag in r.tags]
        cells = rows[tag].find_all("td")
        assert int(cells[1].text) == len(tagged)
        assert int(cells[2].text) == sum(r.error is not None for r in tagged)
        for metric in run.metrics:
            cell = rows[tag].select_one(f'td[data-metric="{metric}"]')
            expected = statistics.fmean(r.scores[metric] for r in tagged if r.scores)
            assert cell.text == f"{expected:.3f}", (tag, metric)
            assert cell["title"] == f"n={sum(1 for r in tagged if r.scores)}"


def test_tag_cells_are_colour_coded_from_red_to_green(run: EvalRun) -> None:
    page = soup(report_html(summarize(run)))
    hue = {
        row["data-tag"]: row.select_one('td[data-metric="token_f1"]')["style"]
        for row in page.select("#tags tr.tag-row")
    }
    assert hue["hours"] == "background:hsl(108,70%,85%)"  # 0.9 → mostly green
    assert hue["교통"] == "background:hsl(54,70%,85%)"  # mean 0.45 → yellow-orange


def test_best_and_worst_tags_are_called_out_per_metric(run: EvalRun) -> None:
    report = summarize(run)
    best = {s.metric: s for s in report.strengths}
    worst = {s.metric: s for s in report.weaknesses}
    assert best["token_f1"].tag == "hours"
    assert worst["token_f1"].tag == "맛집"
    assert worst["token_f1"].n == 1  # the errored 맛집 case is not counted
    assert worst["token_f1"].gap == pytest.approx(
        0.35 - statistics.fmean([0.9, 0.5, 0.2, 0.7, 0.35])
    )
    callouts = soup(report_html(report)).select_one("#callouts").text
    assert "hours" in callouts and "맛집" in callouts


def test_worst_cases_are_sorted_lowest_score_first_and_limited(run: EvalRun) -> None:
    page = soup(report_html(summarize(run, worst_metric="token_f1", worst=3)))
    shown = [row["data-case"] for row in page.select("#worst tr.worst-case")]
    scored = sorted((r for r in run.results if r.scores), key=lambda r: r.scores["token_f1"])
    assert shown == [r.case_id for r in scored[:3]]
    assert shown == ["subway-line", "market-food", "palace-fee"]
    first = page.select_one("#worst tr.worst-case")
    assert "경복궁은 몇 시에 문을 여나요?" in first.text
    assert "09:00에 개장합니다." in first.text


def test_worst_cases_ties_are_ordered_by_case_id() -> None:
    run = make_run([case(cid, {"exact": 0.0}) for cid in ("c", "a", "b")], metrics=("exact",))
    assert [r.case_id for r in summarize(run).worst] == ["a", "b", "c"]


def test_unknown_worst_metric_is_an_error_listing_the_runs_metrics(run: EvalRun) -> None:
    with pytest.raises(InvalidRequest, match="token_f1, exact"):
        summarize(run, worst_metric="bleu")


def test_every_user_supplied_string_is_escaped() -> None:
    evil = make_run(
        [
            case(
                f"id-{XSS}",
                {"token_f1": 0.1, "exact": 0.0},
                tags=(f"tag-{XSS}",),
                question=f"question {XSS}",
                output=f"answer {XSS}",
            ),
            case("err", error=f"error {XSS}"),
        ]
    )
    evil = replace(evil, model=f"model-{XSS}", suite=f"suite-{XSS}", prompt_ref=f"p-{XSS}")
    html = report_html(summarize(evil))
    assert XSS not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    page = soup(html)
    assert page.select_one("#worst .output").text == f"answer {XSS}"


def test_page_carries_plotly_and_a_plot_for_every_metric_and_latency(run: EvalRun) -> None:
    html = report_html(summarize(run))
    page = soup(html)
    plot_ids = {div["id"] for div in page.select("div.plotly-graph-div")}
    assert plot_ids == {"dist-0", "dist-1", "dist-box", "latency-hist"}
    assert 'lang="ko"' in html and '<meta charset="utf-8">' in html
    # Self-contained: plotly.js is inlined once, nothing is loaded from elsewhere.
    assert "plotly.js v" in html and html.count("plotly.js v") == 1
    assert not page.select("script[src]") and not page.select("link[href]")


def test_latency_stats_use_answered_uncached_cases() -> None:
    timed = [120.0, 340.0, 560.0, 800.0, 1500.0]
    results = [
        case(f"t{i}", {"exact": 1.0}, latency_ms=ms, completion_tokens=30)
        for i, ms in enumerate(timed)
    ]
    results.append(case("cached", {"exact": 1.0}, latency_ms=5000.0, cached=True))
    results.append(case("failed", error="boom", latency_ms=9000.0))
    latency = summarize(make_run(results, metrics=("exact",))).latency
    assert latency.n == 5
    for q, value in ((50, latency.p50_ms), (90, latency.p90_ms), (99, latency.p99_ms)):
        assert value == pytest.approx(float(np.percentile(timed, q)))
    assert latency.tokens_per_s == pytest.approx(5 * 30 / (sum(timed) / 1000))
    assert latency.completion_tokens == 5 * 30 + 20  # the cached answer's tokens still count


def test_a_tag_whose_cases_all_errored_shows_no_mean() -> None:
    run = make_run(
        [
            case("ok", {"token_f1": 0.8, "exact": 1.0}, tags=("궁궐",)),
            case("broken", error="rate limited", tags=("야경",)),
        ]
    )
    report = summarize(run)
    night = next(t for t in report.tags if t.tag == "야경")
    assert (night.cases, night.errors, night.counts["token_f1"]) == (1, 1, 0)
    data = json.loads(json.dumps(report.as_dict(), allow_nan=False))
    assert next(t for t in data["tags"] if t["tag"] == "야경")["means"]["token_f1"] is None
    page = soup(report_html(report))
    cell = page.select_one('#tags tr[data-tag="야경"] td[data-metric="token_f1"]')
    assert cell.text == "—"
    assert "rate limited" in page.select_one("#errors").text
    assert not report.strengths  # one scored tag is nothing to compare


def test_a_run_without_cases_or_tags_still_renders() -> None:
    report = summarize(make_run([]))
    page = soup(report_html(report))
    assert "No case in this run has a tag." in page.text
    assert page.select_one("#n-cases").text == "0"
    assert "latency-hist" not in {d["id"] for d in page.select("div.plotly-graph-div")}
    assert report.as_dict()["metrics"][0]["mean"] is None


def test_json_numbers_equal_the_summary(run: EvalRun) -> None:
    report = summarize(run)
    data = json.loads(json.dumps(report.as_dict(), ensure_ascii=False, allow_nan=False))
    assert data["run"]["cases"] == 6 and data["run"]["errors"] == 1
    assert [m["mean"] for m in data["metrics"]] == [m.mean for m in report.metrics]
    assert [w["case_id"] for w in data["worst"]] == [r.case_id for r in report.worst]
    assert data["errored"] == [{"case_id": "timeout", "error": "upstream timed out after 30 s"}]


def test_write_report_replaces_the_file_atomically(run: EvalRun, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "seoul.html"
    write_report(summarize(run), target)
    text = target.read_bytes().decode("utf-8")
    assert "경복궁은 몇 시에 문을 여나요?" in text
    assert [p.name for p in target.parent.iterdir()] == ["seoul.html"]  # no temp file left
