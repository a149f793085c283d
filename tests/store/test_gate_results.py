"""Gate results are stored append-only and found as evidence only for the exact version pair."""

from __future__ import annotations

import pytest

from tuneloop.errors import NotFound
from tuneloop.store import GateRecord, Store


def _record(**changes: object) -> GateRecord:
    values: dict[str, object] = {
        "model_name": "seoul-guide",
        "candidate_version": 2,
        "baseline_model": "seoul-guide@production",
        "baseline_version": 1,
        "suite": "seoul-travel",
        "suite_hash": "a" * 64,
        "candidate_run_id": "ev-20261207-aaaaaa",
        "baseline_run_id": "ev-20261207-bbbbbb",
        "passed": True,
        "checks": [{"metric": "fact_recall", "passed": True}],
        "settings": {"max_regression": 0.02},
        "candidate_hash": "sha256:" + "c" * 64,
        "alias": "production",
    }
    values.update(changes)
    return GateRecord(**values)  # type: ignore[arg-type]


def test_saved_gate_reads_back_with_an_id_and_time(store: Store):
    saved = store.gate_results.save(_record())
    assert saved.id.startswith("gate-")
    assert saved.created_at is not None
    again = store.gate_results.get(saved.id)
    assert again == saved
    assert again.as_dict()["candidate"] == "seoul-guide@2"
    assert again.as_dict()["baseline"] == "seoul-guide@1"


def test_evidence_needs_a_pass_against_exactly_that_baseline_version(store: Store):
    store.gate_results.save(_record(passed=False))
    assert store.gate_results.evidence("seoul-guide", 2, 1) is None
    store.gate_results.save(_record(baseline_version=None, baseline_model="smollm2-135m"))
    assert store.gate_results.evidence("seoul-guide", 2, 1) is None
    assert store.gate_results.evidence("seoul-guide", 2, None) is not None
    passing = store.gate_results.save(_record())
    assert store.gate_results.evidence("seoul-guide", 2, 1) == passing
    assert store.gate_results.evidence("seoul-guide", 3, 1) is None
    assert len(store.gate_results.for_version("seoul-guide", 2)) == 3


def test_unknown_gate_id_is_not_found(store: Store):
    with pytest.raises(NotFound):
        store.gate_results.get("gate-nope")
