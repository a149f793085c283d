"""The response cache: keys, what is cached, and re-runs that cost no model calls."""

from __future__ import annotations

import pytest

from tuneloop.errors import BackendUnavailable
from tuneloop.evaluate.cache import ResponseCache, backend_identity, cache_key, cacheable
from tuneloop.evaluate.runner import run_suite_sync
from tuneloop.evaluate.suite import load_suite
from tuneloop.models.openai_compat import OpenAIChatModel
from tuneloop.models.testing import EchoModel
from tuneloop.models.types import SamplingParams

from .test_runner import CountingModel, suite_file

MESSAGES = [
    {"role": "system", "content": "서울 여행 도우미"},
    {"role": "user", "content": "경복궁은 언제 쉬나요?"},
]
GREEDY = SamplingParams(temperature=0, max_tokens=100)


def test_same_request_same_key_and_every_part_changes_it():
    model = EchoModel("smollm2-135m")
    key = cache_key(model, MESSAGES, GREEDY)
    assert key == cache_key(EchoModel("smollm2-135m"), [dict(m) for m in MESSAGES], GREEDY)
    assert len(key) == 64
    others = [
        cache_key(EchoModel("other"), MESSAGES, GREEDY),
        cache_key(model, [*MESSAGES[:1], {"role": "user", "content": "덕수궁은?"}], GREEDY),
        cache_key(model, MESSAGES[1:], GREEDY),
        cache_key(model, MESSAGES, SamplingParams(temperature=0, max_tokens=101)),
        cache_key(model, MESSAGES, SamplingParams(temperature=0, max_tokens=100, seed=1)),
        cache_key(model, MESSAGES, SamplingParams(temperature=0, max_tokens=100, stop=("\n",))),
        cache_key(model, MESSAGES, SamplingParams(temperature=0, top_p=0.5, max_tokens=100)),
    ]
    assert key not in others and len(set(others)) == len(others)


def test_the_backend_identity_separates_upstreams_with_the_same_model_name():
    a = OpenAIChatModel("gpt", upstream_model="gpt-4o-mini", base_url="http://a.example/v1")
    b = OpenAIChatModel("gpt", upstream_model="gpt-4o-mini", base_url="http://b.example/v1")
    assert "http://a.example/v1" in backend_identity(a)
    assert cache_key(a, MESSAGES, GREEDY) != cache_key(b, MESSAGES, GREEDY)


def test_sampling_without_a_seed_is_not_cacheable_but_with_a_seed_it_is():
    assert cacheable(GREEDY)
    assert not cacheable(SamplingParams(temperature=0.7))
    assert cacheable(SamplingParams(temperature=0.7, seed=7))
    assert cache_key(EchoModel(), MESSAGES, SamplingParams(temperature=0.7)) is None


def test_a_rerun_of_the_same_suite_makes_no_model_calls(tmp_path, store):
    suite = load_suite(suite_file(tmp_path, metrics="[token_f1]"))
    model = CountingModel(delay=0.01)
    first = run_suite_sync(suite, model, cache=ResponseCache.from_store(store))
    assert model.calls == 3 and not any(r.cached for r in first.results)
    assert store.response_cache.count() == 3

    second = run_suite_sync(suite, model, cache=ResponseCache.from_store(store))
    assert model.calls == 3  # zero new calls
    assert all(r.cached for r in second.results)
    assert [r.output for r in second.results] == [r.output for r in first.results]
    assert [r.scores for r in second.results] == [r.scores for r in first.results]
    assert [r.latency_ms for r in second.results] == [r.latency_ms for r in first.results]
    assert second.meta["cached"] == 3 and second.meta["cache"] == "on"


def test_no_cache_calls_the_model_every_time_and_stores_nothing(tmp_path, store):
    suite = load_suite(suite_file(tmp_path))
    model = CountingModel()
    run_suite_sync(suite, model, cache=ResponseCache.from_store(store))
    run_suite_sync(suite, model, cache=None)
    assert model.calls == 6
    assert store.response_cache.count() == 3


def test_refresh_ignores_stored_answers_and_overwrites_them(tmp_path, store):
    suite = load_suite(suite_file(tmp_path, n=2))
    old = CountingModel({"질문 0": "옛 답"})
    run_suite_sync(suite, old, cache=ResponseCache.from_store(store))
    new = CountingModel({"질문 0": "새 답"})
    refreshed = run_suite_sync(suite, new, cache=ResponseCache.from_store(store, refresh=True))
    assert new.calls == 2 and refreshed.meta["cache"] == "refresh"
    assert refreshed.results[0].output == "새 답" and not refreshed.results[0].cached
    again = run_suite_sync(suite, CountingModel(), cache=ResponseCache.from_store(store))
    assert again.results[0].output == "새 답" and again.results[0].cached


def test_random_sampling_without_a_seed_is_never_cached(tmp_path, store):
    suite = load_suite(suite_file(tmp_path, n=2))
    model = CountingModel()
    hot = SamplingParams(temperature=0.8, max_tokens=50)
    for _ in range(2):
        run = run_suite_sync(suite, model, params=hot, cache=ResponseCache.from_store(store))
    assert model.calls == 4 and store.response_cache.count() == 0
    assert not any(r.cached for r in run.results)
    seeded = SamplingParams(temperature=0.8, max_tokens=50, seed=7)
    run_suite_sync(suite, model, params=seeded, cache=ResponseCache.from_store(store))
    run_suite_sync(suite, model, params=seeded, cache=ResponseCache.from_store(store))
    assert model.calls == 6


