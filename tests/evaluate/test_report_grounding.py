"""The report's grounding view: retrieval hits and unsupported sentences per case, only for cases
that have sources, scored by the real faithfulness and context_recall metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bs4 import BeautifulSoup

from tuneloop.evaluate.metrics import EvalCase, build_metric
from tuneloop.evaluate.report import report_html, summarize
from tuneloop.store.eval_results import CaseResult, EvalRun
from tuneloop.text.retrieval import Hit, Passage, source_dicts

FEES = "관람료: 성인 3,000원. 한복 착용자는 무료입니다. 휴무일: 매주 화요일."
HOURS = "관람 시간은 09:00~18:00입니다. <b>입장 마감</b>은 17:00입니다."
QUESTION = "경복궁 입장료는 얼마예요?"


def hits() -> tuple[Hit, ...]:
    return (
        Hit(Passage(FEES, "docs/gyeongbokgung.md", 0, len(FEES), line=13, title="경복궁"), 4.2, 0),
        Hit(Passage(HOURS, "docs/gyeongbokgung.md", 0, len(HOURS), line=5, title="경복궁"), 1.5, 1),
    )


def scored(case_id: str, output: str, *, sources: bool = True) -> CaseResult:
    """A result whose scores and details come from the real metrics."""
    given = hits() if sources else ()
    case = EvalCase(
        case_id,
        [{"role": "user", "content": QUESTION}],
        facts=(("3000원",),),
        sources=given,
    )
    scores, details = {}, {}
    for name in ("faithfulness", "context_recall"):
        score = build_metric(name).score(case, output)
        if "skipped" not in score.details:
            scores[name] = score.value
        details[name] = score.details
    return CaseResult(
        case_id=case_id,
        tags=(),
        messages=[{"role": "user", "content": QUESTION}],
        output=output,
        scores=scores,
        details=details,
        sources=source_dicts(given),  # as the runner stores them
    )


def run_of(*results: CaseResult) -> EvalRun:
    return EvalRun(
        id="ev-20261208-9a0b1c",
        suite="seoul-grounded",
        suite_hash="a" * 64,
        model="seoul-guide-rag",
        created_at=datetime(2026, 12, 8, 1, 0, tzinfo=UTC),
        metrics=("faithfulness", "context_recall"),
        results=results,
        prompt_ref="seoul-grounded@1",
    )


GOOD = "입장료는 성인 3,000원이에요. 한복을 입으면 무료예요."
HALLUCINATED = "입장료는 3,000원이에요. 야간 개장은 매일 밤 10시까지예요. 즐거운 여행 되세요!"


def test_summary_lists_each_grounded_case_least_faithful_first():
    report = summarize(run_of(scored("good", GOOD), scored("made-up", HALLUCINATED)))
    assert [g.case_id for g in report.grounded] == ["made-up", "good"]
    made_up = report.grounded[0]
    assert made_up.scores == {"faithfulness": 0.5, "context_recall": 1.0}
    assert [text for text, bad in made_up.segments if bad] == ["야간 개장은 매일 밤 10시까지예요."]
    assert made_up.unplaced == ()
    assert [h["where"] for h in made_up.hits] == [
        "docs/gyeongbokgung.md:13",
        "docs/gyeongbokgung.md:5",
    ]
    # source [1] supports "입장료는 3,000원이에요."; [2] supports nothing
    assert [h["supports"] for h in made_up.hits] == [1, 0]
    as_json = json.loads(json.dumps(report.as_dict()))
    assert as_json["grounded"][0]["case_id"] == "made-up"


def test_html_shows_hits_and_highlights_only_unsupported_sentences():
    page = BeautifulSoup(
        report_html(summarize(run_of(scored("made-up", HALLUCINATED), scored("good", GOOD)))),
        "html.parser",
    )
    table = page.find(id="grounding")
    assert table is not None
    rows = table.select("tr.grounded-case")
    assert [r["data-case"] for r in rows] == ["made-up", "good"]
    marked = [m.get_text() for m in rows[0].select("mark.unsupported")]
    assert marked == ["야간 개장은 매일 밤 10시까지예요."]
    assert rows[1].select("mark.unsupported") == []
    hits_text = [li.get_text(" ", strip=True) for li in rows[0].select("li.hit")]
    assert "docs/gyeongbokgung.md:13" in hits_text[0] and "score 4.20" in hits_text[0]
    assert "supports 1 sentence(s)" in hits_text[0]
    # passage text is escaped text, not markup
    assert rows[0].find("b") is None and "<b>입장 마감</b>" in rows[0].get_text()


def test_a_case_without_sources_gets_no_grounding_row_and_a_run_without_any_no_section():
    mixed = summarize(run_of(scored("good", GOOD), scored("plain", GOOD, sources=False)))
    assert [g.case_id for g in mixed.grounded] == ["good"]
    page = BeautifulSoup(report_html(mixed), "html.parser")
    assert [r["data-case"] for r in page.select("#grounding tr.grounded-case")] == ["good"]

    bare = summarize(run_of(scored("plain", GOOD, sources=False)))
    assert bare.grounded == ()
    assert "grounded" not in bare.as_dict()
    html = report_html(bare)
    assert 'id="grounding"' not in html and "unsupported sentences" not in html
