"""The process-wide plugin manager: default plugins plus those installed via entry points.

Built-in hook implementations are marked ``tryfirst``: pluggy calls the newest plugin first, so
without it the built-ins (registered first) would run last and silently win over a third-party
plugin that registers the same name to replace one.
"""

from __future__ import annotations

import functools

import pluggy

from tuneloop import hookspecs

__all__ = ["plugin_manager"]

DEFAULT_PLUGINS = (
    "tuneloop.default_plugins.lint_rules",
    "tuneloop.default_plugins.local_backend",
    "tuneloop.default_plugins.openai_backend",
    "tuneloop.default_plugins.testing_backends",
    "tuneloop.default_plugins.baselines",
    "tuneloop.default_plugins.example_selectors",
    "tuneloop.default_plugins.readers",
    "tuneloop.default_plugins.pii_recognizers",
    "tuneloop.default_plugins.metrics",
    "tuneloop.default_plugins.trainers",
)


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    import importlib

    pm = pluggy.PluginManager("tuneloop")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints("tuneloop")
    return pm
