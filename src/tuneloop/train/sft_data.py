"""Chat examples → token rows for supervised fine-tuning: assistant-only labels, packing, batches.

Labels: each conversation is rendered once with the tokenizer's chat template (what the model
sees when it serves), tokenized with character offsets, and only the tokens of assistant message
contents plus the end-of-turn token that closes them are training targets. Why not ask the
template for an assistant mask (``return_assistant_tokens_mask``): few templates mark their
assistant turns with ``{% generation %}``; rendering the conversation prefix before and after each
assistant turn works with any template whose renderings extend each other (ChatML, Llama 3,
Gemma…), and one that does not is refused with a clear error. Messages with ``"weight": 0``
(OpenAI's convention) are context only.

Packing: examples are placed into rows of at most ``max_length`` tokens by first-fit
decreasing (deterministic), and each row carries ``position_ids`` that restart at 0 for every
example. The model is called with ``position_ids``, no ``attention_mask`` and ``use_cache=False``;
transformers then derives a block-diagonal causal mask from the position restarts, so no token
attends across examples (``tests/train/test_sft_packing.py`` checks that a packed row's loss
equals the sum of the examples' separate losses). The same holds for the padding at a row's end:
its positions restart too, and it has no targets. Targets are shifted per example here
(``targets[t]`` is the token that ``t`` predicts), so the last token of one example is never
asked to predict the first token of the next.

Without packing, batches are grouped by length: each epoch's permutation (seed + epoch) is cut
into buckets of ``LENGTH_BUCKET`` batches, each bucket is sorted by length and cut into batches,
and the batch order is shuffled again — little padding, still random order.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tuneloop.data.records import Example
from tuneloop.errors import DataError, TrainError

__all__ = [
    "IGNORE_INDEX",
    "LENGTH_BUCKET",
    "Batch",
    "TokenizedExample",
    "describe_example",
    "epoch_microbatches",
    "make_batch",
    "pack_rows",
    "padding_waste",
    "steps_per_epoch",
    "tokenize_example",
]

IGNORE_INDEX = -100
LENGTH_BUCKET = 32
_TRAINED_ROLES = {"assistant"}
_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


@dataclass(frozen=True)
class TokenizedExample:
    """One conversation as tokens; ``label_mask[t]`` says whether token ``t`` is a target."""

    id: str
    input_ids: tuple[int, ...]
    label_mask: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def label_tokens(self) -> int:
        """Tokens the loss is computed on (the first token can never be a target)."""
        return sum(self.label_mask[1:])


def describe_example(example: Example) -> str:
    """``path:line (id …)`` when the example knows its source, else ``id …``."""
    return f"{example.source} (id {example.id})" if example.source else f"id {example.id}"


def _chat_messages(example: Example) -> list[dict[str, str]]:
    if not isinstance(example.messages, list) or not example.messages:
        raise DataError(
            f"{describe_example(example)}: the example has no messages.",
            hint="Each example needs a list of chat messages with at least one assistant reply.",
        )
    clean = []
    for number, message in enumerate(example.messages, start=1):
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES:
            raise DataError(
                f"{describe_example(example)}: message {number} has role {role!r}.",
                hint=f"Use one of: {', '.join(sorted(_ROLES))}.",
            )
        if not isinstance(content, str):
            raise DataError(
                f"{describe_example(example)}: message {number} ({role}) has no text content.",
                hint="Local LoRA training needs every message's content as a string.",
            )
        clean.append({"role": "system" if role == "developer" else str(role), "content": content})
    return clean


def _trained(message: dict[str, Any]) -> bool:
    return message.get("role") in _TRAINED_ROLES and message.get("weight", 1) != 0


def _render(tokenizer: Any, messages: list[dict[str, str]], *, generation_prompt: bool) -> str:
    text: str = tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=generation_prompt
    )
    return text


def _label_spans(
    example: Example, tokenizer: Any, messages: list[dict[str, str]]
) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of its trained assistant replies."""
    full = _render(tokenizer, messages, generation_prompt=False)
    eot = tokenizer.eos_token or ""
    spans: list[tuple[int, int]] = []
    for i, (raw, message) in enumerate(zip(example.messages, messages, strict=True)):
        if not _trained(raw):
            continue
        prefix = _render(tokenizer, messages[:i], generation_prompt=True) if i else ""
        upto = _render(tokenizer, messages[: i + 1], generation_prompt=False)
        content = message["content"]
        found = upto.find(content, len(prefix)) if upto.startswith(prefix) else -1
        if not full.startswith(upto) or found < 0:
            raise TrainError(
                f"{describe_example(example)}: the chat template does not render this "
                "conversation turn by turn (the text before an assistant reply changes when the "
                "reply is added), so assistant tokens cannot be found.",
                hint="Use a model whose chat template renders prefixes consistently (ChatML, "
                "Llama 3, Gemma), or set the tokenizer's chat_template.",
            )
        end = found + len(content)
        tail = upto[end:]
        if eot and tail.lstrip().startswith(eot):
            end += tail.index(eot) + len(eot)
        else:
            end += len(tail.rstrip())
        spans.append((found, end))
    return full, spans


