"""Fine-tune the real SmolLM2-135M (GGUF, dequantized) for a few steps on the Seoul sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneloop.data.ingest import IngestOptions, ingest
from tuneloop.data.records import Example, SkipReport
from tuneloop.train.base import Hyperparameters
from tuneloop.train.sft_trainer import run_sft

SEED_QA = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel" / "qa" / "seed-qa.csv"


@pytest.mark.slow
def test_smollm2_lora_lowers_the_loss_and_the_merged_model_serves(smollm2_available, tmp_path):
    from tuneloop.models.local import LocalChatModel
    from tuneloop.models.types import Message, SamplingParams

    records = ingest([SEED_QA], IngestOptions(), SkipReport())
    examples = [r for r in records if isinstance(r, Example)][:16]
    hp = Hyperparameters(
        max_steps=6,
        batch_size=2,
        learning_rate=2e-3,
        max_length=256,
        warmup_ratio=0.0,
        scheduler="constant",
        lora_dropout=0.0,
        eval_every=6,
        save_every=100,
    )
    # validation = the training examples: their loss must fall below the pre-training baseline
    result = run_sft("smollm2-135m", examples, examples[:8], hp, tmp_path)
    assert result.status == "succeeded" and result.steps == 6
    baseline = result.history[0]["valid_loss"]
    assert result.valid_loss is not None and result.valid_loss < baseline

    assert result.merged_dir is not None
    model = LocalChatModel("seoul-ft", {"target": str(result.merged_dir)})
    completion = model.generate(
        [Message(role="user", content="경복궁 휴궁일이 언제예요?")],
        SamplingParams(max_tokens=16, temperature=0.0),
    )
    assert completion.text.strip()
