"""The ``model_routes`` table: one row per routed name, replaced in place, never a self-route."""

from __future__ import annotations

import pytest

from tuneloop.errors import BadReference, NotFound

FT = "ft:gpt-4o-mini-2024-07-18:acme:seoul-guide:AbC123"


def test_set_get_list_and_remove_a_route(store):
    route, changed = store.model_routes.set(FT, "seoul-guide@production", by="kim", note="moved")

    assert changed and (route.name, route.target, route.by, route.note) == (
        FT,
        "seoul-guide@production",
        "kim",
        "moved",
    )
    assert store.model_routes.get(FT) == route
    assert store.model_routes.get("ft:other") is None
    assert [r.name for r in store.model_routes.list()] == [FT]

    removed = store.model_routes.remove(FT)
    assert removed.target == "seoul-guide@production"
    assert store.model_routes.get(FT) is None
    with pytest.raises(NotFound, match="No route"):
        store.model_routes.remove(FT)


def test_setting_the_same_target_changes_nothing_and_another_replaces_it(store):
    first, _ = store.model_routes.set(FT, "seoul-guide@production", by="kim")
    again, changed = store.model_routes.set(FT, "seoul-guide@production", by="lee")
    assert not changed and again.by == "kim"

    moved, changed = store.model_routes.set(FT, "seoul-guide@3", by="lee")
    assert changed and moved.target == "seoul-guide@3" and moved.by == "lee"
    assert moved.created_at == first.created_at and moved.updated_at >= first.updated_at
    assert len(store.model_routes.list()) == 1


@pytest.mark.parametrize(
    ("name", "target"), [(FT, FT), ("", "seoul-guide@1"), (FT, " seoul-guide@1"), (FT, "x" * 301)]
)
def test_bad_routes_are_refused(store, name, target):
    with pytest.raises(BadReference):
        store.model_routes.set(name, target, by="kim")
