"""``tuneloop init``: a project folder with its settings file, folders and a migrated database."""

from __future__ import annotations

import json
import tomllib

import pytest
from sqlalchemy.engine import make_url

from tuneloop.config import load_settings
from tuneloop.errors import ConfigError
from tuneloop.registry import Store


def test_init_creates_project_file_folders_and_a_migrated_sqlite_database(invoke, tmp_path):
    folder = tmp_path / "seoul-guide"

    result = invoke("init", folder)

    assert result.exit_code == 0, result.output
    assert (folder / "tuneloop.toml").is_file()
    for sub in ("data", "prompts", "evals"):
        assert (folder / sub).is_dir()
    assert (folder / ".tuneloop" / "tuneloop.db").is_file()
    current = invoke("--project", folder, "db", "current", "--json")
    assert current.exit_code == 0, current.output
    report = json.loads(current.stdout)
    assert report["up_to_date"] is True
    assert report["current"] == report["head"]
    assert report["current"] is not None


def test_init_names_the_project_after_its_folder_and_records_it_in_the_store(invoke, tmp_path):
    folder = tmp_path / "seoul-guide"

    assert invoke("init", folder).exit_code == 0

    settings = load_settings(folder)
    assert settings.name == "seoul-guide"
    assert settings.default_model == "smollm2-135m"
    with Store.from_settings(settings) as store:
        assert store.projects.get("seoul-guide") is not None


def test_init_name_and_model_options_are_written_to_the_project_file(invoke, tmp_path):
    folder = tmp_path / "p"

    assert invoke("init", folder, "--name", "부산 가이드", "--model", "echo:x").exit_code == 0

    data = tomllib.loads((folder / "tuneloop.toml").read_text(encoding="utf-8"))
    assert data["name"] == "부산 가이드"
    assert data["default_model"] == "echo:x"


def test_init_defaults_to_the_current_folder(invoke, tmp_path):
    assert invoke("init").exit_code == 0

    assert (tmp_path / "tuneloop.toml").is_file()
    assert load_settings(tmp_path).name == tmp_path.name


def test_init_json_reports_where_the_project_keeps_its_state(invoke, tmp_path):
    folder = tmp_path / "p"

    result = invoke("init", folder, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"project_dir", "project_file", "database_url", "artifact_dir"}
    assert report["project_dir"] == str(folder.resolve())
    assert report["project_file"] == str(folder.resolve() / "tuneloop.toml")
    assert report["database_url"] == f"sqlite:///{folder.resolve() / '.tuneloop' / 'tuneloop.db'}"
    assert report["artifact_dir"] == str(folder.resolve() / ".tuneloop" / "artifacts")


def test_init_twice_fails_with_exit_code_2_and_suggests_force(invoke, project):
    before = (project / "tuneloop.toml").read_text(encoding="utf-8")

    result = invoke("init", project, "--model", "echo:x")

    assert isinstance(result.exception, ConfigError)
    assert result.exception.exit_code == 2
    assert "already exists" in result.exception.message
    assert "--force" in (result.exception.hint or "")
    assert (project / "tuneloop.toml").read_text(encoding="utf-8") == before


def test_init_force_rewrites_the_project_file_and_keeps_the_database(invoke, project):
    created = invoke("--project", project, "keys", "create", "--json")
    key_id = json.loads(created.stdout)["id"]

    result = invoke("init", project, "--force", "--model", "echo:x")

    assert result.exit_code == 0, result.output
    assert load_settings(project).default_model == "echo:x"
    listed = json.loads(invoke("--project", project, "keys", "list", "--json").stdout)
    assert [k["id"] for k in listed] == [key_id]


def test_init_on_a_path_that_is_a_file_fails_with_config_error(invoke, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a folder", encoding="utf-8")

    result = invoke("init", file)

    assert isinstance(result.exception, ConfigError)
    assert "not a folder" in result.exception.message
    assert file.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_init_never_prints_the_database_password(invoke, tmp_path, monkeypatch, db_url, as_json):
    # The local PostgreSQL trusts loopback connections, so any password reaches the printed URL.
    url = make_url(db_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    monkeypatch.setenv("TUNELOOP_DATABASE_URL", url)

    result = invoke("init", tmp_path / "p", *(["--json"] if as_json else []))

    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    shown = make_url(url).render_as_string(hide_password=True)
    assert ":***@" in shown
    if as_json:
        assert json.loads(result.stdout)["database_url"] == shown
    else:
        assert shown in result.stdout
