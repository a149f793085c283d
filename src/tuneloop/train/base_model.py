"""Find and load the base model a LoRA run starts from: a fresh, trainable fp32 copy.

Why not reuse the serving cache (:func:`tuneloop.models.local.load_weights`): LoRA injects its
layers into the model object in place, so training on the cached instance would change what the
server answers with. Locating the weights is shared with the local backend
(:func:`~tuneloop.models.local.resolve_weights_location`), so a name means the same files in
``tuneloop chat`` and ``tuneloop train``.

GGUF weights load dequantized to fp32 but keep transformers' quantizer marker, which makes
training code (and ``save_pretrained``) treat them as quantized; :func:`load_base` drops it
(DOMAIN.md, "The local model stack").

A tokenizer without a chat template gets :data:`FALLBACK_CHAT_TEMPLATE` (ChatML, the format of
SmolLM2 and Qwen), and the merged model is saved with it, so what was trained is what is served.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneloop.errors import BackendError, ModelNotFound, TrainError

__all__ = [
    "FALLBACK_CHAT_TEMPLATE",
    "SEGMENT_ATTENTION",
    "BaseModelLocation",
    "LoadedBase",
    "linear_module_names",
    "load_base",
    "load_config",
    "load_tokenizer",
    "locate_base_model",
    "meta_model",
    "pick_device",
    "use_segment_attention",
]

FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class BaseModelLocation:
    """Where a base model's weights lie: an HF folder, optionally a GGUF file inside it."""

    name: str
    folder: Path
    gguf_file: str | None = None

    @property
    def kwargs(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"local_files_only": True}
        if self.gguf_file:
            extra["gguf_file"] = self.gguf_file
        return extra


def locate_base_model(
    base_model: str | Path, *, spec_config: Mapping[str, Any] | None = None
) -> BaseModelLocation:
    """Resolve ``base_model``: an HF folder or ``.gguf`` path, ``local:PATH``, or a built-in model
    name (``smollm2-135m``). ``spec_config`` (a registered model's config from the project's
    store, as the job worker has it) takes precedence over the name."""
    from tuneloop.models.local import resolve_weights_location

    name = str(base_model)
    config: Mapping[str, Any] | None = spec_config
    if config is None:
        path = Path(name[len("local:") :] if name.startswith("local:") else name).expanduser()
        if isinstance(base_model, Path) or path.exists() or name.startswith("local:"):
            config = {"path": str(path)}
        else:
            from tuneloop.models.catalog import builtin_models

            spec = builtin_models().get(name)
            if spec is None:
                known = ", ".join(sorted(builtin_models())) or "none"
                raise ModelNotFound(
                    f"Base model {name!r} is neither a model folder nor a known model name.",
                    hint=f"Known built-in models: {known}; or pass a path to a Hugging Face "
                    "model folder (local:/path/to/folder).",
                    param="model",
                )
            if spec.backend != "local":
                raise TrainError(
                    f"Model {name!r} is served by the {spec.backend!r} backend; local LoRA needs "
                    "weights on this machine.",
                    hint="Use the openai trainer for hosted models, or a local model.",
                )
            config = spec.config
    try:
        location = resolve_weights_location(config)
    except BackendError as exc:
        raise TrainError(
            f"Cannot find the weights of base model {name!r}: {exc.message}", hint=exc.hint
        ) from exc
    return BaseModelLocation(name=name, folder=location.folder, gguf_file=location.gguf_file)


def pick_device(device: str | None) -> str:
    """``None``/``"auto"`` → CUDA when available, else CPU."""
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def load_config(location: BaseModelLocation) -> Any:
    """The model's ``PretrainedConfig`` (reads only metadata, no weights)."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(location.folder, **location.kwargs)
    except (OSError, ValueError) as exc:
        raise TrainError(f"Cannot read the config of {location.name!r}: {exc}") from exc


def load_tokenizer(location: BaseModelLocation) -> Any:
    """The tokenizer, with :data:`FALLBACK_CHAT_TEMPLATE` when it has no chat template and a pad
    token (eos) when it has none."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(location.folder, **location.kwargs)
    except (OSError, ValueError) as exc:
        raise TrainError(f"Cannot load the tokenizer of {location.name!r}: {exc}") from exc
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def meta_model(config: Any) -> Any:
    """The model's architecture built on the meta device: module names and parameter counts
    without loading (or allocating) any weights."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]


def linear_module_names(model: Any) -> list[str]:
    """Leaf names of the model's ``nn.Linear`` modules: what LoRA ``target_modules`` may name."""
    import torch

    names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    return sorted(names)


@dataclass
class LoadedBase:
    """A freshly loaded base model (fp32, on ``device``) and its tokenizer."""

    location: BaseModelLocation
    model: Any
    tokenizer: Any
    device: str


def load_base(location: BaseModelLocation, device: str | None = None) -> LoadedBase:
    """Load a private, trainable fp32 copy of the base model; never downloads."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    tokenizer = load_tokenizer(location)
    try:
        model: Any = AutoModelForCausalLM.from_pretrained(
            location.folder, dtype=torch.float32, **location.kwargs
        )
    except (OSError, ValueError) as exc:
        raise TrainError(
            f"Could not load base model {location.name!r} from {location.folder}: {exc}",
            hint="Check that the folder holds a complete model; tuneloop never downloads weights.",
        ) from exc
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    dev = pick_device(device)
    model.to(dev)
    return LoadedBase(location=location, model=model, tokenizer=tokenizer, device=dev)


SEGMENT_ATTENTION = "tuneloop_segments"


def _segment_sdpa(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[Any, None]:
    """Causal attention computed separately for every example of a packed row.

    Each run of positions that starts at 0 is one example (or the row's padding); each is
    attended with ``is_causal=True`` on its own, so the cost is the sum of the examples' squared
    lengths, not the row's squared length, and no mask is ever materialized.
    """
    import torch
    import torch.nn.functional as F
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    position_ids = kwargs.get("position_ids")
    if position_ids is None or query.shape[2] != key.shape[2]:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    batch, heads, length, _ = query.shape
    gqa = heads != key.shape[1]
    position_ids = position_ids.expand(batch, -1)
    rows = []
    for b in range(batch):
        starts = [*(position_ids[b] == 0).nonzero().flatten().tolist(), length]
        pieces = [
            F.scaled_dot_product_attention(
                query[b : b + 1, :, s:e],
                key[b : b + 1, :, s:e],
                value[b : b + 1, :, s:e],
                dropout_p=dropout,
                is_causal=True,
                scale=scaling,
                enable_gqa=gqa,
            )
            for s, e in itertools.pairwise(starts)
            if e > s
        ]
        rows.append(torch.cat(pieces, dim=2))
    return torch.cat(rows, dim=0).transpose(1, 2).contiguous(), None


def _no_mask(*args: Any, **kwargs: Any) -> None:
    return None


def use_segment_attention(model: Any) -> str:
    """Switch ``model`` to per-example attention for packed rows (see :func:`_segment_sdpa`);
    return the previous implementation's name so it can be restored before saving.

    Why: on a CPU, PyTorch's attention with an explicit block-diagonal mask runs the full
    row-by-row product and materializes the mask, which made 1,024-token packed rows slower per
    token than padded batches; per-example causal attention removes that cost. On a GPU the
    default path (transformers' packed-sequence mask or flash-attention's varlen kernels) is kept.
    """
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(SEGMENT_ATTENTION, _segment_sdpa)
    AttentionMaskInterface.register(SEGMENT_ATTENTION, _no_mask)
    previous = str(model.config._attn_implementation)
    model.set_attn_implementation(SEGMENT_ATTENTION)
    return previous
