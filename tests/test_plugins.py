"""Plugins: a third-party plugin can add to and replace the built-ins through the same hooks."""

from __future__ import annotations

import pytest

from tuneloop.hookspecs import hookimpl
from tuneloop.models.catalog import backends
from tuneloop.plugins import plugin_manager
from tuneloop.prompts.lint import lint_rules


class _Plugin:
    def __init__(self) -> None:
        self.factory = lambda spec, settings: None

    @hookimpl
    def register_backends(self, register):
        register("echo", self.factory)
        register("my-backend", self.factory)


@pytest.fixture
def plugin():
    extra = _Plugin()
    plugin_manager().register(extra, name="test-third-party")
    yield extra
    plugin_manager().unregister(name="test-third-party")


def test_a_plugin_adds_a_backend_and_replaces_a_builtin_of_the_same_name(plugin):
    found = backends()
    assert found["my-backend"] is plugin.factory
    assert found["echo"] is plugin.factory  # the built-in echo backend is replaced
    assert "local" in found and found["local"] is not plugin.factory


def test_builtins_are_back_once_the_plugin_is_gone():
    assert "my-backend" not in backends()
    assert lint_rules()
