"""Settings: defaults, tuneloop.toml, TUNELOOP_* overrides, project discovery, readable errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tuneloop.config import PROJECT_FILE, find_project_dir, load_settings, write_project_file
from tuneloop.errors import ConfigError


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No inherited TUNELOOP_* variables, TUNELOOP_HOME in tmp_path, cwd = tmp_path."""
    for name in list(os.environ):
        if name.startswith("TUNELOOP_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "home"
    monkeypatch.setenv("TUNELOOP_HOME", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def project_with(folder: Path, toml: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PROJECT_FILE).write_text(toml, encoding="utf-8")
    return folder


def test_without_a_project_defaults_apply_and_state_lives_under_tuneloop_home(home):
    settings = load_settings()

    assert settings.project_dir == home
    assert settings.name == "tuneloop"
    assert settings.default_model == "smollm2-135m"
    assert (settings.server.host, settings.server.port, settings.server.workers) == (
        "127.0.0.1",
        8000,
        1,
    )
    db_path = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert db_path.is_relative_to(home.resolve())
    assert settings.resolved_artifact_dir.is_relative_to(home)
    assert not settings.project_file.exists()


def test_values_in_project_file_are_loaded(tmp_path):
    folder = project_with(
        tmp_path / "p",
        'name = "seoul-guide"\ndefault_model = "echo:x"\n'
        '[server]\nhost = "0.0.0.0"\nport = 9000\nworkers = 2\n'
        '[openai]\nbase_url = "http://127.0.0.1:8001/v1"\ntimeout = 5\n',
    )

    settings = load_settings(folder)

    assert settings.project_dir == folder.resolve()
    assert settings.name == "seoul-guide"
    assert settings.default_model == "echo:x"
    assert (settings.server.host, settings.server.port, settings.server.workers) == (
        "0.0.0.0",
        9000,
        2,
    )
    assert settings.openai.base_url == "http://127.0.0.1:8001/v1"
    assert settings.openai.timeout == 5.0
    assert settings.openai.max_retries == 3  # untouched keys keep their defaults


def test_environment_variable_overrides_project_file(tmp_path, monkeypatch):
    folder = project_with(tmp_path / "p", 'default_model = "from-file"\n')
    monkeypatch.setenv("TUNELOOP_DEFAULT_MODEL", "from-env")

    assert load_settings(folder).default_model == "from-env"


def test_nested_environment_variable_overrides_one_key_and_keeps_the_rest_of_the_table(
    tmp_path, monkeypatch
):
    folder = project_with(tmp_path / "p", '[server]\nhost = "0.0.0.0"\nport = 9000\n')
    monkeypatch.setenv("TUNELOOP_SERVER__PORT", "9100")

    server = load_settings(folder).server

    assert server.port == 9100
    assert server.host == "0.0.0.0"


def test_explicit_overrides_beat_environment_and_file(tmp_path, monkeypatch):
    folder = project_with(tmp_path / "p", 'default_model = "from-file"\n')
    monkeypatch.setenv("TUNELOOP_DEFAULT_MODEL", "from-env")

    assert load_settings(folder, default_model="explicit").default_model == "explicit"


def test_relative_sqlite_path_is_resolved_against_the_project_not_the_cwd(tmp_path, monkeypatch):
    folder = project_with(tmp_path / "p", 'database_url = "sqlite:///state/app.db"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    settings = load_settings(folder)

    assert settings.resolved_database_url == f"sqlite:///{folder.resolve() / 'state' / 'app.db'}"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////var/lib/tuneloop/app.db",
        "sqlite:///:memory:",
        "postgresql+psycopg://user@db.example:5432/tuneloop",
    ],
)
def test_absolute_sqlite_memory_and_postgres_urls_are_used_as_given(tmp_path, url):
    folder = project_with(tmp_path / "p", f'database_url = "{url}"\n')

    assert load_settings(folder).resolved_database_url == url


def test_relative_artifact_dir_is_under_the_project_and_absolute_one_is_kept(tmp_path):
    folder = project_with(tmp_path / "p", 'artifact_dir = "blobs"\n')
    assert load_settings(folder).resolved_artifact_dir == folder.resolve() / "blobs"

    absolute = tmp_path / "shared-blobs"
    project_with(folder, f'artifact_dir = "{absolute.as_posix()}"\n')
    assert load_settings(folder).resolved_artifact_dir == absolute


def test_unknown_key_raises_config_error_naming_the_key_and_the_file(tmp_path):
    folder = project_with(tmp_path / "p", 'name = "x"\ndefualt_model = "typo"\n')

    with pytest.raises(ConfigError) as info:
        load_settings(folder)

    message = info.value.message
    assert "'defualt_model'" in message
    assert str(folder.resolve() / PROJECT_FILE) in message
    assert "default_model" in message  # the known keys point at the right spelling
    assert info.value.exit_code == 2


def test_unknown_nested_key_error_lists_the_keys_of_that_table(tmp_path):
    folder = project_with(tmp_path / "p", "[server]\nprot = 9000\n")

    with pytest.raises(ConfigError) as info:
        load_settings(folder)

    message = info.value.message
    assert "'server.prot'" in message
    assert "host" in message
    assert "workers" in message


@pytest.mark.parametrize(
    ("toml", "key", "env_var"),
    [
        ('[server]\nport = "abc"\n', "server.port", "TUNELOOP_SERVER__PORT"),
        ("name = 5\n", "name", "TUNELOOP_NAME"),
        ('[openai]\ntimeout = "soon"\n', "openai.timeout", "TUNELOOP_OPENAI__TIMEOUT"),
    ],
)
def test_wrong_type_raises_config_error_naming_key_file_and_env_var(tmp_path, toml, key, env_var):
    folder = project_with(tmp_path / "p", toml)

    with pytest.raises(ConfigError) as info:
        load_settings(folder)

    message = info.value.message
    assert f"'{key}'" in message
    assert str(folder.resolve() / PROJECT_FILE) in message
    assert env_var in message


def test_out_of_range_port_is_rejected(tmp_path):
    folder = project_with(tmp_path / "p", "[server]\nport = 70000\n")

    with pytest.raises(ConfigError, match=r"server\.port"):
        load_settings(folder)


def test_invalid_environment_value_names_the_environment_variable(tmp_path, monkeypatch):
    folder = project_with(tmp_path / "p", "")
    monkeypatch.setenv("TUNELOOP_SERVER__PORT", "eighty")

    with pytest.raises(ConfigError) as info:
        load_settings(folder)

    assert "TUNELOOP_SERVER__PORT" in info.value.message
    assert "'eighty'" in info.value.message


def test_toml_syntax_error_reports_file_line_and_column(tmp_path):
    folder = project_with(tmp_path / "p", 'name = "x"\n[server]\nport = \n')

    with pytest.raises(ConfigError) as info:
        load_settings(folder)

    message = info.value.message
    assert str(folder.resolve() / PROJECT_FILE) in message
    assert "line 3" in message
    assert "column" in message
    assert "line and column" in (info.value.hint or "")


def test_project_file_that_is_not_utf8_raises_config_error(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / PROJECT_FILE).write_bytes('name = "서울"\n'.encode("euc-kr"))

    with pytest.raises(ConfigError, match="UTF-8"):
        load_settings(folder)


def test_project_is_discovered_upward_from_a_subfolder(tmp_path, monkeypatch):
    folder = project_with(tmp_path / "p", 'name = "found"\n')
    deep = folder / "data" / "raw"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)

    assert find_project_dir() == folder.resolve()
    settings = load_settings()
    assert settings.name == "found"
    assert settings.project_dir == folder.resolve()


