"""Schema migrations: up from empty, down to base, and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tuneloop.errors import MigrationError, StoreError
from tuneloop.store import Store, current_revision, downgrade, head_revision, make_engine, upgrade
from tuneloop.store.keys import SCOPES, hash_key
from tuneloop.store.schema import Base, utcnow

TABLES = {
    "model_routes",
    "files",
    "train_jobs",
    "train_job_events",
    "train_checkpoints",
    "model_versions",
    "aliases",
    "alias_events",
    "projects",
    "model_registrations",
    "api_keys",
    "artifacts",
    "prompt_versions",
    "prompt_runs",
    "prompt_run_results",
    "dataset_versions",
    "index_versions",
    "eval_runs",
    "eval_results",
    "response_cache",
    "gate_results",
}


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_upgrade_from_empty_creates_every_table(engine):
    assert _tables(engine) == set()
    assert current_revision(engine) is None

    upgrade(engine)

    assert _tables(engine) == TABLES
    indexes = {ix["name"]: ix for ix in sa.inspect(engine).get_indexes("api_keys")}
    assert indexes["ix_api_keys_key_hash"]["unique"]


def test_current_revision_is_head_after_upgrade(engine):
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0015"


def test_downgrade_to_base_drops_every_table(engine):
    upgrade(engine)
    downgrade(engine, "base")
    assert _tables(engine) == set()
    assert current_revision(engine) is None


def test_upgrade_downgrade_upgrade_round_trips(engine):
    upgrade(engine)
    downgrade(engine, "base")
    upgrade(engine)
    assert _tables(engine) == TABLES
    assert current_revision(engine) == head_revision()


def test_upgrading_twice_is_a_no_op(engine):
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_migrations_match_the_orm_models(engine):
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_unknown_revision_raises_migration_error_with_hint(engine):
    with pytest.raises(MigrationError) as err:
        upgrade(engine, "9999")
    assert "9999" in err.value.message
    assert err.value.hint


def test_store_migrates_to_head_when_opened(db_url, tmp_path):
    with Store(db_url, tmp_path / "artifacts") as store:
        assert current_revision(store.engine) == head_revision()


def test_store_with_migrate_false_leaves_the_database_empty(db_url, tmp_path):
    with Store(db_url, tmp_path / "artifacts", migrate=False) as store:
        assert current_revision(store.engine) is None


def test_unreachable_postgresql_raises_store_error_naming_url_with_password_masked(tmp_path):
    url = "postgresql+psycopg://tuneloop:s3cret-pw@127.0.0.1:1/tuneloop"
    with pytest.raises(StoreError) as err:
        Store(url, tmp_path / "artifacts")
    assert not isinstance(err.value, MigrationError)
    text = str(err.value)
    assert "postgresql+psycopg://tuneloop:***@127.0.0.1:1/tuneloop" in text
    assert "s3cret-pw" not in text
    assert "pg_ctlcluster" in (err.value.hint or "")


def test_unreachable_database_also_fails_current_revision_with_store_error():
    engine = make_engine("postgresql+psycopg://postgres:pw@127.0.0.1:1/postgres")
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:1"):
        current_revision(engine)


def test_sqlite_engine_creates_folder_and_enables_foreign_keys_and_wal(tmp_path):
    db_file = tmp_path / "nested" / "deeper" / "tuneloop.db"
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert db_file.is_file()
    finally:
        engine.dispose()


def test_invalid_database_url_raises_store_error():
    with pytest.raises(StoreError, match="Not a database URL"):
        make_engine("not a url")


def test_keys_made_before_scopes_keep_every_scope_after_the_upgrade(engine, tmp_path):
    upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO api_keys (name, prefix, key_hash, created_at) "
                "VALUES ('old', 'tl-old000', :hash, :now)"
            ),
            {"hash": hash_key("tl-old-key"), "now": utcnow()},
        )
    upgrade(engine)
    with Store(engine.url.render_as_string(hide_password=False), tmp_path / "a") as store:
        record = store.keys.verify("tl-old-key")
        assert record is not None
        assert record.scopes == set(SCOPES)
        assert record.models is None
        # The upgrade default is not left behind for keys created from now on.
        assert store.keys.create("new")[0].scopes == {"chat"}
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO api_keys (name, prefix, key_hash, created_at) "
                "VALUES ('raw', 'tl-raw000', 'x', :now)"
            ),
            {"now": utcnow()},
        )


def test_0011_keeps_older_eval_runs_with_an_unknown_model_version(engine, db_url, tmp_path):
    upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO eval_runs (id, suite, suite_hash, model, prompt_ref, metrics, params,"
                " meta, summary, n_cases, n_errors, n_passed, n_failed, n_cached, created_at)"
                " VALUES ('ev-20261201-aaaaaa', 'seoul', :h, 'seoul-guide@staging', NULL, '[]',"
                " '{}', '{}', '{}', 0, 0, 0, 0, 0, :t)"
            ),
            {"h": "a" * 64, "t": "2026-12-01 00:00:00"},
        )
    upgrade(engine)
    with Store(db_url, tmp_path / "artifacts") as store:
        old = store.eval_runs.get("ev-20261201-aaaaaa")
    assert old.model == "seoul-guide@staging"
    assert (old.model_version, old.model_hash) == (None, None)
    assert old.model_label == "seoul-guide@staging"


def test_0010_copies_prompt_labels_and_model_aliases_with_their_history_and_back(engine):
    from datetime import UTC, datetime, timedelta

    upgrade(engine, "0007")
    old = sa.MetaData()
    old.reflect(engine)
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    at = [t0 + timedelta(minutes=m) for m in range(4)]
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(
                old.tables["prompt_versions"].insert(),
                {"name": "support", "version": n, "content": f"v{n}", "content_hash": f"{n}" * 64,
                 "author": "kim", "message": "", "created_at": t0},
            )  # fmt: skip
            conn.execute(
                old.tables["model_versions"].insert(),
                {"name": "seoul-guide", "version": n, "model_id": f"ft:x:{n}", "backend": "echo",
                 "config": {}, "base_model": "x", "hyperparameters": {}, "metrics": {},
                 "artifacts": {}, "description": "", "author": "kim", "created_at": t0},
            )  # fmt: skip
        conn.execute(
            old.tables["prompt_labels"].insert(),
            {"name": "support", "label": "production", "version": 2, "updated_at": at[2],
             "updated_by": "lee"},
        )  # fmt: skip
        conn.execute(
            old.tables["model_aliases"].insert(),
            {"name": "seoul-guide", "alias": "production", "version": 1, "updated_at": at[3],
             "updated_by": "ops"},
        )  # fmt: skip
        events = old.tables["prompt_label_events"]
        conn.execute(events.insert(), {"name": "support", "label": "production",
                                       "from_version": None, "to_version": 1, "at": at[0],
                                       "by": "kim"})  # fmt: skip
        conn.execute(events.insert(), {"name": "support", "label": "production",
                                       "from_version": 1, "to_version": 2, "at": at[2],
                                       "by": "lee"})  # fmt: skip
        moves = old.tables["model_alias_events"]
        conn.execute(moves.insert(), {"name": "seoul-guide", "alias": "production",
                                      "from_version": None, "to_version": 2, "at": at[1],
                                      "by": "kim"})  # fmt: skip
        conn.execute(moves.insert(), {"name": "seoul-guide", "alias": "production",
                                      "from_version": 2, "to_version": 1, "at": at[3],
                                      "by": "ops"})  # fmt: skip

    upgrade(engine)

    new = sa.MetaData()
    new.reflect(engine)
    with engine.connect() as conn:
        aliases = conn.execute(
            sa.select(new.tables["aliases"]).order_by(new.tables["aliases"].c.kind)
        ).all()
        history = conn.execute(
            sa.select(new.tables["alias_events"]).order_by(new.tables["alias_events"].c.id)
        ).all()
    assert [(a.kind, a.name, a.alias, a.version, a.updated_by) for a in aliases] == [
        ("model", "seoul-guide", "production", 1, "ops"),
        ("prompt", "support", "production", 2, "lee"),
    ]
    assert [(e.kind, e.from_version, e.to_version, e.by, e.reason) for e in history] == [
        ("prompt", None, 1, "kim", ""),
        ("model", None, 2, "kim", ""),
        ("prompt", 1, 2, "lee", ""),
        ("model", 2, 1, "ops", ""),
    ]

    downgrade(engine, "0007")

    back = sa.MetaData()
    back.reflect(engine)
    with engine.connect() as conn:
        labels = conn.execute(sa.select(back.tables["prompt_label_events"])).all()
        model_aliases = conn.execute(sa.select(back.tables["model_aliases"])).all()
    assert [(e.from_version, e.to_version) for e in labels] == [(None, 1), (1, 2)]
    assert [(a.alias, a.version) for a in model_aliases] == [("production", 1)]
    assert "aliases" not in back.tables
