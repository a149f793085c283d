"""OpenAI-specific parts of :mod:`tuneloop.data.tokenstats`: fine-tuned inference prices, the
exact counter picked for an OpenAI model, its labelled fallback, what `data validate` reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tuneloop.data.tokenstats import (
    INFERENCE_PRICE_PER_MILLION,
    TRAINING_PRICE_PER_MILLION,
    EstimateCounter,
    OpenAICounter,
    inference_price,
    is_openai_model,
    openai_counter,
    token_stats,
)
from tuneloop.data.validate import validate_file
from tuneloop.text.openai_tokens import encoding_for, tokenizer

SEOUL = [
    {"role": "system", "content": "당신은 서울 여행 도우미입니다. 짧고 정확하게 답하세요."},
    {"role": "user", "content": "경복궁은 언제 쉬나요? 지하철로 가는 법도 알려주세요."},
    {"role": "assistant", "content": "경복궁은 매주 화요일에 쉽니다. 3호선 경복궁역 5번 출구예요."},
]


def write_jsonl(path: Path, examples: list[list[dict[str, Any]]]) -> Path:
    path.write_text(
        "".join(json.dumps({"messages": m}, ensure_ascii=False) + "\n" for m in examples),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("ft:gpt-4o-mini-2024-07-18:acme:seoul:AbC123", "gpt-4o-mini"),
        ("ft:gpt-4o-2024-08-06:acme::xyz", "gpt-4o"),
        ("openai:gpt-4.1", "gpt-4.1"),
        ("ft:gpt-4.1-mini-2025-04-14:acme:seoul:id9", "gpt-4.1-mini"),
        ("FT:GPT-4.1-NANO-2025-04-14:acme:s:id", "gpt-4.1-nano"),
    ],
)
def test_inference_price_matches_longest_family(model: str, family: str) -> None:
    found = inference_price(model)
    assert found is not None
    assert found == (family, *INFERENCE_PRICE_PER_MILLION[family])


def test_inference_price_published_fine_tuned_numbers() -> None:
    assert inference_price("ft:gpt-4o-mini-2024-07-18:o:s:i") == ("gpt-4o-mini", 0.30, 1.20)
    assert inference_price("gpt-4o") == ("gpt-4o", 3.75, 15.00)
    assert inference_price("gpt-4.1-nano") == ("gpt-4.1-nano", 0.20, 0.80)


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4oo", "gpt-5", "smollm2-135m", "ft:llama:o:s:i"])
def test_inference_price_unknown_models(model: str) -> None:
    assert inference_price(model) is None


def test_every_priced_model_uses_o200k_so_one_count_prices_them_all() -> None:
    priced = {*TRAINING_PRICE_PER_MILLION, *INFERENCE_PRICE_PER_MILLION}
    assert {encoding_for(m) for m in priced} == {"o200k_base"}


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("ft:gpt-4.1-nano-2025-04-14:acme:s:id", "o200k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        (None, "o200k_base"),
    ],
)
def test_openai_counter_is_exact_with_the_family_encoding(model: str | None, name: str) -> None:
    counter = openai_counter(model)
    assert isinstance(counter, OpenAICounter)
    assert counter.exact and counter.name == name
    assert counter.text("hello world") == 2


def test_openai_counter_falls_back_to_the_labelled_estimate(no_openai_encodings: None) -> None:
    counter = openai_counter("gpt-4o-mini")
    assert isinstance(counter, EstimateCounter)
    assert (counter.name, counter.exact) == ("estimate", False)
    unknown = openai_counter("openai:my-vllm-model")  # installed or not: no known encoding
    assert (unknown.name, unknown.exact) == ("estimate", False)


def test_openai_counter_counts_chats_with_openai_framing() -> None:
    counter = openai_counter("gpt-4o")
    tok = tokenizer("o200k_base")
    expected = 3 + sum(3 + tok.count(m["role"]) + tok.count(m["content"]) for m in SEOUL)
    assert counter.chat(SEOUL) == expected
    parts = [
        {"role": "user", "content": [{"type": "text", "text": SEOUL[1]["content"]}]},
        {"role": "assistant", "content": SEOUL[2]["content"], "name": "guide", "weight": 1},
    ]
    flat = [
        {"role": "user", "content": SEOUL[1]["content"]},
        {"role": "assistant", "content": SEOUL[2]["content"]},
    ]
    assert counter.chat(parts) == counter.chat(flat) + tok.count("guide") + 1
    stats = token_stats([SEOUL], counter=counter)
    assert stats.assistant == [tok.count(SEOUL[2]["content"])]
    assert (stats.counter, stats.exact) == ("o200k_base", True)


def test_is_openai_model() -> None:
    assert is_openai_model("gpt-4o-mini") and is_openai_model("openai:anything")
    assert is_openai_model("ft:gpt-4o-mini-2024-07-18:acme:s:id")
    assert not is_openai_model("smollm2-135m") and not is_openai_model("echo:x")


@pytest.mark.parametrize(
    ("model", "encoding"),
    [(None, "o200k_base"), ("gpt-4o-mini", "o200k_base"), ("gpt-4", "cl100k_base")],
)
def test_validate_counts_exactly_for_the_target_family(
    tmp_path: Path, model: str | None, encoding: str
) -> None:
    path = write_jsonl(tmp_path / "seoul.jsonl", [SEOUL, SEOUL[1:]])
    report = validate_file(path, model=model, epochs=1)
    assert report.stats is not None and report.cost is not None
    assert (report.stats.counter, report.stats.exact) == (encoding, True)
    tok = tokenizer(encoding)
    assert report.stats.totals == [tok.count_chat(SEOUL), tok.count_chat(SEOUL[1:])]
    assert report.cost.billed_tokens == sum(report.stats.totals)
    assert report.as_dict()["stats"]["counter"] == encoding


def test_validate_labels_the_estimate_when_encodings_are_missing(
    tmp_path: Path, no_openai_encodings: None
) -> None:
    path = write_jsonl(tmp_path / "seoul.jsonl", [SEOUL])
    report = validate_file(path, model="gpt-4o-mini", max_tokens_per_example=10)
    assert report.stats is not None
    assert (report.stats.counter, report.stats.exact) == ("estimate", False)
    assert report.stats.totals == [EstimateCounter().chat(SEOUL)]
    (warning,) = [w for w in report.warnings if w.code == "too_many_tokens"]
    assert warning.message.startswith("about ")


def test_validate_says_exact_counts_without_about(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "seoul.jsonl", [SEOUL])
    report = validate_file(path, model="gpt-4o-mini", max_tokens_per_example=10)
    (warning,) = [w for w in report.warnings if w.code == "too_many_tokens"]
    assert warning.message.startswith(f"{tokenizer('o200k_base').count_chat(SEOUL)} tokens")
