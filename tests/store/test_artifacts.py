"""Content-addressed artifacts: named by sha256, stored once, checked on read when asked."""

from __future__ import annotations

import hashlib
import os

import pytest
import sqlalchemy as sa

from tuneloop.errors import InvalidRequest, NotFound, StoreError


def _rows(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM artifacts")).scalar_one()


def test_put_bytes_stores_the_file_at_its_content_address(store):
    data = b"hello artifacts\n"
    sha = hashlib.sha256(data).hexdigest()

    record = store.artifacts.put_bytes(data, media_type="text/plain")

    assert record.sha256 == sha
    assert record.size == len(data)
    assert record.media_type == "text/plain"
    assert record.relpath == f"sha256/{sha[:2]}/{sha}"
    path = store.artifacts.path_for(sha)
    assert path == store.artifact_dir / "sha256" / sha[:2] / sha
    assert path.read_bytes() == data
    assert store.artifacts.read(sha) == data


def test_storing_the_same_content_twice_returns_the_same_record_and_one_row(store):
    first = store.artifacts.put_bytes(b"same", metadata={"n": 1})
    second = store.artifacts.put_bytes(b"same", metadata={"n": 2})
    assert second == first
    assert second.metadata == {"n": 1}
    assert _rows(store) == 1
    assert len(store.artifacts.list()) == 1


def test_put_file_hashes_in_chunks_and_matches_hashlib(store, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "big.bin"
    source.write_bytes(data)

    record = store.artifacts.put_file(source)

    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.size == len(data)
    assert store.artifacts.read(record.sha256, verify=True) == data
    assert not list((store.artifact_dir / "tmp").iterdir())


def test_put_file_and_put_bytes_of_the_same_content_share_one_artifact(store, tmp_path):
    source = tmp_path / "a.txt"
    source.write_bytes(b"shared")
    assert store.artifacts.put_file(source) == store.artifacts.put_bytes(b"shared")
    assert _rows(store) == 1


def test_put_file_of_a_missing_path_raises_not_found(store, tmp_path):
    with pytest.raises(NotFound):
        store.artifacts.put_file(tmp_path / "absent.bin")


def test_metadata_and_media_type_round_trip(store):
    meta = {"split": "train", "rows": 120, "seed": 7, "tags": ["a", "b"], "nested": {"x": 1.5}}
    record = store.artifacts.put_bytes(b"{}", media_type="application/json", metadata=meta)
    fetched = store.artifacts.get(record.sha256)
    assert fetched.metadata == meta
    assert fetched.media_type == "application/json"
    assert fetched.created_at.tzinfo is not None


def test_verify_detects_a_corrupted_file(store):
    record = store.artifacts.put_bytes(b"precious bytes")
    store.artifacts.path_for(record.sha256).write_bytes(b"precious bytez")

    assert store.artifacts.read(record.sha256) == b"precious bytez"
    with pytest.raises(StoreError, match="corrupt"):
        store.artifacts.read(record.sha256, verify=True)
    with pytest.raises(StoreError, match="corrupt"):
        store.artifacts.open(record.sha256, verify=True)


def test_storing_the_content_again_repairs_a_corrupted_file(store):
    record = store.artifacts.put_bytes(b"precious bytes")
    store.artifacts.path_for(record.sha256).write_bytes(b"garbage")
    store.artifacts.put_bytes(b"precious bytes")
    assert store.artifacts.read(record.sha256, verify=True) == b"precious bytes"


def test_a_missing_file_is_reported_as_a_store_error(store):
    record = store.artifacts.put_bytes(b"gone soon")
    store.artifacts.path_for(record.sha256).unlink()
    with pytest.raises(StoreError, match="missing"):
        store.artifacts.read(record.sha256)


def test_open_returns_a_readable_binary_file(store):
    record = store.artifacts.put_bytes(b"stream me")
    with store.artifacts.open(record.sha256, verify=True) as fh:
        assert fh.read() == b"stream me"


def test_unknown_artifact_raises_not_found(store):
    with pytest.raises(NotFound):
        store.artifacts.get("0" * 64)
    with pytest.raises(NotFound):
        store.artifacts.read("0" * 64)
    assert store.artifacts.find("0" * 64) is None


@pytest.mark.parametrize("bad", ["../../etc/passwd", "abc", "g" * 64])
def test_a_malformed_hash_is_rejected_before_touching_the_filesystem(store, bad):
    with pytest.raises(InvalidRequest):
        store.artifacts.path_for(bad)


def test_list_returns_every_artifact(store):
    shas = {store.artifacts.put_bytes(bytes([i])).sha256 for i in range(3)}
    assert {a.sha256 for a in store.artifacts.list()} == shas
