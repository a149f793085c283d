"""The process-wide plugin manager and the one rule for which plugin wins a name.

Every ``register_*`` hook hands its implementations a ``register`` callback, and every registry
(backends, models, trainers, metrics, readers, lint rules, example selectors, PII recognizers)
collects them through :func:`collect` — so precedence is decided here, once:

1. the built-ins (:data:`DEFAULT_PLUGINS`) register first, in the order listed;
2. every other plugin (entry points, then plugins registered at run time, e.g. by a test)
   registers after them, in the order the plugins were registered;
3. a later registration of a name replaces an earlier one, keeping the earlier one's place in the
   result (order matters for readers sharing a suffix); a new name goes to the end.

So a third-party plugin that registers ``token_f1`` or ``local-lora`` replaces the built-in, for
every hook. pluggy's own call order (newest plugin first, ``tryfirst``/``trylast``) plays no part:
relying on it made each built-in's fate depend on whether its hook happened to be ``tryfirst``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pluggy

from tuneloop import hookspecs

__all__ = ["DEFAULT_PLUGINS", "collect", "plugin_manager"]

T = TypeVar("T")

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


def _in_precedence_order(pm: pluggy.PluginManager, hook: str) -> list[Any]:
    """The hook's implementations, lowest precedence first (see the module docstring)."""
    rank = {name: i for i, (name, _) in enumerate(pm.list_name_plugin())}
    builtin = {name: i for i, name in enumerate(DEFAULT_PLUGINS)}
    impls = [
        impl
        for impl in getattr(pm.hook, hook).get_hookimpls()
        if not (impl.hookwrapper or impl.wrapper)
    ]

    def order(impl: Any) -> tuple[int, int]:
        name = impl.plugin_name
        if name in builtin:
            return (0, builtin[name])
        return (1, rank.get(name, len(rank)))

    return sorted(impls, key=order)


def collect(hook: str, key: Callable[[T], str] | None = None) -> dict[str, T]:
    """What the plugins register through ``hook``, by name, with the precedence rule applied.

    Hooks whose callback is ``register(name, value)`` need no ``key``; for hooks whose callback is
    ``register(value)`` (readers, lint rules, recognizers, model specs), ``key(value)`` names it.
    """
    found: dict[str, T] = {}

    def register(*args: Any) -> None:
        if key is None:
            name, value = args
        else:
            (value,) = args
            name = key(value)
        found[name] = value

    for impl in _in_precedence_order(plugin_manager(), hook):
        kwargs = {"register": register} if "register" in impl.argnames else {}
        impl.function(**kwargs)
    return found
