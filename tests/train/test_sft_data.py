"""Tokenization with assistant-only labels, packing and batching for local LoRA."""

from __future__ import annotations

import json
import shutil

import pytest

from tuneloop.data.records import Example
from tuneloop.errors import DataError
from tuneloop.train.base_model import FALLBACK_CHAT_TEMPLATE, load_tokenizer, locate_base_model
from tuneloop.train.sft_data import (
    IGNORE_INDEX,
    epoch_microbatches,
    make_batch,
    pack_rows,
    padding_waste,
    tokenize_example,
)

from .sft_examples import qa_examples


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return load_tokenizer(locate_base_model(tiny_model_dir))


def _labelled_runs(example, tok) -> list[str]:
    """Decoded text of each maximal run of labelled tokens."""
    runs, current = [], []
    for token, labelled in zip(example.input_ids, example.label_mask, strict=True):
        if labelled:
            current.append(token)
        elif current:
            runs.append(tok.decode(current))
            current = []
    if current:
        runs.append(tok.decode(current))
    return runs


def test_labels_cover_exactly_the_assistant_replies_and_their_end_token(tokenizer):
    example = Example(
        messages=[
            {"role": "system", "content": "서울 여행 도우미입니다."},
            {"role": "user", "content": "경복궁은 언제 쉬어요?"},
            {"role": "assistant", "content": "경복궁은 매주 화요일에 쉽니다."},
            {"role": "user", "content": "And Changdeokgung?"},
            {"role": "assistant", "content": "Changdeokgung closes on Mondays."},
        ]
    )
    tokenized = tokenize_example(example, tokenizer)
    eos = tokenizer.eos_token
    assert _labelled_runs(tokenized, tokenizer) == [
        f"경복궁은 매주 화요일에 쉽니다.{eos}",
        f"Changdeokgung closes on Mondays.{eos}",
    ]
    assert tokenized.label_tokens == sum(tokenized.label_mask)
    assert len(tokenized.input_ids) > sum(tokenized.label_mask) + 10  # prompts are not labelled


def test_assistant_messages_with_weight_zero_get_no_loss(tokenizer):
    example = Example(
        messages=[
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "잘못된 답입니다.", "weight": 0},
            {"role": "user", "content": "다시요"},
            {"role": "assistant", "content": "Good answer.", "weight": 1},
        ]
    )
    runs = _labelled_runs(tokenize_example(example, tokenizer), tokenizer)
    assert runs == [f"Good answer.{tokenizer.eos_token}"]


def test_example_without_trainable_reply_names_its_file_and_line(tokenizer):
    [example] = qa_examples([("질문만 있어요", "answer")], path="seoul.jsonl")
    example.messages[1]["weight"] = 0
    with pytest.raises(DataError, match=r"seoul\.jsonl:1"):
        tokenize_example(example, tokenizer)


def test_tokenizer_without_chat_template_falls_back_to_chatml(tiny_model_dir, tmp_path):
    folder = tmp_path / "no-template"
    shutil.copytree(tiny_model_dir, folder)
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config.pop("chat_template", None)
    config_file.write_text(json.dumps(config))
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    tok = load_tokenizer(locate_base_model(folder))
    assert tok.chat_template == FALLBACK_CHAT_TEMPLATE
    [example] = qa_examples([("Where is N Seoul Tower?", "남산 위에 있습니다.")])
    runs = _labelled_runs(tokenize_example(example, tok), tok)
    assert runs == ["남산 위에 있습니다.<|im_end|>"]


def test_packing_fills_rows_up_to_max_length_and_keeps_every_example():
    lengths = [90, 10, 60, 40, 30, 70, 5, 100]
    rows = pack_rows(lengths, 100)
    assert sorted(i for row in rows for i in row) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in row) <= 100 for row in rows)
    assert len(rows) == 5  # 405 tokens cannot fit in fewer rows of 100


def test_epoch_order_is_fixed_by_seed_and_epoch():
    lengths = list(range(1, 41))
    first = epoch_microbatches(lengths, 4, seed=3, epoch=1, group_by_length=False)
    assert first == epoch_microbatches(lengths, 4, seed=3, epoch=1, group_by_length=False)
    assert first != epoch_microbatches(lengths, 4, seed=3, epoch=2, group_by_length=False)
    assert sorted(i for b in first for i in b) == list(range(40))


def test_length_grouping_cuts_padding():
    lengths = [5, 100] * 32
    plain = epoch_microbatches(lengths, 8, seed=0, epoch=0, group_by_length=False)
    grouped = epoch_microbatches(lengths, 8, seed=0, epoch=0, group_by_length=True)
    assert sorted(i for b in grouped for i in b) == list(range(64))
    assert padding_waste(grouped, lengths) < 0.05 < padding_waste(plain, lengths)


def test_packed_batch_restarts_positions_and_never_targets_the_next_example(tokenizer):
    examples = [tokenize_example(e, tokenizer) for e in qa_examples()[:3]]
    batch = make_batch([examples[:2], examples[2:]], tokenizer.pad_token_id)
    first, second = len(examples[0]), len(examples[1])
    positions = batch.position_ids[0].tolist()
    assert positions[:first] == list(range(first))
    assert positions[first : first + second] == list(range(second))
    targets = batch.targets[0].tolist()
    assert targets[first - 1] == IGNORE_INDEX  # last token of example 1 predicts nothing
    assert targets[first + second - 1] == IGNORE_INDEX
    assert batch.tokens == sum(len(e) for e in examples)
    assert batch.label_tokens == sum(t != IGNORE_INDEX for t in batch.targets.flatten().tolist())
    row2 = batch.targets[1].tolist()
    assert all(t == IGNORE_INDEX for t in row2[len(examples[2]) :])  # padding has no targets


def test_packing_auto_packs_on_a_gpu_and_groups_by_length_on_a_cpu():
    from tuneloop.train.base import Hyperparameters

    auto = Hyperparameters()
    assert auto.packing is None
    assert auto.for_device("cuda").packing is True
    assert auto.for_device("cuda:1").packing is True
    assert auto.for_device("cpu").packing is False
    assert Hyperparameters(packing=True).for_device("cpu").packing is True
