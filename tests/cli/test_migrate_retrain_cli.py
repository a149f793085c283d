"""``tuneloop migrate openai retrain``: writes migrate/NAME/train.yaml with reasons, and trains the
tiny random model for two real LoRA steps into the next version of the source's name."""

from __future__ import annotations

import json

from migrate.sources import FT_ID, NAME, seed_source
from tuneloop.config import load_settings
from tuneloop.errors import UnknownReference
from tuneloop.registry import Store


def _seeded(project, tiny_model_dir=None):
    settings = load_settings(project)
    with Store.from_settings(settings) as store:
        seed_source(store, project)
        if tiny_model_dir is not None:
            store.registrations.register("tiny", "local", {"path": str(tiny_model_dir)})


def test_write_only_writes_the_train_file_and_trains_nothing(invoke, project):
    _seeded(project)

    result = invoke("--project", project, "migrate", "openai", "retrain", FT_ID, "--write-only")

    assert result.exit_code == 0, result.output
    path = project / "migrate" / NAME / "train.yaml"
    assert path.is_file()
    assert "learning_rate_multiplier" not in path.read_text(encoding="utf-8").split("#")[0]
    assert "tuneloop train run" in result.output
    with Store.from_settings(load_settings(project)) as store:
        assert [v.version for v in store.models.versions(NAME)] == [1]


def test_retrain_trains_the_next_version_of_the_same_name_and_moves_no_alias(
    invoke, project, tiny_model_dir
):
    _seeded(project, tiny_model_dir)

    result = invoke(
        "--project", project, "migrate", "openai", "retrain", NAME,
        "--base", "tiny", "--steps", "2", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["job"]["status"] == "succeeded"
    assert data["registered"] == [f"{NAME}@2"]
    assert {k["key"] for k in data["knobs"]} >= {"base_model", "n_epochs", "learning_rate"}
    with Store.from_settings(load_settings(project)) as store:
        local = store.models.get(f"{NAME}@2")
        assert local.backend == "local" and local.base_model == "tiny"
        assert local.dataset_ref == "seoul-guide-openai@1"
        assert local.hyperparameters["max_steps"] == 2
        assert store.models.aliases(NAME) == {"production": 1}


def test_an_unpulled_source_names_the_pull_command(invoke, project):
    result = invoke("--project", project, "migrate", "openai", "retrain", FT_ID)
    assert isinstance(result.exception, UnknownReference)
    assert "tuneloop migrate openai pull" in (result.exception.hint or "")
