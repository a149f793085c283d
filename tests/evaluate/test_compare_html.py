"""The comparison page: same style as the report, every number from the Comparison, escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bs4 import BeautifulSoup

from tuneloop.evaluate.compare import compare_runs
from tuneloop.evaluate.report import comparison_html, write_comparison
from tuneloop.store.eval_results import CaseResult, EvalRun

XSS = "<script>alert(1)</script>"


def run(run_id: str, model: str, f1: dict[str, float], tag: str = "궁궐") -> EvalRun:
    return EvalRun(
        id=run_id,
        suite="seoul-travel",
        suite_hash="c" * 64,
        model=model,
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        metrics=("token_f1",),
        results=tuple(
            CaseResult(
                case_id=cid,
                tags=(tag,),
                messages=[{"role": "user", "content": "창덕궁 후원 예약은 어떻게 하나요?"}],
                output="온라인으로 예약하세요.",
                scores={"token_f1": v},
            )
            for cid, v in f1.items()
        ),
        prompt_ref="seoul-guide@2",
    )


def test_comparison_page_shows_deltas_overall_and_by_tag(tmp_path: Path) -> None:
    a = run("ev-a", "base", {f"q{i}": 0.3 for i in range(12)} | {"gone": 0.1})
    b = run("ev-b", "base-lora", {f"q{i}": 0.6 for i in range(12)})
    comparison = compare_runs(a, b, resamples=500)
    path = write_comparison(comparison, tmp_path / "ab.html")
    page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    row = page.select_one('#overall tr.delta-row[data-metric="token_f1"]')
    cells = [td.text.strip() for td in row.find_all("td")]
    assert cells[1] == "12"
    assert (cells[2], cells[3]) == ("0.300", "0.600")
    assert cells[4] == "▲ +0.300"
    assert "significant" in row["class"]
    assert cells[7] == "12 / 0 / 0"
    assert page.select_one('#by-tag tr[data-tag="궁궐"]') is not None
    assert "gone" in page.select_one("#unpaired").text
    assert page.select_one("div.plotly-graph-div#compare-deltas") is not None
    assert "model" in page.text and "base-lora" in page.text


def test_comparison_page_escapes_user_strings() -> None:
    a = run("ev-a", f"m-{XSS}", {"q": 0.5}, tag=f"t-{XSS}")
    b = run("ev-b", "m", {"q": 0.4, f"only-{XSS}": 0.2}, tag=f"t-{XSS}")
    html = comparison_html(compare_runs(a, b, resamples=100))
    assert XSS not in html
    assert html.count("&lt;script&gt;") >= 3
