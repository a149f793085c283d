"""``migrate openai parity``: the local model on the golden suite, scored for agreement with the
old fine-tune's recorded answers; a gated result is the evidence the protected alias needs."""

from __future__ import annotations

import json

import pytest

from tuneloop.config import Settings
from tuneloop.errors import DataError, InvalidRequest, ProtectedAlias
from tuneloop.migrate.parity import agreement_of, golden_suite_path, parity
from tuneloop.migrate.parity_report import write_parity
from tuneloop.models.catalog import Catalog
from tuneloop.store.eval_results import CaseResult

from .sources import (
    FT_ID,
    GOLDEN,
    NAME,
    golden_answers,
    parrot_backend,
    register_local,
    seed_source,
    write_golden,
)

# Same facts in the local model's own words (and the JSON case answered in prose)
REWORDED = {
    q: a.replace("입니다", "이에요").replace("습니다", "어요") for q, a in golden_answers().items()
}
REWORDED["경복궁 정보를 JSON으로 주세요."] = "경복궁은 화요일에 쉬고 입장료는 3000원이에요."


@pytest.fixture
def project(store, tmp_path):
    with parrot_backend():
        seed_source(store, tmp_path)
        write_golden(tmp_path)
        settings = Settings(project_dir=tmp_path)
        yield settings, store, Catalog(settings, store)


def _parity(project, **options):
    settings, store, catalog = project
    return parity(settings, store, catalog, NAME, by="kim", **options)


def test_a_faithful_local_model_passes_the_gate_and_may_then_take_production(project):
    _, store, _ = project
    local = register_local(store, answers=golden_answers())
    with pytest.raises(ProtectedAlias):
        store.models.promote(local.ref, "production", by="kim")

    report = _parity(project, gate=0.9)

    assert report.candidate.ref == local.ref and report.source.model_id == FT_ID
    assert report.agreement.n == len(GOLDEN) and report.agreement.low >= 0.9
    assert report.passed is True
    record = store.gate_results.get(report.gate["id"])
    assert (record.model_name, record.candidate_version, record.baseline_version) == (
        NAME,
        local.version,
        1,
    )
    assert (record.suite, record.baseline_model, record.passed) == (f"{NAME}-golden", FT_ID, True)
    moved = store.models.promote(local.ref, "production", by="kim")
    assert moved.gate is not None and moved.gate.id == record.id
    assert store.models.get(local.ref).metrics["parity_agreement"] == pytest.approx(
        report.agreement.mean
    )


def test_a_model_that_disagrees_fails_the_gate_and_promote_stays_refused(project):
    _, store, _ = project
    local = register_local(store, default="잘 모르겠어요.")

    report = _parity(project, gate=0.5)

    assert report.passed is False and report.agreement.high < 0.5
    assert store.gate_results.get(report.gate["id"]).passed is False
    with pytest.raises(ProtectedAlias, match="failed"):
        store.models.promote(local.ref, "production", by="kim")


def test_rewording_keeps_key_terms_and_a_prose_answer_to_a_json_question_fails_its_form(project):
    _, store, _ = project
    register_local(store, answers=REWORDED)

    report = _parity(project)

    by_question = {c.question: c for c in report.cases}
    prose = by_question["경복궁 정보를 JSON으로 주세요."]
    assert prose.form is not None and prose.form < 1.0
    assert prose.agreement <= prose.content * prose.form + 1e-9
    assert report.metrics["key_terms"].mean > 0.9
    assert report.metrics["same_format"].mean == pytest.approx((len(GOLDEN) - 1) / len(GOLDEN))
    assert report.worst[0].case_id == prose.case_id
    assert report.gate is None and not store.gate_results.for_version(NAME, 2)
    assert {t.tag for t in report.tags} == {"validation", "train-sample"}
    tag = next(t for t in report.tags if t.tag == "validation")
    assert tag.agreement.n == len([i for i in range(len(GOLDEN)) if i % 3 == 0])


def test_the_reports_are_written_as_json_and_html(project, tmp_path):
    _, store, _ = project
    register_local(store, answers=REWORDED)
    report = _parity(project, gate=0.2)

    json_path, html_path = write_parity(report, tmp_path / "out")

    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["agreement"]["n"] == len(GOLDEN) and data["gate"]["passed"] is True
    assert data["source"]["model_id"] == FT_ID and data["candidate"]["ref"] == f"{NAME}@2"
    assert len(data["per_case"]) == len(GOLDEN)
    assert any("answer_similarity" in note for note in data["notes"])
    html = html_path.read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1  # inlined once: the page opens without network
    assert '<script src="http' not in html
    for div in ("agreement-hist", "metric-intervals", "tag-intervals"):
        assert f'id="{div}"' in html
    assert "경복궁은 화요일에 쉬고 입장료는 3000원이에요." in html  # the worst case, side by side


def test_the_users_own_suites_run_on_the_local_model_beside(project, tmp_path):
    _, store, _ = project
    register_local(store, answers=golden_answers())
    suite = tmp_path / "mine.yaml"
    suite.write_text(
        "name: mine\nmetrics: [token_f1]\ncases:\n"
        "  - input: 경복궁은 언제 쉬나요?\n    reference: 경복궁은 매주 화요일에 쉽니다.\n",
        encoding="utf-8",
    )

    report = _parity(project, suites=[suite])

    [mine] = report.suites
    assert (mine.suite, mine.cases, mine.errors) == ("mine", 1, 0)
    assert mine.metrics["token_f1"].mean > 0.5
    assert store.eval_runs.get(mine.run_id).model_version == f"{NAME}@2"


def test_missing_inputs_name_the_step_to_run(project, tmp_path):
    _, store, _ = project
    with pytest.raises(InvalidRequest, match="no local version") as no_local:
        _parity(project)
    assert "migrate openai retrain" in (no_local.value.hint or "")
    register_local(store, answers=golden_answers())
    with pytest.raises(InvalidRequest, match="between 0 and 1"):
        _parity(project, gate=1.5)
    with pytest.raises(InvalidRequest, match="OpenAI source"):
        _parity(project, model=f"{NAME}@1")
    golden_suite_path(tmp_path, NAME).unlink()
    with pytest.raises(DataError) as no_golden:
        _parity(project)
    assert "migrate openai record" in (no_golden.value.hint or "")


def _result(scores, details=None, error=None):
    return CaseResult(
        case_id="c",
        tags=(),
        messages=[],
        output=None if error else "x",
        references=("y",),
        scores=scores,
        details=details or {},
        error=error,
    )


def test_agreement_is_the_content_mean_times_the_share_of_form_checks_passed():
    value, content, form = agreement_of(
        _result(
            {"token_f1": 0.6, "key_terms": 1.0, "same_format": 1.0, "length_ratio": 0.3},
            {"key_terms": {"skipped": "no terms"}, "length_ratio": {"passed": False}},
        )
    )
    assert (content, form) == (0.6, 0.5)
    assert value == pytest.approx(0.3)
    assert agreement_of(_result({}, error="backend_error: down")) == (0.0, None, None)
