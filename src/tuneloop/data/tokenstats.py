"""Token statistics and the training-cost estimate of a chat fine-tuning file.

This follows the analysis half of OpenAI's cookbook "Data preparation and analysis for chat model
fine-tuning": the distribution of messages, total tokens and assistant tokens per example, how
many examples exceed the per-example limit, the default-epochs heuristic, and billed tokens =
Σ min(limit, tokens) × epochs. Two corrections: the cookbook prints its 10th/90th percentiles
under the labels "p5 / p95" — we compute and label real p10/p90 (linear interpolation, as
``numpy.quantile`` and ``statistics.quantiles(method="inclusive")``) — and we add what matters for
Korean data: the share of Hangul characters and characters per token for Korean vs English text.

Token counts, one counter per target:

* an OpenAI model (or no model: every model OpenAI fine-tunes today uses o200k_base) —
  :func:`openai_counter`: exact counts with the model family's encoding (``OpenAICounter``,
  ``cl100k_base`` or ``o200k_base``) from :mod:`tuneloop.text.openai_tokens`, which reads the
  encoding files offline and checks their hash; the cookbook's chat framing (3 per message, +3);
* only when those files are missing, the labelled fallback ``EstimateCounter`` (name
  ``"estimate"``, ``exact=False``): :func:`tuneloop.models.openai_compat.estimate_tokens`, about
  one token per Hangul syllable and one per 4 other characters, 19% low on the cookbook's toy file;
* a local :class:`~tuneloop.models.base.ChatModel` — its real tokenizer and chat template
  (``ModelCounter``).

Every report carries the counter's ``name`` and ``exact``, so a reader can tell which it was.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from tuneloop.models.openai_compat import estimate_message_tokens, estimate_tokens
from tuneloop.models.types import ROLES, Message, Role

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel

__all__ = [
    "INFERENCE_PRICE_PER_MILLION",
    "MAX_DEFAULT_EPOCHS",
    "MAX_TARGET_EXAMPLES",
    "MIN_DEFAULT_EPOCHS",
    "MIN_TARGET_EXAMPLES",
    "PRICES_CHECKED",
    "TARGET_EPOCHS",
    "TRAINING_PRICE_PER_MILLION",
    "CostEstimate",
    "Distribution",
    "EstimateCounter",
    "ModelCounter",
    "OpenAICounter",
    "TokenCounter",
    "TokenStats",
    "default_epochs",
    "estimate_cost",
    "inference_price",
    "is_openai_model",
    "language_of",
    "message_text",
    "openai_counter",
    "percentile",
    "token_stats",
    "training_price",
]

# The cookbook's default-epochs heuristic (what OpenAI picks when n_epochs is "auto").
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

# OpenAI's supervised fine-tuning *training* price in USD per 1M training tokens. Sources: OpenAI's
# pricing page (gpt-4.1 family since its 2025-04-14 launch) and third-party tables that copy it,
# last seen unchanged in April 2026 (gpt-4o $25, gpt-4o-mini $3). OpenAI stops new fine-tuning jobs
# on 2027-01-06 (see DOMAIN.md); check https://openai.com/api/pricing before relying on a number.
PRICES_CHECKED = "2026-04"
TRAINING_PRICE_PER_MILLION: Mapping[str, float] = {
    "gpt-4o": 25.00,
    "gpt-4o-mini": 3.00,
    "gpt-4.1": 25.00,
    "gpt-4.1-mini": 5.00,
    "gpt-4.1-nano": 1.50,
}


def training_price(model: str) -> tuple[str, float] | None:
    """``(table name, USD per 1M tokens)`` for an OpenAI model name, dated snapshots and an
    ``openai:`` prefix included (``gpt-4o-mini-2024-07-18`` → ``gpt-4o-mini``); else None."""
    family = _family(_base_model(model), list(TRAINING_PRICE_PER_MILLION))
    return (family, TRAINING_PRICE_PER_MILLION[family]) if family is not None else None


# Inference price of a *fine-tuned* model, USD per 1M (input, output) tokens — OpenAI's published
# fine-tuned-model prices (higher than the base model's), same sources and date as above; check
# https://openai.com/api/pricing before relying on a number.
INFERENCE_PRICE_PER_MILLION: Mapping[str, tuple[float, float]] = {
    "gpt-4o": (3.75, 15.00),
    "gpt-4o-mini": (0.30, 1.20),
    "gpt-4.1": (3.00, 12.00),
    "gpt-4.1-mini": (0.80, 3.20),
    "gpt-4.1-nano": (0.20, 0.80),
}


def _base_model(model: str) -> str:
    """The base model of an OpenAI name: ``openai:`` dropped, lower-cased, and a fine-tuned id
    ``ft:BASE:org:suffix:id`` reduced to ``BASE``."""
    name = model.strip().removeprefix("openai:").lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name


def _family(name: str, known: Sequence[str]) -> str | None:
    """The longest known family ``name`` is, or is a dated snapshot of (``-2…``); longest first so
    ``gpt-4o-mini`` is never taken for ``gpt-4o``."""
    for family in sorted(known, key=len, reverse=True):
        if name == family or name.startswith(family + "-2"):
            return family
    return None


def inference_price(model: str) -> tuple[str, float, float] | None:
    """``(family, USD per 1M input tokens, USD per 1M output tokens)`` for running a fine-tuned
    OpenAI model — a base name (``gpt-4o-mini``, ``gpt-4o-mini-2024-07-18``) or a fine-tuned id
    (``ft:gpt-4o-mini-2024-07-18:org:suffix:id``); None for unknown models. Prices as of
    :data:`PRICES_CHECKED`."""
    family = _family(_base_model(model), list(INFERENCE_PRICE_PER_MILLION))
    if family is None:
        return None
    price_in, price_out = INFERENCE_PRICE_PER_MILLION[family]
    return family, price_in, price_out


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks — the same
    as ``numpy.quantile`` and ``statistics.quantiles(..., method="inclusive")``."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    xs = sorted(values)
    position = (len(xs) - 1) * q
    lo = math.floor(position)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (position - lo)


@dataclass(frozen=True)
class Distribution:
    """min, max, mean, median and the real 10th/90th percentiles of some counts."""

    min: float
    max: float
    mean: float
    median: float
    p10: float
    p90: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution | None:
        if not values:
            return None
        return cls(
            min=min(values),
            max=max(values),
            mean=sum(values) / len(values),
            median=percentile(values, 0.5),
            p10=percentile(values, 0.1),
            p90=percentile(values, 0.9),
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "min": self.min,
            "max": self.max,
            "mean": round(self.mean, 2),
            "median": self.median,
            "p10": round(self.p10, 2),
            "p90": round(self.p90, 2),
        }


def message_text(message: Mapping[str, Any]) -> str:
    """Everything in a message that becomes tokens: string content, the text parts of a
    content-parts list, and tool/function calls as JSON."""
    parts: list[str] = []
    content = message.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        parts.extend(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    for key in ("function_call", "tool_calls"):
        if message.get(key) is not None:
            parts.append(json.dumps(message[key], ensure_ascii=False))
    return "\n".join(parts)


def _as_message(message: Mapping[str, Any]) -> Message:
    role = message.get("role")
    known = role if role in ROLES else ("tool" if role == "function" else "user")
    return Message(role=cast(Role, known), content=message_text(message))


class TokenCounter(Protocol):
    """Counts tokens of whole chats (framing included) and of bare texts."""

    name: str
    exact: bool

    def chat(self, messages: Sequence[Mapping[str, Any]]) -> int: ...

    def text(self, text: str) -> int: ...


class EstimateCounter:
    """The labelled fallback: :mod:`tuneloop.models.openai_compat`'s characters/4 estimate."""

    name = "estimate"
    exact = False

    def chat(self, messages: Sequence[Mapping[str, Any]]) -> int:
        return estimate_message_tokens([_as_message(m) for m in messages])

    def text(self, text: str) -> int:
        return estimate_tokens(text)


