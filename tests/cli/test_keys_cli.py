"""``tuneloop keys``: a key is shown once, stored only as a hash, and stops working when revoked."""

from __future__ import annotations

import json

import pytest

from tuneloop.config import load_settings
from tuneloop.errors import NotFound
from tuneloop.registry import Store
from tuneloop.store.keys import SCOPES, hash_key


@pytest.fixture
def project_store(project):
    with Store.from_settings(load_settings(project)) as store:
        yield store


def create_key(invoke, project, name="ci"):
    result = invoke("--project", project, "keys", "create", "--name", name, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_created_key_verifies_against_the_project_store(invoke, project, project_store):
    created = create_key(invoke, project, name="mobile-app")

    assert created["key"].startswith(created["prefix"])
    record = project_store.keys.verify(created["key"])
    assert record is not None
    assert record.id == created["id"]
    assert record.name == "mobile-app"


def test_create_without_json_prints_only_the_key_on_stdout(invoke, project, project_store):
    result = invoke("--project", project, "keys", "create")

    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert project_store.keys.verify(key) is not None
    assert "shown only once" in result.stderr


def test_plaintext_key_is_neither_listed_nor_written_to_the_database_files(invoke, project):
    created = create_key(invoke, project)
    secret = created["key"][len(created["prefix"]) :]

    listed = invoke("--project", project, "keys", "list", "--json")

    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert row["id"] == created["id"]
    assert row["prefix"] == created["prefix"]
    assert row["revoked"] is False
    assert secret not in listed.stdout
    table = invoke("--project", project, "keys", "list")
    assert created["prefix"] in table.stdout
    assert secret not in table.stdout
    stored = b"".join(p.read_bytes() for p in (project / ".tuneloop").rglob("*") if p.is_file())
    assert hash_key(created["key"]).encode() in stored  # we are reading the right files
    assert secret.encode() not in stored


def test_revoke_by_id_makes_the_key_fail_verification(invoke, project, project_store):
    created = create_key(invoke, project)
    other = create_key(invoke, project, name="other")

    result = invoke("--project", project, "keys", "revoke", str(created["id"]))

    assert result.exit_code == 0, result.output
    assert f"Revoked key {created['id']}" in result.stdout
    assert project_store.keys.verify(created["key"]) is None
    assert project_store.keys.verify(other["key"]) is not None
    listed = json.loads(invoke("--project", project, "keys", "list", "--json").stdout)
    assert {k["id"]: k["revoked"] for k in listed} == {created["id"]: True, other["id"]: False}


def test_revoke_by_displayed_prefix_makes_the_key_fail_verification(invoke, project, project_store):
    created = create_key(invoke, project)

    result = invoke("--project", project, "keys", "revoke", created["prefix"])

    assert result.exit_code == 0, result.output
    assert project_store.keys.verify(created["key"]) is None


def test_revoking_an_unknown_key_is_a_not_found_error(invoke, project):
    result = invoke("--project", project, "keys", "revoke", "42")

    assert isinstance(result.exception, NotFound)
    assert result.exception.exit_code == 5


def test_revoking_an_unknown_key_exits_5_with_a_message_on_stderr(run_cli, project):
    result = run_cli("--project", project, "keys", "revoke", "tl-nope00")

    assert result.returncode == 5
    assert "No API key matches 'tl-nope00'" in result.stderr
    assert "tuneloop keys list" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# -- scopes and model allow-lists ---------------------------------------------------------------


def test_a_key_created_without_scopes_gets_chat_only(invoke, project, project_store):
    created = create_key(invoke, project)

    assert created["scopes"] == ["chat"] and created["models"] is None
    record = project_store.keys.verify(created["key"])
    assert record.has_scope("chat") and not record.has_scope("files")


def test_scopes_repeat_or_come_as_a_comma_list(invoke, project, project_store):
    result = invoke(
        "--project", project, "keys", "create", "--scope", "files",
        "--scope", "fine_tuning,feedback", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["scopes"] == ["files", "fine_tuning", "feedback"]
    assert project_store.keys.verify(created["key"]).scopes == {"files", "fine_tuning", "feedback"}


def test_scope_all_grants_every_scope(invoke, project, project_store):
    result = invoke("--project", project, "keys", "create", "--scope", "all", "--json")

    assert result.exit_code == 0, result.output
    record = project_store.keys.verify(json.loads(result.stdout)["key"])
    assert record.scopes == set(SCOPES)


def test_models_make_an_allow_list_shown_by_list(invoke, project, project_store):
    result = invoke(
        "--project", project, "keys", "create", "--name", "web",
        "--model", "seoul-guide", "--model", "echo", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    record = project_store.keys.verify(created["key"])
    assert record.models == ("seoul-guide", "echo")
    assert record.allows_model("seoul-guide@production") and not record.allows_model("tiny")
    [row] = json.loads(invoke("--project", project, "keys", "list", "--json").stdout)
    assert row["models"] == ["seoul-guide", "echo"] and row["scopes"] == ["chat"]


def test_list_shows_scopes_and_models_in_the_table(run_cli, project):
    for args in (
        ("--name", "uploader", "--scope", "files"),
        ("--name", "ops", "--scope", "all"),
        ("--name", "web", "--model", "seoul-guide"),
    ):
        created = run_cli("--project", project, "keys", "create", *args)
        assert created.returncode == 0, created.stdout + created.stderr

    listed = run_cli("--project", project, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    table = listed.stdout

    rows = {line.split("│")[2].strip(): line for line in table.splitlines() if "│" in line}
    assert "files" in rows["uploader"] and "chat" not in rows["uploader"]
    assert "│ all " in rows["ops"]
    assert "chat" in rows["web"] and "seoul-guide" in rows["web"]


def test_an_unknown_scope_exits_2_naming_the_valid_ones(run_cli, project):
    result = run_cli("--project", project, "keys", "create", "--scope", "chat,trian")

    assert result.returncode == 2
    assert "Unknown scope 'trian'" in result.stderr
    for scope in SCOPES:
        assert scope in result.stderr
    assert result.stdout == ""
    listed = run_cli("--project", project, "keys", "list", "--json")
    assert json.loads(listed.stdout) == []