def test_failed_calls_are_not_cached_and_are_retried_on_the_next_run(tmp_path, store):
    suite = load_suite(suite_file(tmp_path))
    flaky = CountingModel(fail_first=1, error=BackendUnavailable("down"))
    first = run_suite_sync(suite, flaky, retries=0, cache=ResponseCache.from_store(store))
    assert first.errors == 3 and store.response_cache.count() == 0
    second = run_suite_sync(suite, flaky, retries=0, cache=ResponseCache.from_store(store))
    assert second.errors == 0 and flaky.calls == 6


def test_another_model_or_system_message_misses_the_cache(tmp_path, store):
    path = suite_file(tmp_path, n=2)
    cache = ResponseCache.from_store(store)
    run_suite_sync(load_suite(path), CountingModel(name="a"), cache=cache)
    other = CountingModel(name="b")
    run_suite_sync(load_suite(path), other, cache=cache)
    assert other.calls == 2
    path.write_text(path.read_text().replace("metrics: []", "metrics: []\nsystem: 짧게 답하세요"))
    run_suite_sync(load_suite(path), other, cache=cache)
    assert other.calls == 4


@pytest.mark.parametrize("refresh", [False, True])
def test_cache_mode_flags(store, refresh):
    cache = ResponseCache.from_store(store, refresh=refresh)
    assert cache.read is not refresh and cache.write
    assert cache.lookup([None]) == {}


def _scripted_backend(monkeypatch):
    """A ``scripted`` backend: each registered version plays back its own ``replies``."""
    import tuneloop.models.catalog as catalog_module
    from tuneloop.models.testing import ScriptedModel

    installed = catalog_module.backends()
    installed["scripted"] = lambda spec, settings: ScriptedModel(
        list(spec.config["replies"]), name=spec.name
    )
    monkeypatch.setattr(catalog_module, "backends", lambda: installed)


def test_two_versions_behind_one_alias_never_share_cached_answers(store, tmp_path, monkeypatch):
    from tuneloop.config import Settings
    from tuneloop.models.catalog import Catalog
    from tuneloop.models.identity import HashCache

    _scripted_backend(monkeypatch)
    suite = load_suite(suite_file(tmp_path))
    catalog = Catalog(Settings(project_dir=tmp_path), store, hashes=HashCache(None))
    cache = ResponseCache.from_store(store)

    def register_and_stage(model_id: str, reply: str) -> None:
        version = store.models.register_version(
            "seoul-guide", model_id=model_id, backend="scripted", config={"replies": [reply]},
            base_model="smollm2-135m", author="test",
        )  # fmt: skip
        store.models.promote(version.ref, "staging", by="test")

    def evaluate():
        resolved = catalog.resolve("seoul-guide@staging")
        return run_suite_sync(suite, catalog.load(resolved), cache=cache, resolved=resolved)

    register_and_stage("ft:v1", "버전 일 답변")
    first = evaluate()
    assert {r.output for r in first.results} == {"버전 일 답변"}
    assert first.model == "seoul-guide@staging" and first.model_version == "seoul-guide@1"

    register_and_stage("ft:v2", "버전 이 답변")
    second = evaluate()
    assert {r.output for r in second.results} == {"버전 이 답변"}  # not version 1's answers
    assert second.meta["cached"] == 0
    assert (second.model_version, second.model_hash) == (
        "seoul-guide@2", catalog.resolve("seoul-guide@2").content_hash,
    )  # fmt: skip
    assert second.model_hash != first.model_hash

    again = evaluate()  # the same version again: every answer from the cache
    assert again.meta["cached"] == len(suite.cases)
    assert {r.output for r in again.results} == {"버전 이 답변"}


def test_a_resolved_identity_keys_on_version_and_hash_not_on_the_typed_name():
    from tuneloop.models.catalog import ModelSpec
    from tuneloop.models.identity import ResolvedModel

    model = EchoModel("seoul-guide@staging")

    def resolved(version: str, digest: str) -> ResolvedModel:
        spec = ModelSpec("seoul-guide@staging", "echo", {}, source="fine-tuned")
        return ResolvedModel("seoul-guide@staging", version, "seoul-guide", 1, digest, spec)

    one = cache_key(model, MESSAGES, GREEDY, resolved("seoul-guide@1", "sha256:aa"))
    assert one != cache_key(model, MESSAGES, GREEDY, resolved("seoul-guide@2", "sha256:aa"))
    assert one != cache_key(model, MESSAGES, GREEDY, resolved("seoul-guide@1", "sha256:bb"))
    production = EchoModel("seoul-guide@production")  # another alias typed for the same version
    assert one == cache_key(production, MESSAGES, GREEDY, resolved("seoul-guide@1", "sha256:aa"))
    assert one != cache_key(model, MESSAGES, GREEDY)