class OpenAICounter:
    """Exact counts with an OpenAI encoding (``cl100k_base``, ``o200k_base``) and OpenAI's chat
    framing. A message's tokens are those of its role, its text (:func:`message_text`: content,
    text parts, tool calls as JSON) and its name.

    Raises :class:`~tuneloop.errors.BackendUnavailable` when the encoding is not installed; use
    :func:`openai_counter` for the fallback.
    """

    exact = True

    def __init__(self, encoding: str) -> None:
        from tuneloop.text.openai_tokens import tokenizer

        self._tokenizer = tokenizer(encoding)
        self.name = encoding

    def chat(self, messages: Sequence[Mapping[str, Any]]) -> int:
        return self._tokenizer.count_chat([_framed(m) for m in messages])

    def text(self, text: str) -> int:
        return self._tokenizer.count(text)


def _framed(message: Mapping[str, Any]) -> dict[str, str]:
    framed = {"role": str(message.get("role", "")), "content": message_text(message)}
    if isinstance(message.get("name"), str):
        framed["name"] = message["name"]
    return framed


def is_openai_model(model: str) -> bool:
    """Whether ``model`` names an OpenAI model (``openai:…``, a known family, an ``ft:`` id), so
    its tokens are counted by :func:`openai_counter` rather than by loading a local model."""
    from tuneloop.text.openai_tokens import encoding_for

    return model.startswith("openai:") or encoding_for(model) is not None


