"""``tuneloop models route set|list|remove``: a routed ft: id listed with what it resolves to."""

from __future__ import annotations

import json

from migrate.sources import FT_ID, NAME, seed_source
from tuneloop.config import load_settings
from tuneloop.errors import BadReference
from tuneloop.registry import Store


def test_route_set_list_and_remove(invoke, project):
    with Store.from_settings(load_settings(project)) as store:
        seed_source(store, project)

    result = invoke(
        "--project", project, "models", "route", "set", FT_ID, f"{NAME}@production",
        "--note", "migrated", "--by", "kim", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["changed"] is True

    listed = invoke("--project", project, "models", "route", "list", "--json")
    rows = json.loads(listed.output)
    assert [(r["name"], r["target"], r["note"], r["by"]) for r in rows] == [
        (FT_ID, f"{NAME}@production", "migrated", "kim")
    ]
    assert f"{NAME}@1" in rows[0]["resolves_to"]

    table = invoke("--project", project, "models", "route", "list")
    assert table.exit_code == 0 and "ft:gpt-4o" in table.output

    removed = invoke("--project", project, "models", "route", "remove", FT_ID)
    assert removed.exit_code == 0 and "Removed" in removed.output
    empty = invoke("--project", project, "models", "route", "list")
    assert "No routes" in empty.output


def test_route_set_refuses_a_chain(invoke, project):
    with Store.from_settings(load_settings(project)) as store:
        seed_source(store, project)
    invoke("--project", project, "models", "route", "set", FT_ID, f"{NAME}@production")
    result = invoke("--project", project, "models", "route", "set", "ft:x", FT_ID)
    assert isinstance(result.exception, BadReference)
