"""Trained tokens per second: tuneloop's local LoRA (packing) vs transformers' Trainer + LoRA.

Both sides train the same LoRA (same rank, targets, learning rate, batch size, number of optimizer
steps) on the same Seoul Q/A examples (``examples/seoul-travel/qa/seed-qa.csv`` read through
``tuneloop.data.ingest``, tokenized once with assistant-only labels):

- (a) tuneloop: ``run_sft`` with packing (rows of ``--max-length`` tokens, padding-free
  position ids, output layer only on target tokens);
- (b) baseline: ``transformers.Trainer`` on a peft model, batches padded to their longest example,
  random order, no length grouping (``group_by_length`` no longer exists in transformers 5).

Throughput counts non-padding input tokens and skips the first step (warm-up) on both sides.
Usage::

    python bench/train_throughput.py                      # a small random Llama built here
    python bench/train_throughput.py --model smollm2-135m --steps 4

Prints both numbers and the ratio; nothing is asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEED_QA = ROOT / "examples" / "seoul-travel" / "qa" / "seed-qa.csv"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build_random_model(folder: Path) -> Path:
    """A random 4-layer Llama (hidden 256) with the test suite's byte-level tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    sys.path.insert(0, str(ROOT / "tests"))
    from fixtures.models import build_tiny_model

    build_tiny_model(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=256,
        intermediate_size=768,
        num_hidden_layers=4,
        num_attention_heads=8,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def load_examples(limit: int) -> list[Any]:
    from tuneloop.data.ingest import IngestOptions, ingest
    from tuneloop.data.records import Example, SkipReport

    records = ingest([SEED_QA], IngestOptions(), SkipReport())
    return [r for r in records if isinstance(r, Example)][:limit]


def run_tuneloop(model: str | Path, examples: list[Any], hp: Any, out: Path) -> tuple[float, int]:
    from tuneloop.train.sft_trainer import SftCallbacks, run_sft

    marks: list[tuple[float, int]] = []

    def on_event(message: str, data: dict[str, Any]) -> None:
        if "train_loss" in data:
            marks.append((time.perf_counter(), int(data["trained_tokens"])))

    run_sft(
        model, examples, None, hp, out, merge=False, callbacks=SftCallbacks(on_event), log_every=1
    )
    (t0, n0), (t1, n1) = marks[0], marks[-1]
    return (n1 - n0) / (t1 - t0), n1


def run_trainer(model: str | Path, examples: list[Any], hp: Any, out: Path) -> tuple[float, int]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainerCallback, TrainingArguments

    from tuneloop.train.base_model import load_base, locate_base_model
    from tuneloop.train.sft_data import tokenize_example

    base = load_base(locate_base_model(model), "cpu")
    tok = base.tokenizer
    rows = []
    for example in examples:
        t = tokenize_example(example, tok)
        if len(t) <= hp.max_length:
            labels = [i if m else -100 for i, m in zip(t.input_ids, t.label_mask, strict=True)]
            rows.append({"input_ids": list(t.input_ids), "labels": labels})
    torch.manual_seed(hp.seed)
    lora = LoraConfig(
        r=hp.lora_r,
        lora_alpha=hp.lora_alpha,
        lora_dropout=hp.lora_dropout,
        target_modules=list(hp.target_modules),
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(base.model, lora)
    pad = DataCollatorForSeq2Seq(tok, padding="longest", label_pad_token_id=-100)
    batch_tokens: list[int] = []

    def collate(features: list[dict[str, Any]]) -> Any:
        batch_tokens.append(sum(len(f["input_ids"]) for f in features))
        return pad(features)

    step_ends: list[float] = []

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            step_ends.append(time.perf_counter())

    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=hp.batch_size,
        max_steps=hp.max_steps,
        learning_rate=hp.learning_rate,
        lr_scheduler_type="linear",
        warmup_steps=math.ceil(hp.warmup_ratio * hp.max_steps),
        logging_strategy="no",
        save_strategy="no",
        report_to=[],
        seed=hp.seed,
        use_cpu=True,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=peft_model,
        args=args,
        train_dataset=rows,
        data_collator=collate,
        callbacks=[Clock()],
    )
    trainer.train()
    tokens = batch_tokens[: len(step_ends)]
    return sum(tokens[1:]) / (step_ends[-1] - step_ends[0]), sum(tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="base model (default: random Llama)")
    parser.add_argument("--examples", type=int, default=228)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument(
        "--no-packing", action="store_true", help="tuneloop side: length-grouped batches instead"
    )
    args = parser.parse_args()

    from tuneloop.train.base import Hyperparameters

    with tempfile.TemporaryDirectory() as tmp:
        model: str | Path = args.model or build_random_model(Path(tmp) / "random-llama")
        examples = load_examples(args.examples)
        hp = Hyperparameters(
            max_steps=args.steps,
            batch_size=args.batch_size,
            max_length=args.max_length,
            lora_dropout=0.0,
            save_every=10_000,
            packing=not args.no_packing,
        )
        print(
            f"model={args.model or 'random Llama 4×256'} examples={len(examples)} "
            f"steps={args.steps} batch_size={args.batch_size} max_length={args.max_length} "
            f"threads={__import__('torch').get_num_threads()}"
        )
        ours, ours_tokens = run_tuneloop(model, examples, hp, Path(tmp) / "ours")
        how = "length-grouped" if args.no_packing else "packing"
        print(f"tuneloop local-lora ({how}): {ours:8.1f} trained tokens/s ({ours_tokens} tokens)")
        base, base_tokens = run_trainer(model, examples, hp, Path(tmp) / "trainer")
        print(f"HF Trainer + LoRA (padding):   {base:8.1f} trained tokens/s ({base_tokens} tokens)")
        print(f"ratio: {ours / base:.2f}×")


if __name__ == "__main__":
    main()