def openai_counter(model: str | None = None) -> TokenCounter:
    """The token counter for an OpenAI model's cost estimates: exact (:class:`OpenAICounter`)
    with its family's encoding — o200k_base when ``model`` is None, the encoding of every model
    OpenAI fine-tunes today — else the labelled :class:`EstimateCounter` when the model's encoding
    is unknown (``openai:`` on another server) or its files are not installed."""
    from tuneloop.errors import BackendUnavailable
    from tuneloop.text.openai_tokens import O200K_BASE, encoding_for

    encoding = O200K_BASE if model is None else encoding_for(model)
    if encoding is None:
        return EstimateCounter()
    try:
        return OpenAICounter(encoding)
    except BackendUnavailable:
        return EstimateCounter()


class ModelCounter:
    """A model's own tokenizer and chat template (``ChatModel.count_tokens``).

    A bare text's tokens are those of a one-message chat minus those of the same chat empty, so
    the template's framing is not counted as text.
    """

    exact = True

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.name = model.name
        self._empty = model.count_tokens([Message("assistant", "")])

    def chat(self, messages: Sequence[Mapping[str, Any]]) -> int:
        return self.model.count_tokens([_as_message(m) for m in messages])

    def text(self, text: str) -> int:
        return max(0, self.model.count_tokens([Message("assistant", text)]) - self._empty)


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" or "\u1100" <= ch <= "\u11ff"


