"""``tuneloop keys``: a key is shown once, stored only as a hash, and stops working when revoked."""

from __future__ import annotations

import json

import pytest

from tuneloop.config import load_settings
from tuneloop.errors import NotFound
from tuneloop.registry import Store
from tuneloop.store.keys import hash_key


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
