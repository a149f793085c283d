"""The merged model is the adapter baked in: same logits, and the local backend serves it."""

from __future__ import annotations

import pytest

from tuneloop.train.merge import merge_adapter
from tuneloop.train.sft_trainer import run_sft

from .sft_examples import fast_hp, qa_examples


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("merge-run")
    hp = fast_hp(n_epochs=5, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "up_proj"])
    return run_sft(tiny_model_dir, qa_examples(), None, hp, out)


def _batch(tokenizer):
    import torch

    texts = ["<|im_start|>user\n서울 지하철 요금은?<|im_end|>\n", "Hello, Seoul!"]
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(map(len, ids))
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([row + [pad] * (width - len(row)) for row in ids])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
    return input_ids, mask


def test_merged_logits_equal_adapter_on_logits(trained, tiny_model_dir):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert trained.merged_dir is not None
    tokenizer = AutoTokenizer.from_pretrained(trained.merged_dir)
    input_ids, mask = _batch(tokenizer)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    with torch.no_grad():
        plain = base(input_ids=input_ids, attention_mask=mask).logits
        adapted = PeftModel.from_pretrained(base, str(trained.adapter_dir)).eval()
        adapter_logits = adapted(input_ids=input_ids, attention_mask=mask).logits
        merged = AutoModelForCausalLM.from_pretrained(trained.merged_dir, dtype=torch.float32)
        merged_logits = merged(input_ids=input_ids, attention_mask=mask).logits
    assert not torch.allclose(plain, adapter_logits, atol=1e-3)  # training changed something
    torch.testing.assert_close(merged_logits, adapter_logits, atol=1e-4, rtol=0)


def test_merge_adapter_from_disk_matches_the_merge_after_training(
    trained, tiny_model_dir, tmp_path
):
    import torch
    from safetensors.torch import load_file

    out = merge_adapter(tiny_model_dir, trained.adapter_dir, tmp_path / "again")
    again = load_file(out / "model.safetensors")
    first = load_file(trained.merged_dir / "model.safetensors")
    assert again.keys() == first.keys()
    for name, tensor in first.items():
        torch.testing.assert_close(again[name], tensor, atol=1e-6, rtol=0)


def test_local_backend_serves_the_merged_folder(trained):
    from tuneloop.models.local import LocalChatModel
    from tuneloop.models.types import Message, SamplingParams

    model = LocalChatModel("ft", {"target": str(trained.merged_dir)})
    completion = model.generate(
        [Message(role="user", content="서울의 유명한 관광지는?")],
        SamplingParams(max_tokens=8, temperature=0.0),
    )
    assert completion.usage.completion_tokens > 0
