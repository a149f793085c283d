"""``tuneloop models versions/show/promote/rollback/history``, and fine-tuned versions in
``models list`` — on a project store with versions registered as a training job would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.config import load_settings
from tuneloop.errors import NotFound, RegistryError
from tuneloop.registry import Store


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


def run_json(invoke, project, *args):
    result = invoke("--project", project, "models", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_versions_lists_every_version_with_lineage_and_aliases(invoke, project, seoul_guide):
    run_json(invoke, project, "promote", "seoul-guide@1")

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
    first = run_json(invoke, project, "promote", "seoul-guide@1", "--by", "kim")
    second = run_json(invoke, project, "promote", "seoul-guide@2", "--by", "lee")
    back = run_json(invoke, project, "rollback", "seoul-guide", "--by", "ops")

    assert (first["previous"], first["version"]) == (None, 1)
    assert (second["previous"], second["version"]) == (1, 2)
    assert (back["previous"], back["version"]) == (2, 1)
    history = run_json(invoke, project, "history", "seoul-guide", "--alias", "production")
    assert [(e["from_version"], e["to_version"], e["by"]) for e in history] == [
        (None, 1, "kim"),
        (1, 2, "lee"),
        (2, 1, "ops"),
    ]
    text = invoke("--project", project, "models", "promote", "seoul-guide@1")
    assert "already points at version 1" in text.stdout


def test_models_list_includes_fine_tuned_ids_and_aliases(invoke, project, seoul_guide):
    run_json(invoke, project, "promote", "seoul-guide@2")

    listed = {m["name"]: m for m in run_json(invoke, project, "list")}

    assert listed[seoul_guide[0].model_id]["source"] == "fine-tuned"
    assert listed["seoul-guide@production"]["backend"] == "echo"
    assert "seoul-guide@2" in listed["seoul-guide@production"]["description"]


def test_chat_accepts_a_promoted_alias_as_the_model(invoke, project, seoul_guide):
    run_json(invoke, project, "promote", "seoul-guide@2")

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
