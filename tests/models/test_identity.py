"""A model reference resolves once to an immutable version id + content hash."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tuneloop.config import Settings
from tuneloop.errors import BackendUnavailable, ModelNotFound
from tuneloop.models.catalog import Catalog, ModelSpec
from tuneloop.models.identity import HashCache, config_hash, content_hash, model_label
from tuneloop.models.testing import EchoModel


def register(store, name: str, model_id: str, config: dict, backend: str = "echo") -> int:
    version = store.models.register_version(
        name, model_id=model_id, backend=backend, config=config, base_model="smollm2-135m",
        author="test",
    )  # fmt: skip
    return version.version


def test_an_alias_resolves_to_its_version_and_a_new_version_changes_the_identity(store, tmp_path):
    v1 = register(store, "seoul-guide", "ft:one", {"path": str(_weights(tmp_path / "w1", b"one"))})
    store.models.promote(f"seoul-guide@{v1}", "staging", by="test")
    catalog = Catalog(Settings(project_dir=tmp_path), store, hashes=HashCache(None))

    first = catalog.resolve("seoul-guide@staging")
    assert (first.requested, first.version_ref) == ("seoul-guide@staging", "seoul-guide@1")
    assert (first.name, first.version, first.model_id) == ("seoul-guide", 1, "ft:one")
    assert first.hashed_from == "weights" and first.content_hash.startswith("sha256:")
    assert first.label == (
        f"seoul-guide@staging → seoul-guide@1 (sha256:{first.content_hash[7:19]}…)"
    )

    v2 = register(store, "seoul-guide", "ft:two", {"path": str(_weights(tmp_path / "w2", b"two"))})
    store.models.promote(f"seoul-guide@{v2}", "staging", by="test")
    second = catalog.resolve("seoul-guide@staging")
    assert second.version_ref == "seoul-guide@2"
    assert second.content_hash != first.content_hash
    # ft:… ids and name@N resolve to the same identity as the alias
    assert catalog.resolve("ft:two").version_ref == "seoul-guide@2"
    assert catalog.resolve("seoul-guide@2").content_hash == second.content_hash


def test_load_builds_the_resolved_version_even_after_the_alias_moved(store, tmp_path):
    v1 = register(store, "guide", "ft:g1", {"note": "first"})
    store.models.promote(f"guide@{v1}", "staging", by="test")
    catalog = Catalog(Settings(project_dir=tmp_path), store, hashes=HashCache(None))
    resolved = catalog.resolve("guide@staging")
    v2 = register(store, "guide", "ft:g2", {"note": "second"})
    store.models.promote(f"guide@{v2}", "staging", by="test")
    model = catalog.load(resolved)
    assert isinstance(model, EchoModel)
    assert catalog.load(resolved) is model  # cached per identity
    assert catalog.load(catalog.resolve("guide@staging")) is not model


def test_builtins_registrations_and_ad_hoc_names_are_their_own_version(store, tmp_path):
    store.registrations.register("my-echo", "echo", {"flavour": "plain"})
    catalog = Catalog(Settings(project_dir=tmp_path), store, hashes=HashCache(None))
    registered = catalog.resolve("my-echo")
    assert (registered.version_ref, registered.version, registered.source) == (
        "my-echo", None, "registered",
    )  # fmt: skip
    assert registered.hashed_from == "config"
    assert registered.content_hash == config_hash("echo", {"flavour": "plain"})
    assert registered.label == f"my-echo (sha256:{registered.content_hash[7:19]}…)"
    ad_hoc = catalog.resolve("echo:x")
    assert ad_hoc.version_ref == "echo:x" and ad_hoc.source == "ad-hoc"
    with pytest.raises(ModelNotFound):
        catalog.resolve("no-such-model")


def test_a_weights_folder_hash_covers_every_file_and_its_name(tmp_path):
    folder = _weights(tmp_path / "m", b"weights")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    spec = ModelSpec("m", "local", {"path": str(folder)})
    cache = HashCache(None)
    digest, source = content_hash(spec, cache)
    assert source == "weights"
    (folder / "tokenizer.json").write_text('{"changed": true}', encoding="utf-8")
    assert content_hash(spec, cache)[0] != digest
    (folder / "tokenizer.json").rename(folder / "vocab.json")
    assert content_hash(spec, cache)[0] != digest


def test_a_checkpoint_served_as_base_plus_adapter_hashes_the_adapter_too(tmp_path):
    gguf = tmp_path / "base.gguf"
    gguf.write_bytes(b"GGUF base")
    adapter = tmp_path / "ckpt-step-4"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}", encoding="utf-8")
    (adapter / "adapter_model.safetensors").write_bytes(b"step 4")
    base = content_hash(ModelSpec("b", "local", {"path": str(gguf)}), HashCache(None))[0]
    spec = ModelSpec("c", "local", {"path": str(gguf), "adapter": str(adapter)})
    first = content_hash(spec, HashCache(None))[0]
    assert first != base
    (adapter / "adapter_model.safetensors").write_bytes(b"step 8")
    assert content_hash(spec, HashCache(None))[0] != first


def test_a_single_weights_file_is_hashed_as_its_sha256(tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(range(256)) * 10)
    digest, _ = content_hash(ModelSpec("g", "local", {"path": str(gguf)}), HashCache(None))
    assert digest == "sha256:" + hashlib.sha256(gguf.read_bytes()).hexdigest()
    folder_spec = ModelSpec("g", "local", {"path": str(tmp_path), "gguf_file": "model.gguf"})
    assert content_hash(folder_spec, HashCache(None))[0] == digest


def test_weights_are_hashed_once_and_remembered_across_processes(tmp_path):
    folder = _weights(tmp_path / "m", b"x" * 100_000)
    spec = ModelSpec("m", "local", {"path": str(folder)})
    where = tmp_path / "home" / "content-hashes.json"
    first = HashCache(where)
    digest, _ = content_hash(spec, first)
    assert first.computed == 2 and where.is_file()  # model.safetensors + config.json

    later = HashCache(where)  # a new process: reads the file, stats the weights, reads nothing
    assert content_hash(spec, later)[0] == digest and later.computed == 0

    weights = folder / "model.safetensors"
    weights.write_bytes(b"y" * 100_000)  # same size, new content and mtime
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    changed = HashCache(where)
    assert content_hash(spec, changed)[0] != digest and changed.computed == 1
    stored = json.loads(where.read_text(encoding="utf-8"))["files"]
    assert stored[str(weights.resolve())]["size"] == 100_000


def test_an_unreadable_hash_cache_is_ignored_not_fatal(tmp_path):
    where = tmp_path / "content-hashes.json"
    where.write_text("not json", encoding="utf-8")
    spec = ModelSpec("m", "local", {"path": str(_weights(tmp_path / "m", b"w"))})
    assert content_hash(spec, HashCache(where))[0].startswith("sha256:")


def test_missing_weights_are_a_clear_error(tmp_path):
    spec = ModelSpec("m", "local", {"path": str(tmp_path / "gone")})
    with pytest.raises(BackendUnavailable, match="not at"):
        content_hash(spec, HashCache(None))


def test_model_label_without_a_resolution_is_what_was_typed():
    assert model_label("seoul-guide@staging", None, None) == "seoul-guide@staging"
    assert model_label("a@1", "a@1", "sha256:" + "f" * 64) == "a@1 (sha256:ffffffffffff…)"


def _weights(folder: Path, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.safetensors").write_bytes(data)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder
