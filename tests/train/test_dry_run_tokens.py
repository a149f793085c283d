"""``train run --dry-run`` prices OpenAI training with exact token counts, and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.data.tokenstats import EstimateCounter
from tuneloop.text.openai_tokens import tokenizer
from tuneloop.train.config import TrainConfig
from tuneloop.train.dry_run import estimate_run

EXAMPLES = [
    [
        {"role": "system", "content": "당신은 서울 여행 도우미입니다."},
        {"role": "user", "content": f"{place}은 몇 시에 문을 여나요?"},
        {"role": "assistant", "content": f"{place}은 오전 9시에 문을 엽니다."},
    ]
    for place in ("경복궁", "창덕궁", "덕수궁", "국립중앙박물관")
]


@pytest.fixture
def train_file(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text(
        "".join(json.dumps({"messages": m}, ensure_ascii=False) + "\n" for m in EXAMPLES),
        encoding="utf-8",
    )
    return path


def openai_config(train_file: Path, base_model: str = "gpt-4o-mini-2024-07-18") -> TrainConfig:
    return TrainConfig(
        trainer="openai",
        base_model=base_model,
        training_data=str(train_file),
        hyperparameters={"n_epochs": 2},
    )


def test_openai_dry_run_counts_exactly_with_the_base_models_encoding(train_file: Path) -> None:
    estimate = estimate_run(openai_config(train_file), None)
    exact = sum(tokenizer("o200k_base").count_chat(m) for m in EXAMPLES)
    assert estimate.tokens_exact and estimate.openai_token_counter == "o200k_base"
    assert estimate.tokens_per_epoch == exact
    (cost,) = estimate.openai_costs
    assert cost.billed_tokens == 2 * exact
    assert cost.cost_usd == pytest.approx(2 * exact * 3.0 / 1e6)
    assert "exact token counts (o200k_base)" in estimate.price_note
    assert ("tokens per epoch", f"{exact:,}") in estimate.rows()


def test_older_models_count_with_cl100k(train_file: Path) -> None:
    estimate = estimate_run(openai_config(train_file, "gpt-3.5-turbo-0125"), None)
    assert estimate.openai_token_counter == "cl100k_base"
    assert estimate.tokens_per_epoch == sum(
        tokenizer("cl100k_base").count_chat(m) for m in EXAMPLES
    )


def test_openai_dry_run_labels_the_estimate_when_encodings_are_missing(
    train_file: Path, no_openai_encodings: None
) -> None:
    estimate = estimate_run(openai_config(train_file), None)
    assert not estimate.tokens_exact and estimate.openai_token_counter == "estimate"
    assert estimate.tokens_per_epoch == sum(EstimateCounter().chat(m) for m in EXAMPLES)
    assert "estimated token counts" in estimate.price_note
    assert dict(estimate.rows())["tokens per epoch"].endswith("(estimate)")
    assert estimate.as_dict()["openai_token_counter"] == "estimate"