def tokenize_example(example: Example, tokenizer: Any) -> TokenizedExample:
    """Render ``example`` with the chat template and mark its assistant tokens as targets.

    Raises :class:`DataError` for a malformed example or one with no trained assistant message.
    """
    messages = _chat_messages(example)
    if not any(_trained(m) for m in example.messages):
        raise DataError(
            f"{describe_example(example)}: no assistant message to learn from (none, or all "
            'have "weight": 0).',
            hint="Each training example needs at least one assistant reply.",
        )
    text, spans = _label_spans(example, tokenizer, messages)
    if getattr(tokenizer, "is_fast", False):
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(encoded["input_ids"])
        mask = [
            any(start < s_end and end > s_start for s_start, s_end in spans)
            for start, end in encoded["offset_mapping"]
        ]
    else:  # slow tokenizers have no offsets: encode the pieces between span edges one by one
        ids, mask = [], []
        edges = sorted({0, len(text), *(e for span in spans for e in span)})
        for start, end in itertools.pairwise(edges):
            piece = tokenizer(text[start:end], add_special_tokens=False)["input_ids"]
            inside = any(s <= start and end <= e for s, e in spans)
            ids += piece
            mask += [inside] * len(piece)
    return TokenizedExample(id=example.id, input_ids=tuple(ids), label_mask=tuple(mask))


def pack_rows(lengths: Sequence[int], max_length: int) -> list[list[int]]:
    """Example indices grouped into rows of at most ``max_length`` tokens (first-fit decreasing;
    ties keep input order, so the result depends only on the lengths)."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    rows: list[list[int]] = []
    free: list[int] = []
    for i in order:
        size = lengths[i]
        if size > max_length:
            raise TrainError(f"example {i} has {size} tokens, more than max_length {max_length}")
        for r, room in enumerate(free):
            if size <= room:
                rows[r].append(i)
                free[r] -= size
                break
        else:
            rows.append([i])
            free.append(max_length - size)
    return rows


def epoch_microbatches(
    unit_lengths: Sequence[int],
    batch_size: int,
    *,
    seed: int,
    epoch: int,
    group_by_length: bool,
) -> list[list[int]]:
    """The micro-batches (lists of unit indices) of one epoch, in training order.

    A unit is a packed row (packing) or a single example. Order is a permutation seeded by
    ``seed + epoch``, so any epoch can be rebuilt exactly when a run resumes.
    """
    rng = random.Random(seed + epoch)
    order = list(range(len(unit_lengths)))
    rng.shuffle(order)
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    bucket = batch_size * LENGTH_BUCKET
    batches: list[list[int]] = []
    for start in range(0, len(order), bucket):
        chunk = sorted(order[start : start + bucket], key=lambda i: -unit_lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def steps_per_epoch(n_units: int, batch_size: int, grad_accum: int) -> int:
    """Optimizer steps in one epoch (the last step may accumulate fewer micro-batches)."""
    return max(1, math.ceil(math.ceil(n_units / batch_size) / grad_accum))


@dataclass
class Batch:
    """One micro-batch as tensors: ``input_ids``, ``position_ids`` and shifted ``targets``
    (``IGNORE_INDEX`` where there is nothing to learn), all ``[rows, length]``."""

    input_ids: Any
    position_ids: Any
    targets: Any
    tokens: int
    label_tokens: int

    def to(self, device: str) -> Batch:
        return Batch(
            self.input_ids.to(device),
            self.position_ids.to(device),
            self.targets.to(device),
            self.tokens,
            self.label_tokens,
        )


def make_batch(rows: Sequence[Sequence[TokenizedExample]], pad_id: int) -> Batch:
    """Tensors for rows of examples (one example per row when not packing), padded to the
    longest row. Position ids restart per example and in the padding."""
    import torch

    width = max(sum(len(e) for e in row) for row in rows)
    ids_rows, pos_rows, tgt_rows = [], [], []
    tokens = labels = 0
    for row in rows:
        ids: list[int] = []
        pos: list[int] = []
        tgt: list[int] = []
        for example in row:
            n = len(example)
            ids += example.input_ids
            pos += range(n)
            tgt += [
                example.input_ids[t + 1] if example.label_mask[t + 1] else IGNORE_INDEX
                for t in range(n - 1)
            ]
            tgt.append(IGNORE_INDEX)
            tokens += n
            labels += example.label_tokens
        pad = width - len(ids)
        ids += [pad_id] * pad
        pos += range(pad)
        tgt += [IGNORE_INDEX] * pad
        ids_rows.append(ids)
        pos_rows.append(pos)
        tgt_rows.append(tgt)
    return Batch(
        input_ids=torch.tensor(ids_rows, dtype=torch.long),
        position_ids=torch.tensor(pos_rows, dtype=torch.long),
        targets=torch.tensor(tgt_rows, dtype=torch.long),
        tokens=tokens,
        label_tokens=labels,
    )


def padding_waste(microbatches: Sequence[Sequence[int]], unit_lengths: Sequence[int]) -> float:
    """Share of padded positions (0–1) when each micro-batch is padded to its longest unit."""
    total = used = 0
    for batch in microbatches:
        lengths = [unit_lengths[i] for i in batch]
        total += max(lengths) * len(lengths)
        used += sum(lengths)
    return 1 - used / total if total else 0.0
