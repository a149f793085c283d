"""The A/B page is self-contained, escapes model output, and pairs rows by case."""

from __future__ import annotations

from tuneloop.prompts.compare import Side, html_report, summary
from tuneloop.prompts.runner import CaseResult


def result(i: int, output: str | None, error: str | None = None, latency: float = 10.0):
    return CaseResult(
        index=i,
        variables={"count": i},
        output=output,
        finish_reason="stop" if output else None,
        completion_tokens=len((output or "").split()),
        latency_ms=latency,
        error=error,
    )


def test_summary_counts_errors_and_averages_only_successes():
    s = summary([result(0, "a b", latency=10), result(1, "c", latency=30), result(2, None, "boom")])
    assert s == {
        "cases": 3,
        "errors": 1,
        "mean_latency_ms": 20.0,
        "mean_completion_tokens": 1.5,
        "mean_output_chars": 2.0,
    }


def test_html_pairs_cases_and_escapes_output():
    a = Side(
        "A",
        "seoul@1",
        "a" * 64,
        [result(0, "경복궁"), result(1, "<script>alert(1)</script>")],
        "run-a",
    )
    b = Side("B", "seoul@2", "b" * 64, [result(1, "남산"), result(0, "광장시장")], "run-b")
    page = html_report(a, b, model="tiny", params={"temperature": 0})
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('<tr class="case">') == 2
    first_row = page.split('<tr class="case">')[1]
    assert first_row.index("경복궁") < first_row.index("광장시장")
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    assert "run-a" in page and "run-b" in page
