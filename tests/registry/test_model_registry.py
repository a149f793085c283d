"""Model versions and aliases, on SQLite and PostgreSQL: numbered versions with lineage, lookup by
ref and by model_id, aliases that move with an audit trail (promote, roll back, remove), metrics
added after evaluation, races, and resolution through the model catalog."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest

from tuneloop.config import Settings
from tuneloop.errors import ModelNotFound, NotFound, RegistryError
from tuneloop.models.catalog import Catalog
from tuneloop.models.types import Message, SamplingParams
from tuneloop.registry import Store
from tuneloop.registry.models import parse_model_ref


@pytest.fixture
def store(db_url, tmp_path):
    """A store where no alias is protected: these tests are about how aliases move; the gate
    that guards protected ones is tested in test_alias_protection.py."""
    opened = Store(db_url, tmp_path / "artifacts", protected_aliases=())
    try:
        yield opened
    finally:
        opened.close()


def register(store, name: str = "seoul-guide", n: int = 1, **overrides: Any):
    fields: dict[str, Any] = {
        "model_id": f"ft:smollm2-135m:tuneloop:{name}:{n:06d}",
        "backend": "echo",
        "config": {},
        "base_model": "smollm2-135m",
        "author": "kim",
        "job_id": f"ftjob-{n}",
        "dataset_ref": "seoul-qa@1",
        "prompt_ref": "seoul-guide@2",
        "hyperparameters": {"n_epochs": 3, "seed": 13, "lora_r": 8},
    }
    fields.update(overrides)
    return store.models.register_version(name, **fields)


def register_three(store, name: str = "seoul-guide"):
    return [register(store, name, n) for n in (1, 2, 3)]


def run_threads(count, work):
    """Run ``work(i)`` in ``count`` threads released together; return results by i."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def target(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


# versions and lineage


def test_register_numbers_versions_per_name_and_keeps_the_whole_lineage(store):
    first = register(
        store,
        metrics={"valid_loss": 1.25},
        artifacts={"adapter": "/models/seoul/adapter"},
        description="첫 번째 서울 가이드",
    )
    second = register(store, n=2)
    other = register(store, "busan-guide", n=1)

    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.ref == "seoul-guide@1"
    again = store.models.get("seoul-guide@1")
    assert again == first
    assert again.base_model == "smollm2-135m"
    assert again.job_id == "ftjob-1"
    assert (again.dataset_ref, again.prompt_ref) == ("seoul-qa@1", "seoul-guide@2")
    assert again.hyperparameters == {"n_epochs": 3, "seed": 13, "lora_r": 8}
    assert again.metrics == {"valid_loss": 1.25}
    assert again.artifacts == {"adapter": "/models/seoul/adapter"}
    assert again.description == "첫 번째 서울 가이드"
    assert again.created_at.tzinfo is not None


def test_registering_the_same_model_id_again_returns_the_existing_version(store):
    first = register(store)

    retried = register(store, author="worker-2", metrics={"valid_loss": 9.0})

    assert retried == first
    assert [v.version for v in store.models.versions("seoul-guide")] == [1]


def test_a_model_id_cannot_be_registered_under_two_names(store):
    register(store, "seoul-guide", 1)

    with pytest.raises(RegistryError, match="already registered as seoul-guide@1"):
        register(store, "busan-guide", 1, model_id="ft:smollm2-135m:tuneloop:seoul-guide:000001")


@pytest.mark.parametrize(
    ("field", "value"),
    [("model_id", ""), ("model_id", "x" * 501), ("backend", " "), ("base_model", "")],
)
def test_register_rejects_missing_identity_fields(store, field, value):
    with pytest.raises(RegistryError):
        register(store, **{field: value})
    assert store.models.names() == []


def test_register_rejects_a_bad_name(store):
    with pytest.raises(RegistryError, match="model name"):
        register(store, "seoul guide")


