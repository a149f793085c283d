"""The parity report in a real browser (system Chromium, every non-file request aborted): its
three charts draw offline, the old and new answers show side by side as text, no errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from migrate.sources import (
    NAME,
    golden_answers,
    parrot_backend,
    register_local,
    seed_source,
    write_golden,
)
from tuneloop.config import Settings
from tuneloop.migrate.parity import parity
from tuneloop.migrate.parity_report import write_parity
from tuneloop.models.catalog import Catalog
from tuneloop.registry import Store

from .test_report_browser import browser, open_offline  # noqa: F401  (browser: a fixture)

EVIL = "<script>alert(1)</script>"


def _report(tmp_path: Path) -> Path:
    answers = golden_answers()
    answers["광장시장에서 뭘 먹을까요?"] = f"잘 모르겠어요 {EVIL}"
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store(database, tmp_path / "artifacts") as store, parrot_backend():
        seed_source(store, tmp_path)
        write_golden(tmp_path)
        register_local(store, answers=answers)
        settings = Settings(project_dir=tmp_path)
        report = parity(settings, store, Catalog(settings, store), NAME, gate=0.1, by="t")
    return write_parity(report, tmp_path / "out")[1]


def test_parity_report_draws_its_charts_offline_with_both_answers_side_by_side(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Playwright's sync API keeps an event loop in this thread; the eval runner needs its own.
    with ThreadPoolExecutor(1) as pool:
        path = pool.submit(_report, tmp_path).result()
    opened = open_offline(browser, path)
    page = opened.page
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(d => d.querySelector('svg.main-svg'))",
        timeout=15_000,
    )
    ids = sorted(page.locator(".plotly-graph-div").evaluate_all("ds => ds.map(d => d.id)"))
    assert ids == ["agreement-hist", "metric-intervals", "tag-intervals"]
    assert page.locator("#agreement-hist g.trace.bars path").count() > 0
    assert page.locator("#metric-intervals g.points path").count() > 0

    worst = page.locator("#worst tr.worst-row").first
    assert "광장시장" in worst.inner_text()
    assert "빈대떡" in worst.locator(".old").inner_text()
    assert EVIL in worst.locator(".new").inner_text()  # shown as text, never run
    assert page.locator("#gate").get_attribute("data-passed") == "true"
    assert page.locator('#tags tr[data-tag="validation"]').count() == 1
    assert opened.console_errors == [] and opened.dialogs == [] and opened.external == []
    page.close()
