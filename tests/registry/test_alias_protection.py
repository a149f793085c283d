"""Protected aliases move only through a gate, on SQLite and PostgreSQL: a stored, passing gate of
*that* version against the alias's *current* version, or --force with a reason (recorded); a roll
back needs a reason, not a gate; prompt and dataset aliases are never gated."""

from __future__ import annotations

from typing import Any

import pytest

from tuneloop.config import Settings
from tuneloop.errors import ProtectedAlias
from tuneloop.registry import Store
from tuneloop.store import GateRecord

NAME = "seoul-guide"


def register(store, n: int):
    return store.models.register_version(
        NAME,
        model_id=f"ft:smollm2-135m:tuneloop:seoul:{n:06d}",
        backend="echo",
        config={},
        base_model="smollm2-135m",
        author="kim",
    )


def gate(store, candidate: int, baseline: int | None, *, passed: bool = True, **extra: Any):
    return store.gate_results.save(
        GateRecord(
            model_name=NAME,
            candidate_version=candidate,
            baseline_model="smollm2-135m" if baseline is None else NAME,
            baseline_version=baseline,
            suite="seoul",
            suite_hash="0" * 64,
            candidate_run_id=f"run-c{candidate}",
            baseline_run_id=f"run-b{baseline}",
            passed=passed,
            checks=[{"name": "fact_recall", "passed": passed, "delta": 0.1}],
            **extra,
        )
    )


@pytest.fixture
def versions(store):
    return [register(store, n) for n in (1, 2, 3)]


def test_production_cannot_be_set_without_a_gate_and_the_error_says_which_and_how(store, versions):
    with pytest.raises(ProtectedAlias) as err:
        store.models.promote(f"{NAME}@1", by="kim")

    assert err.value.exit_code == 9
    assert f"{NAME}@1 against the base model" in err.value.message
    assert "tuneloop eval gate CANDIDATE_RUN --baseline BASELINE_RUN" in (err.value.hint or "")
    assert "--force --reason" in (err.value.hint or "")
    assert store.models.aliases(NAME) == {}
    assert store.models.alias_history(NAME) == []


def test_a_passing_gate_against_the_current_version_moves_it_and_is_recorded(store, versions):
    first = gate(store, 1, None)
    store.models.promote(f"{NAME}@1", by="kim")
    evidence = gate(store, 3, 1)

    moved = store.models.promote(f"{NAME}@3", by="lee")

    assert (moved.previous, moved.alias.version, moved.gate) == (1, 3, evidence)
    history = store.models.alias_history(NAME, "production")
    assert [(e.from_version, e.to_version, e.gate_id) for e in history] == [
        (None, 1, first.id),
        (1, 3, evidence.id),
    ]


@pytest.mark.parametrize(
    ("candidate", "baseline", "passed"),
    [(3, 2, True), (3, None, True), (3, 1, False), (2, 1, True)],
    ids=["against-another-version", "against-the-base-model", "failed", "another-candidate"],
)
def test_a_gate_that_is_not_for_this_move_is_no_evidence(
    store, versions, candidate, baseline, passed
):
    gate(store, 1, None)
    store.models.promote(f"{NAME}@1", by="kim")
    gate(store, candidate, baseline, passed=passed)

    with pytest.raises(ProtectedAlias) as err:
        store.models.promote(f"{NAME}@3", by="lee")

    assert f"gate of {NAME}@3 against {NAME}@1" in err.value.message
    assert store.models.aliases(NAME) == {"production": 1}


def test_a_gate_stops_counting_once_the_alias_has_moved_on(store, versions):
    gate(store, 2, None)
    gate(store, 3, None)
    store.models.promote(f"{NAME}@2", by="kim")  # production: 2

    with pytest.raises(ProtectedAlias):  # the gate of 3 compared it with the base model, not 2
        store.models.promote(f"{NAME}@3", by="kim")


def test_force_needs_a_reason_and_the_reason_is_recorded(store, versions):
    with pytest.raises(ProtectedAlias, match="needs a reason"):
        store.models.promote(f"{NAME}@2", by="kim", force=True)
    with pytest.raises(ProtectedAlias):
        store.models.promote(f"{NAME}@2", by="kim", force=True, reason="   ")

    moved = store.models.promote(f"{NAME}@2", by="kim", force=True, reason="hotfix for 서울역")

    assert moved.forced and moved.gate is None
    [event] = store.models.alias_history(NAME)
    assert (event.to_version, event.reason, event.gate_id) == (2, "hotfix for 서울역", None)


def test_rollback_of_a_protected_alias_needs_a_reason_but_no_gate(store, versions):
    gate(store, 1, None)
    store.models.promote(f"{NAME}@1", by="kim")
    gate(store, 2, 1)
    store.models.promote(f"{NAME}@2", by="kim")

    with pytest.raises(ProtectedAlias, match="needs a reason"):
        store.models.rollback(NAME, by="ops")
    back = store.models.rollback(NAME, by="ops", reason="answers in English since v2")

    assert (back.previous, back.alias.version, back.gate) == (2, 1, None)
    assert store.models.alias_history(NAME)[-1].reason == "answers in English since v2"


def test_removing_a_protected_alias_needs_force_and_a_reason(store, versions):
    store.models.promote(f"{NAME}@1", by="kim", force=True, reason="first release")
    with pytest.raises(ProtectedAlias):
        store.models.remove_alias(NAME, "production", by="kim")
    with pytest.raises(ProtectedAlias):
        store.models.remove_alias(NAME, "production", by="kim", force=True)

    store.models.remove_alias(NAME, "production", by="kim", force=True, reason="retired")

    assert store.models.aliases(NAME) == {}
    assert store.models.alias_history(NAME)[-1].reason == "retired"


def test_unprotected_aliases_and_no_op_moves_need_no_gate(store, versions):
    store.models.promote(f"{NAME}@3", "staging", by="kim")
    store.models.set_alias(NAME, "canary", 2, by="kim")
    store.models.promote(f"{NAME}@1", by="kim", force=True, reason="first release")

    again = store.models.promote(f"{NAME}@1", by="kim")  # already there: nothing to gate

    assert not again.changed
    assert store.models.aliases(NAME) == {"canary": 2, "production": 1, "staging": 3}
    assert store.models.is_protected("production") and not store.models.is_protected("staging")


def test_prompt_and_dataset_aliases_are_never_gated(store, tmp_path):
    store.prompts.push("support", "name: support\nsystem: hi\n", author="kim")
    (tmp_path / "train.jsonl").write_text(
        '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n',
        encoding="utf-8",
    )
    store.datasets.push("seoul-qa", {"train": tmp_path / "train.jsonl"}, author="kim")

    store.prompts.set_alias("support", "production", 1, by="kim")
    store.datasets.set_alias("seoul-qa", "production", 1, by="kim")

    assert not store.prompts.is_protected("production")
    assert store.datasets.aliases("seoul-qa") == {"production": 1}


def test_protected_aliases_come_from_the_project_settings(db_url, tmp_path):
    settings = Settings(
        database_url=db_url,
        artifact_dir=tmp_path / "artifacts",
        registry={"protected_aliases": ["canary"]},
    )
    with Store.from_settings(settings) as store:
        register(store, 1)
        store.models.promote(f"{NAME}@1", by="kim")  # production is not protected here
        with pytest.raises(ProtectedAlias):
            store.models.promote(f"{NAME}@1", "canary", by="kim")
