"""The ``openai`` backend round trip: openai backend → our server (real HTTP) → local backend."""

from __future__ import annotations

import pytest

from tuneloop.errors import AuthError, BackendUnavailable, ContextWindowExceeded, ModelNotFound
from tuneloop.models.catalog import Catalog
from tuneloop.models.openai_compat import OpenAIChatModel, estimate_tokens
from tuneloop.models.types import Message, SamplingParams

SEOUL = [Message("user", "서울의 유명한 관광지 3곳을 추천해 주세요")]
GREEDY = SamplingParams(temperature=0, max_tokens=16)


def remote(live_server, model="tiny", **kw):
    return OpenAIChatModel(
        f"remote-{model}",
        upstream_model=model,
        base_url=live_server.base_url,
        api_key=live_server.api_key,
        max_retries=0,
        **kw,
    )


def test_round_trip_matches_the_local_model(live_server):
    local = Catalog(live_server.settings, live_server.store).get("tiny").generate(SEOUL, GREEDY)
    via_http = remote(live_server).generate(SEOUL, GREEDY)
    assert via_http.text == local.text
    assert via_http.usage == local.usage
    assert via_http.finish_reason == local.finish_reason
    assert via_http.model == "remote-tiny"


def test_round_trip_streaming_matches_and_carries_usage(live_server):
    model = remote(live_server)
    whole = model.generate(SEOUL, GREEDY)
    chunks = list(model.stream(SEOUL, GREEDY))
    assert "".join(c.text for c in chunks) == whole.text
    assert chunks[-1].usage == whole.usage
    assert chunks[-1].finish_reason == whole.finish_reason


def test_params_reach_the_upstream(live_server):
    model = remote(live_server, model="echo")
    result = model.generate(
        [Message("user", "남산 타워 그리고 한강")], SamplingParams(stop=("그리고",), max_tokens=50)
    )
    assert result.text == "남산 타워 "
    assert (
        model.generate([Message("user", "a b c d")], SamplingParams(max_tokens=2)).finish_reason
        == "length"
    )


def test_wrong_key_maps_to_auth_error(live_server):
    bad = OpenAIChatModel(
        "x", upstream_model="echo", base_url=live_server.base_url, api_key="tl-nope", max_retries=0
    )
    with pytest.raises(AuthError, match="rejected the API key"):
        bad.generate(SEOUL, GREEDY)


def test_unknown_upstream_model_maps_to_model_not_found(live_server):
    with pytest.raises(ModelNotFound):
        remote(live_server, model="no-such-model").generate(SEOUL, GREEDY)


def test_context_overflow_maps_to_context_window_exceeded(live_server):
    with pytest.raises(ContextWindowExceeded):
        remote(live_server).generate([Message("user", "서울 " * 600)], GREEDY)


def test_unreachable_server_is_backend_unavailable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = OpenAIChatModel(
        "x", upstream_model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0, timeout=5
    )
    with pytest.raises(BackendUnavailable, match="Cannot connect"):
        model.generate(SEOUL, GREEDY)


def test_token_estimate_counts_hangul_syllables_and_latin_chunks():
    assert estimate_tokens("서울") == 2
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens("서울 tour") == 2 + 2


def test_an_openai_upstream_counts_exactly_and_any_other_upstream_estimates():
    from tuneloop.models.openai_compat import estimate_message_tokens
    from tuneloop.text.openai_tokens import tokenizer

    chat = [Message("system", "서울 여행 도우미입니다."), Message("user", "경복궁은 언제 쉬나요?")]
    openai_model = OpenAIChatModel("ft", upstream_model="ft:gpt-4o-mini-2024-07-18:acme::AbC123")
    other = OpenAIChatModel("llama", upstream_model="llama-3.1-8b-instruct")

    exact = tokenizer("o200k_base").count_chat([m.as_dict() for m in chat])
    assert openai_model.count_tokens(chat) == exact
    assert other.count_tokens(chat) == estimate_message_tokens(chat)
    assert exact != estimate_message_tokens(chat)