def test_tuneloop_project_variable_wins_over_the_project_around_the_cwd(tmp_path, monkeypatch):
    here = project_with(tmp_path / "here", 'name = "here"\n')
    there = project_with(tmp_path / "there", 'name = "there"\n')
    monkeypatch.chdir(here)
    monkeypatch.setenv("TUNELOOP_PROJECT", str(there))

    assert load_settings().name == "there"


def test_tuneloop_project_without_project_file_raises_with_init_hint(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("TUNELOOP_PROJECT", str(empty))

    with pytest.raises(ConfigError) as info:
        load_settings()

    assert "tuneloop init" in (info.value.hint or "")


def test_load_settings_on_a_folder_without_project_file_hints_tuneloop_init(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    with pytest.raises(ConfigError) as info:
        load_settings(empty)

    assert str(empty.resolve()) in info.value.message
    assert f"tuneloop init {empty.resolve()}" in (info.value.hint or "")


def test_load_settings_accepts_the_project_file_path_itself(tmp_path):
    folder = project_with(tmp_path / "p", 'name = "by-file"\n')

    settings = load_settings(folder / PROJECT_FILE)

    assert settings.name == "by-file"
    assert settings.project_dir == folder.resolve()


def test_written_project_file_loads_back_to_the_same_values(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    name = '서울 "guide"'

    path = write_project_file(folder, name=name, default_model="echo:x")

    assert path == folder / PROJECT_FILE
    settings = load_settings(folder)
    assert settings.name == name
    assert settings.default_model == "echo:x"
    assert settings.database_url == "sqlite:///.tuneloop/tuneloop.db"
    assert settings.resolved_database_url.startswith(f"sqlite:///{folder.resolve()}/")
    assert settings.artifact_dir == Path(".tuneloop/artifacts")
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8000)
