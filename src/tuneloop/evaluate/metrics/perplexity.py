"""``perplexity``: how natural the output reads to a reference language model.

The output alone (not the question) is scored by a local causal LM — by default the built-in
``smollm2-135m`` — loaded through :mod:`tuneloop.models.local`, so the weights a chat model already
loaded are reused and nothing is downloaded. Each text is prefixed with the tokenizer's BOS token
(else EOS) so its first token is scored too; perplexity is ``exp`` of the mean negative
log-likelihood per token.

Perplexity is unbounded, so it is mapped to ``[0, 1]`` by the monotone
``value = 1 / (1 + ln(perplexity))``: 1.0 at perplexity 1, 0.5 at e ≈ 2.7, 0.25 at e³ ≈ 20, 0.18
at 100. The raw perplexity is in ``details``. Values are only comparable under the same reference
model; a small model finds any Korean text fairly surprising, so compare runs, not absolute values.

Batched (:meth:`Perplexity.score_batch`): texts sorted by length, right-padded with an attention
mask, so a batch gives the same numbers as scoring one text at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score

if TYPE_CHECKING:
    from tuneloop.models.local import LocalWeights

__all__ = ["DEFAULT_MODEL", "Perplexity", "perplexity_value"]

DEFAULT_MODEL = "smollm2-135m"


def perplexity_value(perplexity: float) -> float:
    """The documented map to ``[0, 1]``: ``1 / (1 + ln(perplexity))`` (perplexity ≥ 1)."""
    return 1.0 / (1.0 + math.log(max(perplexity, 1.0)))


def _weights_loader(name: str, context: MetricContext) -> Callable[[], LocalWeights]:
    """How to get the reference model's weights: a model folder or ``.gguf`` path, a name the
    context's model resolver knows (must be a local model), or a built-in local model."""
    from tuneloop.models.catalog import builtin_models
    from tuneloop.models.local import load_weights, resolve_weights_location

    path = Path(name).expanduser()
    config: Mapping[str, Any] | None = None
    if path.exists():
        config = {"path": str(path)}
    elif name.startswith("local:"):
        config = {"target": name.removeprefix("local:")}
    elif context.models is not None:
        model = context.models(name)
        if not hasattr(model, "weights"):
            raise InvalidRequest(
                f"Metric `perplexity`: model `{name}` is not a local transformers model, so its "
                "token probabilities cannot be read.",
                hint=f"Use a local model (the default is {DEFAULT_MODEL}) or a model folder path.",
                param="model",
            )
        return lambda: model.weights
    else:
        spec = builtin_models().get(name)
        if spec is not None and spec.backend == "local":
            config = spec.config
    if config is None:
        local = sorted(n for n, s in builtin_models().items() if s.backend == "local")
        raise InvalidRequest(
            f"Metric `perplexity`: parameter `model` names no local model: {name!r}.",
            hint=f"Use a built-in local model ({', '.join(local) or 'none installed'}), "
            "a model folder or .gguf path, or local:PATH.",
            param="model",
        )
    location = resolve_weights_location(config)
    return lambda: load_weights(location.folder, location.gguf_file)


class Perplexity:
    """``1 / (1 + ln(perplexity))`` of the output under a local reference model."""

    name = "perplexity"
    category: Category = "fluency"

    def __init__(
        self, weights: Callable[[], LocalWeights], *, model: str, batch_size: int = 8
    ) -> None:
        self.weights = weights
        self.model = model
        self.batch_size = batch_size

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Perplexity:
        reader = Params(cls.name, params)
        model = reader.text("model", DEFAULT_MODEL)
        batch_size = reader.integer("batch_size", 8, minimum=1)
        reader.done()
        return cls(_weights_loader(model, context), model=model, batch_size=batch_size)

    def score(self, case: EvalCase, output: str) -> Score:
        return self.score_batch([case], [output])[0]

    def score_batch(self, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]:
        if len(cases) != len(outputs):
            raise ValueError(f"{len(cases)} cases but {len(outputs)} outputs")
        scores: list[Score] = [Score(0.0, {"error": "empty output"})] * len(outputs)
        todo = [i for i, text in enumerate(outputs) if text.strip()]
        if not todo:
            return scores
        weights = self.weights()
        encoded = {i: self._encode(weights, outputs[i]) for i in todo}
        for i in todo:
            if len(encoded[i]) < 2:  # no start token and a one-token text: nothing to predict
                scores[i] = Score(0.0, {"error": "too short to score (one token)"})
        todo = sorted((i for i in todo if len(encoded[i]) >= 2), key=lambda i: len(encoded[i]))
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            nlls = self._mean_nll(weights, [encoded[i] for i in chunk])
            for i, nll in zip(chunk, nlls, strict=True):
                perplexity = math.exp(nll)
                scores[i] = Score(
                    perplexity_value(perplexity),
                    {"perplexity": perplexity, "tokens": len(encoded[i]) - 1, "model": self.model},
                )
        return scores

    @staticmethod
    def _encode(weights: LocalWeights, text: str) -> list[int]:
        tokenizer = weights.tokenizer
        start = tokenizer.bos_token_id
        if start is None:
            start = tokenizer.eos_token_id
        ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
        prefix = [int(start)] if start is not None else []
        window = getattr(weights.model.config, "max_position_embeddings", None) or 2048
        return (prefix + ids)[: int(window)]

    @staticmethod
    def _mean_nll(weights: LocalWeights, batch: list[list[int]]) -> list[float]:
        """Mean negative log-likelihood per predicted token of each right-padded sequence."""
        import torch

        width = max(len(ids) for ids in batch)
        pad = weights.tokenizer.pad_token_id or 0
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids in batch])
        mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in batch])
        with weights.lock, torch.inference_mode():
            logits = weights.model(
                input_ids=input_ids.to(weights.device), attention_mask=mask.to(weights.device)
            ).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        targets = input_ids[:, 1:].to(logprobs.device)
        token_logprobs = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        target_mask = mask[:, 1:].to(logprobs.device).to(logprobs.dtype)
        counts = target_mask.sum(dim=1).clamp(min=1)
        nll = -(token_logprobs * target_mask).sum(dim=1) / counts
        return [float(v) for v in nll.cpu()]
