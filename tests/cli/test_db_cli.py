"""``tuneloop db``: report the schema revision, migrate down to empty and back up."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tuneloop.store import head_revision


def current(invoke, project):
    result = invoke("--project", project, "db", "current", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def tables(project):
    engine = sa.create_engine(f"sqlite:///{project / '.tuneloop' / 'tuneloop.db'}")
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_db_current_reports_the_database_url_and_head_revision(invoke, project):
    report = current(invoke, project)

    assert report["database_url"] == f"sqlite:///{project.resolve() / '.tuneloop' / 'tuneloop.db'}"
    assert report["head"] == head_revision()
    assert report["current"] == head_revision()
    assert report["up_to_date"] is True


def test_downgrade_to_base_empties_the_schema_and_upgrade_restores_head(invoke, project):
    down = invoke("--project", project, "db", "downgrade", "base")

    assert down.exit_code == 0, down.output
    assert "revision base" in down.stdout
    report = current(invoke, project)
    assert report["current"] is None
    assert report["up_to_date"] is False
    assert tables(project) == set()
    text = invoke("--project", project, "db", "current")
    assert "revision base" in text.stdout

    up = invoke("--project", project, "db", "upgrade")

    assert up.exit_code == 0, up.output
    assert f"revision {head_revision()}" in up.stdout
    assert current(invoke, project)["up_to_date"] is True
    assert {"api_keys", "model_registrations"} <= tables(project)


def test_commands_after_downgrade_migrate_the_database_again(invoke, project):
    assert invoke("--project", project, "db", "downgrade", "base").exit_code == 0

    created = invoke("--project", project, "keys", "create", "--json")

    assert created.exit_code == 0, created.output
    assert current(invoke, project)["up_to_date"] is True


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_db_current_never_prints_the_database_password(
    invoke, project, monkeypatch, db_url, as_json
):
    # The local PostgreSQL trusts loopback connections, so any password reaches the printed URL.
    url = make_url(db_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    monkeypatch.setenv("TUNELOOP_DATABASE_URL", url)

    result = invoke("--project", project, "db", "current", *(["--json"] if as_json else []))

    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    shown = make_url(url).render_as_string(hide_password=True)
    assert ":***@" in shown
    if as_json:
        assert json.loads(result.stdout)["database_url"] == shown
    else:
        assert result.stdout.startswith(f"{shown}: revision")
