"""The report page in a real browser: Plotly draws every chart offline, Korean shows, no errors.

Runs the system Chromium (``apt-get install chromium``) through Playwright's Python package — never
``playwright install``, which downloads browsers. Every request other than the file itself is
aborted and recorded, so a chart that needs a CDN fails here instead of on a reviewer's laptop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tuneloop.evaluate.report import summarize, write_report
from tuneloop.store.eval_results import CaseResult, EvalRun

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "경복궁은 몇 시에 문을 여나요?"
ANSWER = "경복궁은 오전 9시에 문을 엽니다. <script>alert(1)</script>"


def seoul_run() -> EvalRun:
    topics = ["궁궐", "교통", "맛집", "야경"]
    results = []
    for i in range(24):
        results.append(
            CaseResult(
                case_id=f"seoul-{i:02d}",
                tags=(topics[i % 4],),
                messages=[{"role": "user", "content": f"{QUESTION} ({i})"}],
                output=None if i == 5 else f"{ANSWER} #{i}",
                references=("오전 9시에 개장합니다.",),
                scores={}
                if i == 5
                else {"token_f1": (i * 7 % 10) / 10, "exact": float(i % 3 == 0)},
                latency_ms=150.0 + 37.0 * i,
                prompt_tokens=60,
                completion_tokens=25 + i,
                error="upstream timed out" if i == 5 else None,
            )
        )
    return EvalRun(
        id="ev-20261125-b10b5e",
        suite="seoul-travel",
        suite_hash="d" * 64,
        model="seoul-guide-lora",
        created_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        metrics=("token_f1", "exact"),
        results=tuple(results),
        prompt_ref="seoul-guide@3",
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: run `apt-get install chromium` (CI installs it); "
            "do not use `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@dataclass
class OfflinePage:
    """A page opened from a file with every other request aborted: what it logged as errors,
    which URLs it tried to load, and the dialogs it opened (an injected ``alert`` would be one)."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def open_offline(browser: Any, path: Path) -> OfflinePage:
    """Open ``path`` in a new page of ``browser`` with the network cut off (see OfflinePage)."""
    opened = OfflinePage(browser.new_page())
    page = opened.page
    page.on(
        "console", lambda m: opened.console_errors.append(m.text) if m.type == "error" else None
    )
    page.on("pageerror", lambda e: opened.console_errors.append(str(e)))
    page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))

    def block(route: Any) -> None:
        if not route.request.url.startswith("file://"):
            opened.external.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return opened


def test_report_renders_every_chart_offline_with_korean_text(browser: Any, tmp_path: Path) -> None:
    path = write_report(summarize(seoul_run()), tmp_path / "report.html")
    opened = open_offline(browser, path)
    page, console_errors, external, dialogs = (
        opened.page,
        opened.console_errors,
        opened.external,
        opened.dialogs,
    )

    plots = page.locator(".plotly-graph-div")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(d => d.querySelector('svg.main-svg'))",
        timeout=15_000,
    )
    ids = sorted(plots.evaluate_all("divs => divs.map(d => d.id)"))
    assert ids == ["dist-0", "dist-1", "dist-box", "latency-hist"]
    for plot_id in ids:
        assert page.locator(f"#{plot_id} svg.main-svg").count() >= 1, plot_id
    # The histograms really drew bars (an empty axis would still have an svg).
    assert page.locator("#dist-0 g.trace.bars path").count() > 0
    assert page.locator("#latency-hist g.trace.bars path").count() > 0

    assert page.evaluate("document.characterSet") == "UTF-8"
    assert page.evaluate("document.documentElement.lang") == "ko"
    first_question = page.get_by_text(f"{QUESTION} (", exact=False).first
    assert first_question.is_visible()
    assert QUESTION in first_question.inner_text()
    tag_cell = page.locator('#tags tr[data-tag="야경"] td').first
    assert tag_cell.inner_text() == "야경"
    # The model's <script> is text on the page, not a script that ran.
    assert "<script>alert(1)</script>" in page.locator("#worst .output").first.inner_text()

    assert console_errors == []
    assert dialogs == []
    assert external == []
    page.close()


GOOD = "입장료는 성인 3,000원이에요. 한복을 입으면 무료예요."
HALLUCINATED = "입장료는 3,000원이에요. 야간 개장은 매일 밤 10시까지예요. 즐거운 여행 되세요!"
PASSAGES = (
    ("관람료: 성인 3,000원. 한복 착용자는 무료입니다.", 13, 4.2),
    ("관람 시간은 09:00~18:00입니다. <b>입장 마감</b>은 17:00입니다.", 5, 1.5),
)


def grounded_result(case_id: str, output: str, *, sources: bool = True) -> CaseResult:
    """A result scored by the real faithfulness metric against the retrieved passages."""
    from tuneloop.evaluate.metrics import EvalCase, build_metric
    from tuneloop.text.retrieval import Hit, Passage, source_dicts

    given = tuple(
        Hit(Passage(text, "docs/gyeongbokgung.md", 0, len(text), line=line, title="경복궁"), s, i)
        for i, (text, line, s) in enumerate(PASSAGES if sources else ())
    )
    question = [{"role": "user", "content": "경복궁 입장료는 얼마예요?"}]
    score = build_metric("faithfulness").score(EvalCase(case_id, question, sources=given), output)
    return CaseResult(
        case_id=case_id,
        tags=(),
        messages=question,
        output=output,
        scores={} if "skipped" in score.details else {"faithfulness": score.value},
        details={"faithfulness": score.details},
        sources=source_dicts(given),
    )


def test_report_shows_sources_and_highlights_unsupported_sentences(
    browser: Any, tmp_path: Path
) -> None:
    run = EvalRun(
        id="ev-20261208-6a0b1d",
        suite="seoul-grounded",
        suite_hash="e" * 64,
        model="seoul-guide-rag",
        created_at=datetime(2026, 12, 8, 1, 0, tzinfo=UTC),
        metrics=("faithfulness",),
        results=(
            grounded_result("made-up", HALLUCINATED),
            grounded_result("good", GOOD),
            grounded_result("no-sources", GOOD, sources=False),
        ),
    )
    opened = open_offline(browser, write_report(summarize(run), tmp_path / "grounded.html"))
    page = opened.page

    rows = page.locator("#grounding tr.grounded-case")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.case)") == ["made-up", "good"]
    marked = rows.first.locator("mark.unsupported")
    assert marked.count() == 1
    assert marked.first.is_visible()
    assert marked.first.inner_text() == "야간 개장은 매일 밤 10시까지예요."
    # drawn highlighted, not as plain text
    background = marked.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert rows.nth(1).locator("mark.unsupported").count() == 0
    hits = rows.first.locator("li.hit")
    assert hits.first.is_visible()
    assert "docs/gyeongbokgung.md:13" in hits.first.inner_text()
    # a passage opens on click, and its markup-looking text stays text
    hits.nth(1).locator("summary").click()
    assert "<b>입장 마감</b>" in hits.nth(1).inner_text()
    assert page.locator('#grounding tr[data-case="no-sources"]').count() == 0
    assert opened.console_errors == []
    assert opened.external == []
    page.close()
