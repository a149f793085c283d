"""A gate decision becomes stored evidence about two *versions*, taken from the runs' identities."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tuneloop.evaluate.gate import gate, record_gate
from tuneloop.store.eval_results import CaseResult, EvalRun


def identity(version_ref: str, name: str, version: int | None, source: str) -> dict:
    return {
        "requested": version_ref,
        "version_ref": version_ref,
        "name": name,
        "version": version,
        "content_hash": f"sha256:{'a' * 63}{version or 0}",
        "hashed_from": "weights",
        "source": source,
        "backend": "local",
        "model_id": None,
    }


def run_of(run_id: str, f1: float, ident: dict | None, *, typed: str | None = None) -> EvalRun:
    return EvalRun(
        id=run_id,
        suite="seoul-travel",
        suite_hash="d" * 64,
        model=typed or (ident["version_ref"] if ident else "seoul-guide@staging"),
        model_version=ident["version_ref"] if ident else None,
        model_hash=ident["content_hash"] if ident else None,
        created_at=datetime(2026, 12, 8, tzinfo=UTC),
        metrics=("f1",),
        results=tuple(
            CaseResult(case_id=f"c{i}", tags=(), messages=[], output="답", scores={"f1": f1})
            for i in range(8)
        ),
        meta={"model_identity": ident},
    )


@pytest.fixture
def versions(store):
    for model_id in ("ft:one", "ft:two"):
        store.models.register_version(
            "seoul-guide", model_id=model_id, backend="local", config={"path": "/nowhere"},
            base_model="smollm2-135m", author="test",
        )  # fmt: skip
    store.models.promote("seoul-guide@1", "production", by="test", force=True, reason="test setup")
    return store


def decide(candidate: EvalRun, baseline: EvalRun):
    return gate(candidate, minimums={}, baseline=baseline, max_regression=0.02)


def test_a_gate_of_version_2_against_production_is_stored_as_its_evidence(versions):
    candidate = run_of("ev-cand", 0.7, identity("seoul-guide@2", "seoul-guide", 2, "fine-tuned"))
    baseline = run_of("ev-base", 0.6, identity("seoul-guide@1", "seoul-guide", 1, "fine-tuned"))
    result = decide(candidate, baseline)
    outcome = record_gate(versions, candidate, baseline, result, alias="production", by="kim")
    assert outcome.reason is None and outcome.notes == ()
    stored = versions.gate_results.get(outcome.record.id)
    assert (stored.model_name, stored.candidate_version, stored.baseline_version) == (
        "seoul-guide", 2, 1,
    )  # fmt: skip
    assert stored.candidate_hash == candidate.model_hash
    assert (stored.suite, stored.suite_hash) == ("seoul-travel", "d" * 64)
    assert (stored.alias, stored.by) == ("production", "kim")
    assert (stored.candidate_run_id, stored.baseline_run_id) == ("ev-cand", "ev-base")
    assert stored.passed and stored.checks[0]["name"] == "f1 regression <= 0.02"
    assert stored.settings["max_regression"] == 0.02 and stored.settings["errors_as_failures"]
    assert versions.gate_results.evidence("seoul-guide", 2, 1) == stored


def test_a_failed_gate_is_stored_too_but_is_no_evidence(versions):
    candidate = run_of("ev-cand", 0.3, identity("seoul-guide@2", "seoul-guide", 2, "fine-tuned"))
    baseline = run_of("ev-base", 0.6, identity("seoul-guide@1", "seoul-guide", 1, "fine-tuned"))
    outcome = record_gate(
        versions, candidate, baseline, decide(candidate, baseline), alias="production", by="k"
    )
    assert outcome.record is not None and not outcome.record.passed
    assert versions.gate_results.evidence("seoul-guide", 2, 1) is None


def test_a_baseline_outside_the_model_name_is_recorded_by_its_version_ref(versions):
    candidate = run_of("ev-cand", 0.7, identity("seoul-guide@1", "seoul-guide", 1, "fine-tuned"))
    base = run_of("ev-base", 0.6, identity("smollm2-135m", "smollm2-135m", None, "builtin"))
    result = decide(candidate, base)
    outcome = record_gate(versions, candidate, base, result, alias="canary", by="k")
    assert outcome.record.baseline_version is None
    assert outcome.record.baseline_model == "smollm2-135m"
    assert outcome.record.baseline_ref == "smollm2-135m"


def test_a_baseline_that_is_not_the_alias_current_version_gets_a_note(versions):
    candidate = run_of("ev-cand", 0.7, identity("seoul-guide@2", "seoul-guide", 2, "fine-tuned"))
    base = run_of("ev-base", 0.6, identity("smollm2-135m", "smollm2-135m", None, "builtin"))
    result = decide(candidate, base)
    outcome = record_gate(versions, candidate, base, result, alias="production", by="k")
    assert outcome.record is not None
    assert "points at version 1" in outcome.notes[0]


@pytest.mark.parametrize(
    ("ident", "why"),
    [
        (identity("smollm2-135m", "smollm2-135m", None, "builtin"), "not a registered model"),
        (identity("seoul-guide@9", "seoul-guide", 9, "fine-tuned"), "not in this project's model"),
        (None, "did not record which model version"),
    ],
)
def test_nothing_is_stored_for_a_candidate_that_is_not_a_registered_version(versions, ident, why):
    candidate = run_of("ev-cand", 0.7, ident)
    baseline = run_of("ev-base", 0.6, identity("seoul-guide@1", "seoul-guide", 1, "fine-tuned"))
    outcome = record_gate(
        versions, candidate, baseline, decide(candidate, baseline), alias="production", by="k"
    )
    assert outcome.record is None and why in outcome.reason
    assert versions.gate_results.for_version("seoul-guide", 9) == []
    assert versions.gate_results.for_version("seoul-guide", 1) == []


def test_nothing_is_stored_without_a_baseline(versions):
    candidate = run_of("ev-cand", 0.7, identity("seoul-guide@2", "seoul-guide", 2, "fine-tuned"))
    result = gate(candidate, minimums={"f1": 0.5})
    outcome = record_gate(versions, candidate, None, result, alias="production", by="k")
    assert outcome.record is None and "--baseline" in outcome.reason


def test_a_baseline_run_without_identity_stores_nothing(versions):
    candidate = run_of("ev-cand", 0.7, identity("seoul-guide@2", "seoul-guide", 2, "fine-tuned"))
    baseline = replace(run_of("ev-base", 0.6, None), model="seoul-guide@production")
    outcome = record_gate(
        versions, candidate, baseline, decide(candidate, baseline), alias="production", by="k"
    )
    assert outcome.record is None and "baseline run ev-base" in outcome.reason
