"""Plugins: a third-party plugin adds to and replaces the built-ins, for every hook, by one rule
(:func:`tuneloop.plugins.collect`)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest

from tuneloop.data.ingest.registry import readers
from tuneloop.evaluate.metrics.registry import build_metric, metric_factories
from tuneloop.hookspecs import hookimpl
from tuneloop.models.catalog import ModelSpec, backends, builtin_models
from tuneloop.plugins import DEFAULT_PLUGINS, collect, plugin_manager
from tuneloop.prompts.fewshot import example_selectors
from tuneloop.prompts.lint import lint_rules
from tuneloop.safety.pii.registry import pii_recognizers
from tuneloop.train.registry import trainer_factories


def _factory(*args: Any) -> None:
    return None


def _named(name: str) -> Any:
    """A stand-in for a reader / recognizer (keyed by ``name``) or a lint rule (keyed by ``id``)."""
    return types.SimpleNamespace(name=name, id=name, entities=(), suffixes=(".txt",))


# hook, the registry's public function, a built-in name it returns, what the plugin registers
# (``(name, value)`` for register(name, value) hooks, ``(value,)`` for register(value) hooks).
HOOKS: list[tuple[str, Callable[[], dict[str, Any]], str, tuple[Any, ...]]] = [
    ("register_backends", backends, "echo", ("echo", _factory)),
    ("register_models", builtin_models, "smollm2-135m", (ModelSpec("smollm2-135m", "echo"),)),
    ("register_trainers", trainer_factories, "local-lora", ("local-lora", _factory)),
    ("register_metrics", metric_factories, "token_f1", ("token_f1", _factory)),
    ("register_readers", readers, "kakaotalk", (_named("kakaotalk"),)),
    ("register_lint_rules", lint_rules, "vague-request", (_named("vague-request"),)),
    ("register_example_selectors", example_selectors, "bm25", ("bm25", _factory)),
    ("register_pii_recognizers", pii_recognizers, "email", (_named("email"),)),
]


def _plugin(hook: str, *args: Any, **marks: bool) -> types.SimpleNamespace:
    def impl(register: Callable[..., None]) -> None:
        register(*args)

    return types.SimpleNamespace(**{hook: hookimpl(**marks)(impl)})


@pytest.fixture
def register_plugin():
    pm = plugin_manager()
    names: list[str] = []

    def register(plugin: object, name: str) -> None:
        pm.register(plugin, name=name)
        names.append(name)

    yield register
    for name in names:
        pm.unregister(name=name)


def test_every_hook_is_covered():
    assert {hook for hook, *_ in HOOKS} == set(plugin_manager().hook.__dict__) - {"_hookexec"}


@pytest.mark.parametrize(("hook", "registry", "name", "args"), HOOKS, ids=[h[0] for h in HOOKS])
def test_a_third_party_plugin_replaces_the_builtin_of_the_same_name(
    hook, registry, name, args, register_plugin
):
    before = registry()
    value = args[-1]
    assert before[name] is not value
    register_plugin(_plugin(hook, *args), name=f"test-replaces-{name}")
    found = registry()
    assert found[name] is value
    assert list(found) == list(before)  # replaced in place, nothing else changed


@pytest.mark.parametrize(("hook", "registry", "name", "args"), HOOKS, ids=[h[0] for h in HOOKS])
def test_pluggy_call_order_marks_do_not_change_who_wins(
    hook, registry, name, args, register_plugin
):
    """``trylast`` would make pluggy call the plugin after the built-ins; it still wins."""
    register_plugin(_plugin(hook, *args, trylast=True), name=f"test-trylast-{name}")
    assert registry()[name] is args[-1]


@pytest.mark.parametrize(("hook", "registry", "name", "args"), HOOKS, ids=[h[0] for h in HOOKS])
def test_builtins_are_back_once_the_plugin_is_gone(hook, registry, name, args):
    pm = plugin_manager()
    pm.register(_plugin(hook, *args), name="test-gone")
    pm.unregister(name="test-gone")
    assert registry()[name] is not args[-1]


def test_of_two_third_party_plugins_the_one_registered_later_wins(register_plugin):
    first, second = _named("email"), _named("email")
    register_plugin(_plugin("register_pii_recognizers", first), name="test-first")
    register_plugin(_plugin("register_pii_recognizers", second), name="test-second")
    assert pii_recognizers()["email"] is second


def test_a_replacement_keeps_the_builtins_place_and_a_new_name_goes_last(register_plugin):
    before = list(readers())
    register_plugin(_plugin("register_readers", _named("text")), name="test-text")
    register_plugin(_plugin("register_readers", _named("faq")), name="test-faq")
    assert list(readers()) == [*before, "faq"]


def test_a_third_party_metric_is_what_a_suite_builds(register_plugin):
    class Constant:
        name = "token_f1"

    def factory(params: Any, context: Any) -> Constant:
        return Constant()

    register_plugin(_plugin("register_metrics", "token_f1", factory), name="test-token-f1")
    assert isinstance(build_metric("token_f1"), Constant)


def test_collect_calls_an_implementation_that_takes_no_arguments(register_plugin):
    plugin = types.SimpleNamespace(register_backends=hookimpl(lambda: None))
    register_plugin(plugin, name="test-no-args")
    assert set(collect("register_backends")) == set(backends())


def test_the_builtins_are_the_default_plugins():
    names = {name for name, _ in plugin_manager().list_name_plugin()}
    assert set(DEFAULT_PLUGINS) <= names
