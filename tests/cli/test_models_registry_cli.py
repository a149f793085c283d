"""``tuneloop models versions/show/promote/rollback/history/alias``, and fine-tuned versions in
``models list`` — on a project store with versions registered as a training job would, and with
gate results stored as ``tuneloop eval gate`` would store them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.config import load_settings
from tuneloop.errors import NotFound, ProtectedAlias, RegistryError
from tuneloop.registry import Store
from tuneloop.store import GateRecord

FORCE = ("--force", "--reason", "test release")


@pytest.fixture
def seoul_guide(project: Path):
    """seoul-guide@1 and @2 (echo backend), as two training runs would register them."""
    with Store.from_settings(load_settings(project)) as store:
        return [
            store.models.register_version(
                "seoul-guide",
                model_id=f"ft:smollm2-135m:tuneloop:seoul-guide:job{n}",
                backend="echo",
                config={},
                base_model="smollm2-135m",
                author="kim",
                job_id=f"ftjob-{n}",
                dataset_ref=f"seoul-qa@{n}:train",
                prompt_ref="seoul-guide@1",
                hyperparameters={"n_epochs": 2, "seed": 13},
                metrics={"valid_loss": 1.5 / n},
                description="서울 여행 안내 모델",
            )
            for n in (1, 2)
        ]


def store_gate(project: Path, candidate: int, baseline: int | None, passed: bool = True):
    """A gate result of seoul-guide@candidate against @baseline (None: the base model)."""
    with Store.from_settings(load_settings(project)) as store:
        return store.gate_results.save(
            GateRecord(
                model_name="seoul-guide",
                candidate_version=candidate,
                baseline_model="smollm2-135m" if baseline is None else "seoul-guide",
                baseline_version=baseline,
                suite="seoul",
                suite_hash="a" * 64,
                candidate_run_id="eval-c",
                baseline_run_id="eval-b",
                passed=passed,
                checks=[{"name": "fact_recall", "passed": passed, "delta": 0.12}],
            )
        )


def run_json(invoke, project, *args):
    result = invoke("--project", project, "models", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_versions_lists_every_version_with_lineage_and_aliases(invoke, project, seoul_guide):
    run_json(invoke, project, "promote", "seoul-guide@1", *FORCE)

    listed = run_json(invoke, project, "versions", "seoul-guide")

    assert [(v["version"], v["aliases"]) for v in listed] == [(1, ["production"]), (2, [])]
    assert listed[1]["dataset_ref"] == "seoul-qa@2:train"
    assert listed[1]["model_id"] == seoul_guide[1].model_id
    table = invoke("--project", project, "models", "versions", "seoul-guide")
    assert table.exit_code == 0, table.output


def test_show_resolves_refs_aliases_and_model_ids(invoke, project, seoul_guide):
    run_json(invoke, project, "promote", "seoul-guide@2", "--alias", "staging")

    by_alias = run_json(invoke, project, "show", "seoul-guide@staging")
    by_id = run_json(invoke, project, "show", seoul_guide[0].model_id)

    assert (by_alias["version"], by_alias["aliases"]) == (2, ["staging"])
    assert by_alias["hyperparameters"] == {"n_epochs": 2, "seed": 13}
    assert by_id["ref"] == "seoul-guide@1"
    text = invoke("--project", project, "models", "show", "seoul-guide")
    assert "seoul-guide@2" in text.stdout and "서울 여행 안내 모델" in text.stdout


def test_promote_then_rollback_are_both_in_the_history(invoke, project, seoul_guide):
    gate1 = store_gate(project, 1, None)
    gate2 = store_gate(project, 2, 1)
    first = run_json(invoke, project, "promote", "seoul-guide@1", "--by", "kim")
    second = run_json(invoke, project, "promote", "seoul-guide@2", "--to", "production")
    back = run_json(
        invoke, project, "rollback", "seoul-guide", "--by", "ops", "--reason", "regression"
    )

    assert (first["previous"], first["version"], first["gate"]["id"]) == (None, 1, gate1.id)
    assert (second["previous"], second["version"], second["gate"]["id"]) == (1, 2, gate2.id)
    assert (back["previous"], back["version"], back["gate"]) == (2, 1, None)
    history = run_json(invoke, project, "history", "seoul-guide", "--alias", "production")
    assert [(e["from_version"], e["to_version"], e["gate_id"], e["reason"]) for e in history] == [
        (None, 1, gate1.id, ""),
        (1, 2, gate2.id, ""),
        (2, 1, None, "regression"),
    ]
    table = invoke("--project", project, "models", "history", "seoul-guide")
    assert table.exit_code == 0, table.output
    assert "gate" in table.stdout and "reason" in table.stdout
    text = invoke("--project", project, "models", "promote", "seoul-guide@1")
    assert "already points at version 1" in text.stdout


def test_models_list_includes_fine_tuned_ids_and_aliases(invoke, project, seoul_guide):
    run_json(invoke, project, "promote", "seoul-guide@2", *FORCE)

    listed = {m["name"]: m for m in run_json(invoke, project, "list")}

    assert listed[seoul_guide[0].model_id]["source"] == "fine-tuned"
    assert listed["seoul-guide@production"]["backend"] == "echo"
    assert "seoul-guide@2" in listed["seoul-guide@production"]["description"]


def test_chat_accepts_a_promoted_alias_as_the_model(invoke, project, seoul_guide):
    run_json(invoke, project, "promote", "seoul-guide@2", *FORCE)

    result = invoke(
        "--project", project, "chat", "--model", "seoul-guide@production", "-m", "안녕하세요"
    )

    assert result.exit_code == 0, result.output
    assert "안녕하세요" in result.stdout


def test_unknown_names_and_bad_aliases_are_errors_with_hints(invoke, project, seoul_guide):
    unknown = invoke("--project", project, "models", "versions", "busan-guide")
    bad_alias = invoke("--project", project, "models", "promote", "seoul-guide@1", "--alias", "v2")
    no_alias = invoke("--project", project, "models", "show", "seoul-guide@canary")

    assert isinstance(unknown.exception, NotFound)
    assert "seoul-guide" in (unknown.exception.hint or "")
    assert isinstance(bad_alias.exception, RegistryError)
    assert isinstance(no_alias.exception, NotFound)


def test_promote_shows_the_gate_evidence_before_the_move(invoke, project, seoul_guide):
    gate = store_gate(project, 1, None)

    result = invoke(
        "--project", project, "models", "promote", "seoul-guide@1", "--to", "production"
    )

    assert result.exit_code == 0, result.output
    evidence, check, move = result.stdout.splitlines()[:3]
    assert gate.id in evidence and "suite seoul" in evidence
    assert "seoul-guide@1 against smollm2-135m — passed" in evidence
    assert "pass fact_recall" in check and "delta=0.12" in check
    assert move == "seoul-guide@production → version 1 (new alias)."


def test_promote_without_a_gate_is_refused_with_the_command_that_makes_one(
    invoke, project, seoul_guide
):
    store_gate(project, 2, None, passed=False)

    refused = invoke("--project", project, "models", "promote", "seoul-guide@2")
    no_reason = invoke("--project", project, "models", "promote", "seoul-guide@2", "--force")
    forced = invoke(
        "--project", project, "models", "promote", "seoul-guide@2", *FORCE[:2], "hotfix"
    )

    assert isinstance(refused.exception, ProtectedAlias)
    assert refused.exception.exit_code == 9
    assert "(failed)" in refused.exception.message
    assert "tuneloop eval gate" in (refused.exception.hint or "")
    assert isinstance(no_reason.exception, ProtectedAlias)
    assert forced.exit_code == 0, forced.output
    assert "Forced without a gate: hotfix" in forced.stdout
    history = run_json(invoke, project, "alias", "history", "seoul-guide")
    assert [(e["to_version"], e["reason"]) for e in history] == [(2, "hotfix")]


def test_the_alias_verbs_are_the_same_for_models(invoke, project, seoul_guide):
    run_json(invoke, project, "alias", "set", "seoul-guide@1", "staging")
    run_json(invoke, project, "alias", "set", "seoul-guide@2", "staging", "--reason", "new data")

    assert run_json(invoke, project, "alias", "list", "seoul-guide") == {"staging": 2}
    back = run_json(invoke, project, "alias", "rollback", "seoul-guide", "--alias", "staging")
    assert back["version"] == 1
    removed = invoke("--project", project, "models", "alias", "remove", "seoul-guide", "staging")
    assert removed.exit_code == 0, removed.output
    assert run_json(invoke, project, "alias", "list", "seoul-guide") == {}
