"""OpenAI-specific parts of :mod:`tuneloop.data.tokenstats`: fine-tuned inference prices and the
counter picked for an OpenAI model."""

from __future__ import annotations

import pytest

from tuneloop.data.tokenstats import (
    INFERENCE_PRICE_PER_MILLION,
    inference_price,
    openai_counter,
)


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


def test_openai_counter_reports_whether_it_is_exact() -> None:
    counter = openai_counter("gpt-4o-mini")
    assert counter.name in {"o200k_base", "estimate"}
    assert counter.exact == (counter.name != "estimate")