def test_versions_latest_and_names_list_what_exists(store):
    register_three(store)
    register(store, "busan-guide", 7)

    assert [v.version for v in store.models.versions("seoul-guide")] == [1, 2, 3]
    assert [(v.name, v.version) for v in store.models.latest()] == [
        ("busan-guide", 1),
        ("seoul-guide", 3),
    ]
    assert store.models.names() == ["busan-guide", "seoul-guide"]
    assert len(store.models.all()) == 4


def test_versions_of_an_unknown_name_lists_the_registered_names(store):
    register(store)

    with pytest.raises(NotFound, match="busan") as info:
        store.models.versions("busan-guide")
    assert "seoul-guide" in (info.value.hint or "")


# refs and lookup


def test_get_resolves_latest_numbers_v_numbers_and_aliases(store):
    v1, v2, v3 = register_three(store)
    store.models.set_alias("seoul-guide", "production", 2, by="kim")

    assert store.models.get("seoul-guide") == v3
    assert store.models.get("seoul-guide@latest") == v3
    assert store.models.get("seoul-guide@1") == v1
    assert store.models.get("seoul-guide@v1") == v1
    assert store.models.get("seoul-guide@production") == v2


def test_get_by_model_id_and_find_by_model_id(store):
    _, v2, _ = register_three(store)

    assert store.models.get(v2.model_id) == v2
    assert store.models.find_by_model_id(v2.model_id) == v2
    assert store.models.find_by_model_id("ft:smollm2-135m:tuneloop:nope:1") is None
    with pytest.raises(NotFound, match="model_id"):
        store.models.get("ft:smollm2-135m:tuneloop:nope:1")


def test_find_by_job_returns_what_a_job_produced(store):
    register_three(store)

    assert [v.version for v in store.models.find_by_job("ftjob-2")] == [2]
    assert store.models.find_by_job("ftjob-404") == []


def test_get_explains_unknown_versions_and_aliases_with_what_exists(store):
    register_three(store)
    store.models.set_alias("seoul-guide", "staging", 3, by="kim")

    with pytest.raises(NotFound, match="no version 9") as version_error:
        store.models.get("seoul-guide@9")
    assert "versions 1 to 3" in (version_error.value.hint or "")
    with pytest.raises(NotFound, match="no alias 'production'") as alias_error:
        store.models.get("seoul-guide@production")
    assert "staging → 3" in (alias_error.value.hint or "")
    with pytest.raises(NotFound, match="No model named"):
        store.models.get("busan-guide@1")


@pytest.mark.parametrize("bad", ["seoul-guide@0", "seoul-guide@Prod!", "@3", "서울가이드"])
def test_malformed_refs_raise_registry_error(bad):
    with pytest.raises(RegistryError):
        parse_model_ref(bad)


def test_resolve_returns_none_for_anything_that_is_not_a_version(store):
    register(store)

    assert store.models.resolve("seoul-guide@1") is not None
    assert store.models.resolve("seoul-guide@2") is None
    assert store.models.resolve("seoul-guide@production") is None
    assert store.models.resolve("smollm2-135m") is None
    assert store.models.resolve("local:/tmp/model") is None
    assert store.models.resolve("not a ref") is None


# aliases: promote, roll back, remove, history


def test_promote_moves_production_and_records_every_move(store):
    register_three(store)

    first = store.models.promote("seoul-guide@1", by="kim")
    second = store.models.promote("seoul-guide@3", by="lee")

    assert (first.previous, first.alias.version, first.changed) == (None, 1, True)
    assert (second.previous, second.alias.version) == (1, 3)
    assert second.alias.updated_by == "lee"
    assert store.models.aliases("seoul-guide") == {"production": 3}
    history = store.models.alias_history("seoul-guide")
    assert [(e.alias, e.from_version, e.to_version, e.by) for e in history] == [
        ("production", None, 1, "kim"),
        ("production", 1, 3, "lee"),
    ]


