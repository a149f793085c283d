"""The Store facade: opened from settings, a context manager, projects got-or-created."""

from __future__ import annotations

import tuneloop.store
from tuneloop.config import Settings
from tuneloop.store import Store, current_revision, head_revision


def test_from_settings_uses_the_resolved_database_url_and_artifact_dir(tmp_path):
    settings = Settings(project_dir=tmp_path)
    with Store.from_settings(settings) as store:
        store.artifacts.put_bytes(b"x")
        assert current_revision(store.engine) == head_revision()
        assert store.artifact_dir == tmp_path / ".tuneloop" / "artifacts"
    assert (tmp_path / ".tuneloop" / "tuneloop.db").is_file()
    assert any((tmp_path / ".tuneloop" / "artifacts" / "sha256").rglob("*"))


def test_projects_ensure_gets_or_creates(store):
    first = store.projects.ensure("demo")
    again = store.projects.ensure("demo")
    store.projects.ensure("other")
    assert again == first
    assert store.projects.get("demo") == first
    assert [p.name for p in store.projects.list()] == ["demo", "other"]
    assert store.projects.get("absent") is None


def test_reopening_a_store_keeps_its_data(db_url, tmp_path):
    with Store(db_url, tmp_path / "a") as store:
        store.registrations.register("bot", "echo", {"k": "v"})
    with Store(db_url, tmp_path / "a") as store:
        assert store.registrations.get("bot").config == {"k": "v"}


def test_repr_masks_the_password(tmp_path):
    store = Store.__new__(Store)
    store.url = "postgresql+psycopg://u:hunter2@h/db"
    store.artifact_dir = tmp_path
    assert "hunter2" not in repr(store)


def test_all_lists_only_names_that_exist():
    assert sorted(tuneloop.store.__all__) == list(tuneloop.store.__all__)
    for name in tuneloop.store.__all__:
        assert hasattr(tuneloop.store, name)
