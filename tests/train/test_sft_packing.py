"""Packed rows isolate their examples: no token attends to (or predicts) another example."""

from __future__ import annotations

import pytest

from tuneloop.train.base_model import load_base, locate_base_model, use_segment_attention
from tuneloop.train.sft_data import make_batch, tokenize_example
from tuneloop.train.sft_trainer import _LossFn

from .sft_examples import qa_examples


@pytest.fixture(scope="module", params=["sdpa", "segments"])
def peft_model(tiny_model_dir, request):
    """The tiny model with a random LoRA, with transformers' packed-sequence mask (``sdpa``, the
    GPU path) or tuneloop's per-example attention (the CPU path)."""
    import torch
    from peft import LoraConfig, get_peft_model

    base = load_base(locate_base_model(tiny_model_dir), "cpu")
    if request.param == "segments":
        assert use_segment_attention(base.model) == "sdpa"
    torch.manual_seed(0)
    model = get_peft_model(
        base.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    )
    model.eval()
    return model, base.tokenizer


def test_packed_row_loss_equals_sum_of_separate_losses(peft_model):
    import torch

    model, tok = peft_model
    loss = _LossFn(model)
    examples = [tokenize_example(e, tok) for e in qa_examples()[:4]]
    with torch.no_grad():
        packed = loss(make_batch([examples], tok.pad_token_id))
        separate = sum(loss(make_batch([[e]], tok.pad_token_id)) for e in examples)
        # two packed rows of unequal length: the shorter one's padding must not leak either
        two_rows = loss(make_batch([examples[:3], examples[3:]], tok.pad_token_id))
    assert float(packed) == pytest.approx(float(separate), rel=1e-5)
    assert float(two_rows) == pytest.approx(float(separate), rel=1e-5)


def test_output_layer_on_targets_only_matches_the_full_forward_pass(peft_model):
    import torch
    import torch.nn.functional as F

    model, tok = peft_model
    examples = [tokenize_example(e, tok) for e in qa_examples()[4:8]]
    batch = make_batch([examples[:2], examples[2:]], tok.pad_token_id)
    with torch.no_grad():
        fast = _LossFn(model)(batch)
        logits = model(
            input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False
        ).logits
        full = F.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), reduction="sum")
    assert float(fast) == pytest.approx(float(full), rel=1e-5)