def test_promoting_to_the_current_version_changes_and_records_nothing(store):
    register_three(store)
    store.models.promote("seoul-guide@2", by="kim")

    again = store.models.promote("seoul-guide@2", by="lee")

    assert again.changed is False
    assert again.alias.updated_by == "kim"
    assert len(store.models.alias_history("seoul-guide")) == 1


def test_promote_accepts_another_alias_and_a_model_id_as_the_source(store):
    _, v2, _ = register_three(store)
    store.models.set_alias("seoul-guide", "staging", 2, by="kim")

    store.models.promote("seoul-guide@staging", by="kim")
    store.models.promote(v2.model_id, alias="canary", by="kim")

    assert store.models.aliases("seoul-guide") == {
        "canary": 2,
        "production": 2,
        "staging": 2,
    }


def test_rollback_undoes_the_last_move_and_a_second_rollback_undoes_the_first(store):
    register_three(store)
    store.models.promote("seoul-guide@2", by="kim")
    store.models.promote("seoul-guide@3", by="kim")

    back = store.models.rollback("seoul-guide", by="ops")
    assert (back.previous, back.alias.version) == (3, 2)
    assert store.models.get("seoul-guide@production").version == 2

    forth = store.models.rollback("seoul-guide", by="ops")
    assert forth.alias.version == 3
    moves = [
        (e.from_version, e.to_version, e.by) for e in store.models.alias_history("seoul-guide")
    ]
    assert moves == [(None, 2, "kim"), (2, 3, "kim"), (3, 2, "ops"), (2, 3, "ops")]


def test_rollback_needs_an_earlier_version(store):
    register_three(store)

    with pytest.raises(NotFound, match="no alias 'production'"):
        store.models.rollback("seoul-guide", by="ops")
    store.models.promote("seoul-guide@1", by="kim")
    with pytest.raises(RegistryError, match="nothing to roll back"):
        store.models.rollback("seoul-guide", by="ops")


def test_remove_alias_records_the_removal_and_the_ref_stops_resolving(store):
    register_three(store)
    store.models.promote("seoul-guide@2", by="kim")

    removed = store.models.remove_alias("seoul-guide", "production", by="lee")

    assert removed.version == 2
    assert store.models.aliases("seoul-guide") == {}
    assert store.models.alias_history("seoul-guide")[-1].to_version is None
    with pytest.raises(NotFound):
        store.models.get("seoul-guide@production")
    with pytest.raises(NotFound):
        store.models.remove_alias("seoul-guide", "production", by="lee")


@pytest.mark.parametrize("alias", ["latest", "v2", "Production", "prod uction", "3"])
def test_reserved_and_malformed_aliases_are_rejected(store, alias):
    register(store)

    with pytest.raises(RegistryError):
        store.models.set_alias("seoul-guide", alias, 1, by="kim")
    assert store.models.alias_history("seoul-guide") == []


def test_an_alias_cannot_point_at_a_missing_version(store):
    register(store)

    with pytest.raises(NotFound, match="no version 5"):
        store.models.set_alias("seoul-guide", "production", 5, by="kim")
    with pytest.raises(NotFound, match="No model named"):
        store.models.set_alias("busan-guide", "production", 1, by="kim")


def test_alias_history_can_be_filtered_by_alias(store):
    register_three(store)
    store.models.promote("seoul-guide@1", by="kim")
    store.models.promote("seoul-guide@2", alias="staging", by="kim")
    store.models.promote("seoul-guide@3", by="kim")

    production = store.models.alias_history("seoul-guide", "production")
    assert [e.to_version for e in production] == [1, 3]
    assert [e.to_version for e in store.models.alias_history("seoul-guide", "staging")] == [2]


# metrics: the one mutable part


