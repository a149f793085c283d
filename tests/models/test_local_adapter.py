"""The local backend serves a base model with a LoRA adapter merged in (how a training checkpoint
``ft:…:ckpt-step-N`` is served), without touching the base model's shared weights."""

from __future__ import annotations

import pytest
import torch

from train.test_jobs_fakes import build_tiny_adapter
from tuneloop.errors import BackendUnavailable
from tuneloop.models.local import LocalChatModel
from tuneloop.models.types import Message, SamplingParams

Q_PROJ = "model.layers.0.self_attn.q_proj.weight"


def test_an_adapter_is_merged_into_a_fresh_copy_of_the_base(tiny_model_dir, tmp_path):
    adapter = build_tiny_adapter(tiny_model_dir, tmp_path / "adapter")
    base = LocalChatModel("tiny", {"path": str(tiny_model_dir)})
    before = base.weights.model.state_dict()[Q_PROJ].clone()

    tuned = LocalChatModel("ckpt", {"path": str(tiny_model_dir), "adapter": str(adapter)})

    assert not torch.equal(tuned.weights.model.state_dict()[Q_PROJ], before)
    assert torch.equal(base.weights.model.state_dict()[Q_PROJ], before)
    assert not any("lora" in key for key in tuned.weights.model.state_dict())
    answer = tuned.generate([Message("user", "경복궁?")], SamplingParams(max_tokens=3))
    assert answer.usage.completion_tokens > 0


def test_a_folder_that_is_not_an_adapter_is_a_clear_error(tiny_model_dir, tmp_path):
    with pytest.raises(BackendUnavailable, match="not a LoRA adapter"):
        LocalChatModel("ckpt", {"path": str(tiny_model_dir), "adapter": str(tmp_path)})
