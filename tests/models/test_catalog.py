"""Model names resolve to backends: registered, built-in, or BACKEND:TARGET."""

from __future__ import annotations

import pytest

from tuneloop.config import Settings
from tuneloop.errors import ModelNotFound, RegistryError
from tuneloop.models.catalog import Catalog, backends, builtin_models
from tuneloop.models.local import LocalChatModel
from tuneloop.models.testing import EchoModel


def test_default_plugins_register_local_openai_and_echo_backends():
    assert {"local", "openai", "echo"} <= set(backends())
    assert builtin_models()["smollm2-135m"].backend == "local"


def test_registered_model_resolves_and_is_cached(store, tiny_model_dir, tmp_path):
    store.registrations.register("seoul", "local", {"path": str(tiny_model_dir)})
    catalog = Catalog(Settings(project_dir=tmp_path), store)
    model = catalog.get("seoul")
    assert isinstance(model, LocalChatModel)
    assert catalog.get("seoul") is model
    assert [s.source for s in catalog.specs() if s.name == "seoul"] == ["registered"]


def test_backend_colon_target_names_work_without_registration(tmp_path):
    catalog = Catalog(Settings(project_dir=tmp_path))
    assert isinstance(catalog.get("echo:anything"), EchoModel)
    assert catalog.spec("openai:gpt-4o-mini").config == {"target": "gpt-4o-mini"}


def test_unknown_name_lists_known_models(tmp_path):
    with pytest.raises(ModelNotFound) as info:
        Catalog(Settings(project_dir=tmp_path)).get("gpt-9")
    assert "smollm2-135m" in info.value.hint
    assert info.value.http_status == 404


def test_registration_with_uninstalled_backend_is_a_clear_error(store, tmp_path):
    store.registrations.register("odd", "vllm-native", {})
    with pytest.raises(RegistryError, match="not installed"):
        Catalog(Settings(project_dir=tmp_path), store).get("odd")