def test_update_metrics_merges_keys_and_leaves_the_identity_alone(store):
    original = register(store, metrics={"valid_loss": 1.5})

    updated = store.models.update_metrics("seoul-guide@1", {"token_f1": 0.41})
    later = store.models.update_metrics(original.model_id, {"token_f1": 0.44, "rouge_l": 0.3})

    assert updated.metrics == {"valid_loss": 1.5, "token_f1": 0.41}
    assert later.metrics == {"valid_loss": 1.5, "token_f1": 0.44, "rouge_l": 0.3}
    stored = store.models.get("seoul-guide@1")
    assert stored.metrics == later.metrics
    assert (stored.model_id, stored.config, stored.hyperparameters) == (
        original.model_id,
        original.config,
        original.hyperparameters,
    )


# concurrency


def test_concurrent_registrations_number_versions_without_gaps(store):
    count = 6

    results = run_threads(count, lambda i: register(store, n=i + 1, author=f"w{i}"))

    assert sorted(v.version for v in results) == list(range(1, count + 1))
    assert len({v.model_id for v in results}) == count


def test_concurrent_promotions_leave_an_unbroken_history(store):
    for n in range(1, 7):
        register(store, n=n)

    run_threads(6, lambda i: store.models.promote(f"seoul-guide@{i + 1}", by=f"w{i}"))

    history = store.models.alias_history("seoul-guide", "production")
    assert len(history) == 6
    assert history[0].from_version is None
    for before, after in itertools.pairwise(history):
        assert after.from_version == before.to_version
    assert store.models.aliases("seoul-guide") == {"production": history[-1].to_version}


# the model catalog


@pytest.fixture
def catalog(store, tmp_path):
    return Catalog(Settings(project_dir=tmp_path), store, allow_ad_hoc=False)


def test_catalog_serves_a_version_by_model_id_ref_and_alias(store, catalog):
    v1, _, _ = register_three(store)
    store.models.promote("seoul-guide@2", by="kim")

    by_id = catalog.spec(v1.model_id)
    by_alias = catalog.spec("seoul-guide@production")

    assert (by_id.backend, by_id.source) == ("echo", "fine-tuned")
    assert "seoul-guide@1" in by_id.description
    assert "seoul-guide@2" in by_alias.description
    assert "seoul-qa@1" in by_alias.description
    reply = catalog.get("seoul-guide@production").generate(
        [Message("user", "안녕하세요")], SamplingParams()
    )
    assert "안녕하세요" in reply.text


def test_catalog_lists_every_version_id_and_alias(store, catalog):
    v1, v2 = register(store, n=1), register(store, n=2)
    store.models.promote("seoul-guide@1", alias="staging", by="kim")

    names = {spec.name: spec for spec in catalog.specs()}

    assert {v1.model_id, v2.model_id, "seoul-guide@staging"} <= set(names)
    assert names["seoul-guide@staging"].source == "fine-tuned"
    assert "smollm2-135m" in names  # built-ins are still listed


def test_catalog_follows_a_promotion_without_a_restart(store, catalog):
    register(store, n=1)
    v2 = register(store, n=2, config={"prefix": "v2"})
    store.models.promote("seoul-guide@1", by="kim")
    before = catalog.get("seoul-guide@production")

    store.models.promote("seoul-guide@2", by="kim")
    after = catalog.get("seoul-guide@production")

    assert before is not after
    assert catalog.get(v2.model_id) is after  # cached by the version it resolves to
    assert catalog.get("seoul-guide@production") is after


def test_registrations_and_builtins_win_over_registry_names(store, catalog):
    register(store, "smollm2-135m", 1)
    store.registrations.register("seoul-guide", "echo", {}, "hand-registered")
    register(store, "seoul-guide", 1)

    assert catalog.spec("smollm2-135m").source == "builtin"
    assert catalog.spec("seoul-guide").source == "registered"
    assert catalog.spec("seoul-guide@1").source == "fine-tuned"


def test_catalog_reports_an_unknown_version_as_model_not_found(store, catalog):
    register(store)

    with pytest.raises(ModelNotFound):
        catalog.spec("seoul-guide@7")
    with pytest.raises(ModelNotFound):
        catalog.get("ft:smollm2-135m:tuneloop:nope:1")