def language_of(text: str) -> str | None:
    """``"korean"`` when at least half of the letters are Hangul, ``"english"`` when at least half
    are ASCII letters, else None (no letters, or another script)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    hangul = sum(1 for ch in letters if _is_hangul(ch))
    if hangul * 2 >= len(letters):
        return "korean"
    ascii_letters = sum(1 for ch in letters if ch.isascii())
    return "english" if ascii_letters * 2 >= len(letters) else None


@dataclass
class TokenStats:
    """What the cookbook reports about a file, plus Hangul share and chars/token by language.

    ``totals`` and ``assistant`` are the per-example counts (in file order) the distributions and
    the cost estimate come from.
    """

    n_examples: int
    counter: str
    exact: bool
    limit: int
    totals: list[int] = field(default_factory=list)
    assistant: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    n_missing_system: int = 0
    n_missing_user: int = 0
    hangul_share: float = 0.0
    chars_per_token: dict[str, float | None] = field(default_factory=dict)

    @property
    def n_over_limit(self) -> int:
        return sum(1 for t in self.totals if t > self.limit)

    @property
    def total_tokens(self) -> Distribution | None:
        return Distribution.of(self.totals)

    @property
    def assistant_tokens(self) -> Distribution | None:
        return Distribution.of(self.assistant)

    @property
    def messages_per_example(self) -> Distribution | None:
        return Distribution.of(self.messages)

    def as_dict(self) -> dict[str, Any]:
        def dist(d: Distribution | None) -> dict[str, float] | None:
            return d.as_dict() if d else None

        return {
            "n_examples": self.n_examples,
            "counter": self.counter,
            "exact": self.exact,
            "limit": self.limit,
            "n_over_limit": self.n_over_limit,
            "n_missing_system": self.n_missing_system,
            "n_missing_user": self.n_missing_user,
            "messages_per_example": dist(self.messages_per_example),
            "total_tokens": dist(self.total_tokens),
            "assistant_tokens": dist(self.assistant_tokens),
            "hangul_share": round(self.hangul_share, 4),
            "chars_per_token": {
                k: (round(v, 3) if v is not None else None) for k, v in self.chars_per_token.items()
            },
        }


def token_stats(
    conversations: Sequence[Sequence[Mapping[str, Any]]],
    *,
    counter: TokenCounter | None = None,
    limit: int = 65536,
) -> TokenStats:
    """Statistics over conversations (each a list of OpenAI-style message dicts).

    Assistant tokens are the content tokens of every assistant message (as in the cookbook);
    characters per token compare message texts that are mostly Hangul with those mostly ASCII.
    """
    counter = counter or EstimateCounter()
    stats = TokenStats(
        n_examples=len(conversations), counter=counter.name, exact=counter.exact, limit=limit
    )
    chars = {"korean": 0, "english": 0}
    tokens = {"korean": 0, "english": 0}
    hangul = visible = 0
    for messages in conversations:
        roles = {m.get("role") for m in messages}
        stats.n_missing_system += "system" not in roles
        stats.n_missing_user += "user" not in roles
        stats.messages.append(len(messages))
        stats.totals.append(counter.chat(messages))
        assistant = 0
        for message in messages:
            text = message_text(message)
            n = counter.text(text) if text else 0
            if message.get("role") == "assistant":
                assistant += n
            language = language_of(text)
            if language is not None:
                chars[language] += len(text)
                tokens[language] += n
            hangul += sum(1 for ch in text if _is_hangul(ch))
            visible += sum(1 for ch in text if not ch.isspace())
        stats.assistant.append(assistant)
    stats.hangul_share = hangul / visible if visible else 0.0
    stats.chars_per_token = {
        lang: (chars[lang] / tokens[lang] if tokens[lang] else None) for lang in chars
    }
    return stats


def default_epochs(n_examples: int) -> int:
    """The cookbook's default n_epochs: 3, raised for small files so the model sees about 100
    examples (at most 25 epochs), lowered for big ones to about 25,000 (at least 1)."""
    if n_examples <= 0:
        return TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


@dataclass(frozen=True)
class CostEstimate:
    """Billed training tokens and their price.

    ``tokens_per_epoch`` is Σ min(limit, tokens) over examples; ``billed_tokens`` that × epochs;
    ``cost_usd`` is None when no price is known.
    """

    epochs: int
    epochs_source: str
    tokens_per_epoch: int
    billed_tokens: int
    price_per_million: float | None
    price_source: str | None
    cost_usd: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "epochs": self.epochs,
            "epochs_source": self.epochs_source,
            "tokens_per_epoch": self.tokens_per_epoch,
            "billed_tokens": self.billed_tokens,
            "price_per_million": self.price_per_million,
            "price_source": self.price_source,
            "cost_usd": round(self.cost_usd, 6) if self.cost_usd is not None else None,
        }


def estimate_cost(
    totals: Sequence[int],
    *,
    limit: int,
    epochs: int | None = None,
    price_per_million: float | None = None,
    model: str | None = None,
) -> CostEstimate:
    """Billed tokens = Σ min(limit, tokens) × epochs (given, or :func:`default_epochs`); cost =
    billed tokens × price / 1M, the price given or looked up for ``model`` in
    :data:`TRAINING_PRICE_PER_MILLION`."""
    per_epoch = sum(min(limit, t) for t in totals)
    n_epochs = epochs if epochs is not None else default_epochs(len(totals))
    source: str | None = None
    price = price_per_million
    if price is not None:
        source = "given"
    elif model is not None and (found := training_price(model)) is not None:
        name, price = found
        source = f"{name} training price (OpenAI, checked {PRICES_CHECKED})"
    billed = per_epoch * n_epochs
    return CostEstimate(
        epochs=n_epochs,
        epochs_source="given" if epochs is not None else "default heuristic",
        tokens_per_epoch=per_epoch,
        billed_tokens=billed,
        price_per_million=price,
        price_source=source,
        cost_usd=billed * price / 1_000_000 if price is not None else None,
    )
