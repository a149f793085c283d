"""The runner against a real OpenAI-compatible server (tuneloop's own, on 127.0.0.1) through the
``openai`` backend. The served model is tiny and random: these tests check structure, not
quality."""

from __future__ import annotations

import socket

from tuneloop.evaluate.cache import ResponseCache
from tuneloop.evaluate.runner import run_suite_sync
from tuneloop.evaluate.suite import load_suite
from tuneloop.models.openai_compat import OpenAIChatModel

SUITE = """\
name: live
system: 당신은 서울 여행 도우미입니다.
params: {temperature: 0, max_tokens: 8}
metrics: [token_f1, {name: max_length, params: {chars: 2000}}]
cases:
  - {id: hours, input: "경복궁은 언제 쉬나요?", reference: 매주 화요일에 쉽니다., tags: [ko]}
  - {id: tower, input: "Where is N Seoul Tower?", reference: On Namsan., tags: [en]}
  - {id: food, input: 광장시장 추천 음식, reference: 빈대떡과 마약김밥, tags: [ko]}
"""


def remote(live_server, model="tiny", base_url=None):
    return OpenAIChatModel(
        f"remote-{model}",
        upstream_model=model,
        base_url=base_url or live_server.base_url,
        api_key=live_server.api_key,
        max_retries=0,
    )


def test_a_suite_runs_through_the_openai_backend_against_a_real_server(tmp_path, live_server):
    path = tmp_path / "live.yaml"
    path.write_text(SUITE, encoding="utf-8")
    run = run_suite_sync(load_suite(path), remote(live_server), concurrency=2, timeout_s=120)
    assert run.meta["caller"] == "thread-pool"
    assert run.model == "remote-tiny"
    assert [r.case_id for r in run.results] == ["hours", "tower", "food"]
    for result in run.results:
        assert result.error is None, result.error
        assert isinstance(result.output, str)
        assert 1 <= result.completion_tokens <= 8
        assert result.prompt_tokens > 0 and result.latency_ms > 0
        assert 0.0 <= result.scores["token_f1"] <= 1.0
        assert result.scores["max_length"] == 1.0 and result.passed is True


def test_the_same_greedy_request_is_answered_from_the_cache(tmp_path, live_server, store):
    path = tmp_path / "live.yaml"
    path.write_text(SUITE, encoding="utf-8")
    suite = load_suite(path).select(limit=1)
    model = remote(live_server, model="echo")
    first = run_suite_sync(suite, model, cache=ResponseCache.from_store(store))
    second = run_suite_sync(suite, model, cache=ResponseCache.from_store(store))
    assert first.results[0].output == "경복궁은 언제 쉬나요?"  # the echo model repeats the input
    assert not first.results[0].cached and second.results[0].cached
    assert second.results[0].output == first.results[0].output


def test_an_unreachable_upstream_gives_error_results_not_a_crash(tmp_path, live_server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    path = tmp_path / "live.yaml"
    path.write_text(SUITE, encoding="utf-8")
    model = remote(live_server, base_url=f"http://127.0.0.1:{port}/v1")
    run = run_suite_sync(load_suite(path), model, retries=1, backoff_s=0.01, timeout_s=10)
    assert run.errors == 3
    assert all(r.error.startswith("backend_unavailable: Cannot connect") for r in run.results)
    assert all(r.scores == {} for r in run.results)
