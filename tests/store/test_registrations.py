"""Model registrations: unique names, explicit replacement, and transactions that roll back."""

from __future__ import annotations

import pytest

from tuneloop.errors import NotFound, RegistryError
from tuneloop.store.schema import ModelRegistrationRow


def test_register_then_get_round_trips_backend_config_and_description(store):
    config = {"path": "/models/x", "dtype": "bfloat16", "max_tokens": 512, "stop": ["</s>"]}
    record = store.registrations.register("support-bot", "transformers", config, "v1 adapter")

    fetched = store.registrations.get("support-bot")

    assert fetched == record
    assert fetched.backend == "transformers"
    assert fetched.config == config
    assert fetched.description == "v1 adapter"
    assert fetched.created_at.tzinfo is not None


def test_get_of_an_unknown_name_returns_none(store):
    assert store.registrations.get("nope") is None


def test_registering_an_existing_name_raises_registry_error_with_hint(store):
    store.registrations.register("bot", "openai", {"model": "gpt-4o-mini"})
    with pytest.raises(RegistryError) as err:
        store.registrations.register("bot", "openai", {"model": "other"})
    assert "bot" in err.value.message
    assert "replace" in (err.value.hint or "")
    assert store.registrations.get("bot").config == {"model": "gpt-4o-mini"}


def test_replace_true_overwrites_but_keeps_the_id(store):
    old = store.registrations.register("bot", "openai", {"model": "a"})
    new = store.registrations.register("bot", "transformers", {"path": "b"}, replace=True)
    assert new.id == old.id
    assert store.registrations.get("bot") == new
    assert new.backend == "transformers"
    assert len(store.registrations.list()) == 1


def test_list_is_sorted_by_name(store):
    for name in ["zeta", "alpha", "mid"]:
        store.registrations.register(name, "echo", {})
    assert [r.name for r in store.registrations.list()] == ["alpha", "mid", "zeta"]


def test_remove_forgets_the_name(store):
    store.registrations.register("bot", "echo", {})
    store.registrations.remove("bot")
    assert store.registrations.get("bot") is None


def test_removing_an_unknown_name_raises_not_found(store):
    with pytest.raises(NotFound):
        store.registrations.remove("nope")


def test_an_exception_inside_a_session_rolls_back_and_leaves_no_row(store):
    with pytest.raises(RuntimeError), store.session() as session:
        session.add(ModelRegistrationRow(name="ghost", backend="echo", config={}))
        session.flush()
        raise RuntimeError("boom")
    assert store.registrations.get("ghost") is None
    assert store.registrations.list() == []


def test_a_successful_session_commits(store):
    with store.session() as session:
        session.add(ModelRegistrationRow(name="real", backend="echo", config={"a": 1}))
    assert store.registrations.get("real").config == {"a": 1}
