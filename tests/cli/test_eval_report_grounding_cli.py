"""``tuneloop eval report`` on a stored run whose prompt retrieved: the terminal shows each case's
sources and unsupported sentences, and nothing of the kind for a run without sources."""

from __future__ import annotations

from datetime import UTC, datetime

import tuneloop.cli.eval_analysis  # noqa: F401  (registers report on `tuneloop eval`)
from tuneloop.config import load_settings
from tuneloop.evaluate.metrics import EvalCase, build_metric
from tuneloop.registry import Store
from tuneloop.store.eval_results import CaseResult, EvalRun
from tuneloop.text.retrieval import Hit, Passage, source_dicts

FEES = "관람료: 성인 3,000원. 한복 착용자는 무료입니다."
QUESTION = [{"role": "user", "content": "경복궁 입장료는 얼마예요?"}]


def result(case_id: str, output: str, *, sources: bool) -> CaseResult:
    given = (
        (Hit(Passage(FEES, "docs/gyeongbokgung.md", 0, len(FEES), line=13), 4.2, 0),)
        if sources
        else ()
    )
    score = build_metric("faithfulness").score(EvalCase(case_id, QUESTION, sources=given), output)
    return CaseResult(
        case_id=case_id,
        tags=(),
        messages=QUESTION,
        output=output,
        scores={"faithfulness": score.value},
        details={"faithfulness": score.details},
        sources=source_dicts(given),
    )


def save(project, run_id: str, *, sources: bool) -> None:
    run = EvalRun(
        id=run_id,
        suite="seoul-grounded",
        suite_hash="c" * 64,
        model="seoul-guide-rag",
        created_at=datetime.now(UTC),
        metrics=("faithfulness",),
        results=(result("fee", "입장료는 3,000원이에요. 외국인은 50% 할인돼요.", sources=sources),),
    )
    with Store.from_settings(load_settings(project)) as store:
        store.eval_runs.save(run)


def test_report_prints_sources_and_unsupported_sentences(invoke, project, tmp_path):
    save(project, "ev-20261208-aaa001", sources=True)
    got = invoke(
        "--project", project, "eval", "report", "ev-20261208-aaa001", "-o", tmp_path / "r.html"
    )
    assert got.exit_code == 0, got.output
    assert "Grounding: 1 case(s) with sources" in got.stdout
    assert "[1] docs/gyeongbokgung.md:13 (4.20) · supports 1" in got.stdout
    assert "unsupported: 외국인은 50% 할인돼요." in got.stdout
    assert "입장료는 3000원이에요." not in got.stdout.split("unsupported:", 1)[1]


def test_report_of_a_run_without_sources_prints_no_grounding(invoke, project, tmp_path):
    save(project, "ev-20261208-bbb002", sources=False)
    got = invoke(
        "--project", project, "eval", "report", "ev-20261208-bbb002", "-o", tmp_path / "r.html"
    )
    assert got.exit_code == 0, got.output
    assert "Grounding" not in got.stdout and "unsupported" not in got.stdout
