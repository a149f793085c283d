"""Merge a LoRA adapter into its base model and save a plain Hugging Face folder.

Why merge: the merged folder is an ordinary model (``config.json``, safetensors weights, the
tokenizer with its chat template, the generation config), so the local backend serves it as
``local:<path>`` at the base model's speed, with no peft at serving time, and it can be converted
to GGUF for llama.cpp. The adapter alone stays available for stacking or sharing (a few MB).

Weights are saved in fp32: GGUF bases are dequantized for training (DOMAIN.md) and the local
backend loads fp32 anyway. The folder is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from tuneloop.train.base_model import load_base, locate_base_model
from tuneloop.train.checkpoints import replace_dir

__all__ = ["merge_adapter", "save_merged"]


def save_merged(peft_model: Any, tokenizer: Any, out_dir: Path) -> Path:
    """Merge ``peft_model``'s adapter into its weights (in place: the object is the merged base
    model afterwards) and save it with ``tokenizer`` to ``out_dir``, atomically."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    merged = peft_model.merge_and_unload()
    merged.eval()
    eos = tokenizer.eos_token_id
    generation = getattr(merged, "generation_config", None)
    if generation is not None and eos is not None and generation.eos_token_id is None:
        generation.eos_token_id = eos
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out_dir.name}-", dir=out_dir.parent))
    try:
        merged.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def merge_adapter(
    base_model: str | Path, adapter_dir: Path, out_dir: Path, *, device: str | None = "cpu"
) -> Path:
    """Load ``base_model`` fresh, apply the adapter saved in ``adapter_dir``, merge and save an
    HF folder to ``out_dir`` (loadable as ``local:<out_dir>``)."""
    from peft import PeftModel

    base = load_base(locate_base_model(base_model), device)
    model = PeftModel.from_pretrained(base.model, str(adapter_dir))
    return save_merged(model, base.tokenizer, Path(out_dir))
