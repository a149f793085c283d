"""The metric seam: what a metric is given (:class:`EvalCase`, the model's output), what it
returns (:class:`Score`), and how it is built from a suite's parameters (:class:`MetricFactory`).

Why a Protocol and plain dataclasses: metrics come from plugins (hook ``register_metrics``), which
need not inherit from us, and the runner, suites and reports pass cases and scores around as
values. Every score is in ``[0, 1]`` with higher better — error rates are inverted — so a report
can average, compare and threshold any metric the same way.

Parameters come from suite YAML, i.e. from people: :class:`Params` reads them with type checks and
rejects unknown keys, so a typo (``case_sensitve``) is an error naming the metric and the
parameter instead of a silently ignored setting.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

from tuneloop.errors import InvalidRequest
from tuneloop.text.retrieval import Hit

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel
    from tuneloop.prompts.template import PromptFile

__all__ = [
    "BatchMetric",
    "Category",
    "EvalCase",
    "Metric",
    "MetricContext",
    "MetricFactory",
    "Params",
    "Score",
    "best_over_references",
    "message_text",
    "unit_interval",
]

Category = Literal["accuracy", "fluency", "relevance", "assertion", "judge"]
T = TypeVar("T")


def message_text(message: Mapping[str, Any]) -> str:
    """A chat message's text: a string ``content``, or the text parts of a content-part list."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


@dataclass(frozen=True)
class EvalCase:
    """One evaluation case: the conversation sent to the model and what a good answer looks like.

    ``references`` are acceptable answers (reference-based metrics take the best over them);
    ``context`` is the source text the answer should be grounded in; ``facts`` are the key facts
    a correct answer states, each a tuple of alternative wordings (``fact_recall``); ``sources``
    are the retrieved passages the model was given with the question, best first (empty when the
    prompt does not retrieve) — what ``faithfulness`` and ``context_recall`` judge against.
    """

    id: str
    messages: list[dict[str, Any]]
    references: tuple[str, ...] = ()
    context: str | None = None
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    facts: tuple[tuple[str, ...], ...] = ()
    sources: tuple[Hit, ...] = ()

    @property
    def question(self) -> str:
        """The text of the last user message ("" when there is none)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return message_text(message)
        return ""


@dataclass(frozen=True)
class Score:
    """A metric's verdict on one output: ``value`` in ``[0, 1]`` (higher is better).

    ``passed`` is set by assertion metrics and by thresholds, ``None`` otherwise. ``details``
    explain the value (the raw perplexity, the tokens that matched, the judge's reason …) and
    hold ``error`` or ``skipped`` when the metric could not judge the output.
    """

    value: float
    details: dict[str, Any] = field(default_factory=dict)
    passed: bool | None = None

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"a Score value must be a number in [0, 1], got {value!r}")
        if math.isnan(value) or not 0.0 <= value <= 1.0:
            raise ValueError(f"a Score value must be a number in [0, 1], got {value!r}")
        # numpy and torch scalars become plain floats, so scores serialise as JSON
        object.__setattr__(self, "value", float(value))


@runtime_checkable
class Metric(Protocol):
    """Scores one output for one case. ``name`` is the registered name."""

    name: str
    category: Category

    def score(self, case: EvalCase, output: str) -> Score: ...


@runtime_checkable
class BatchMetric(Metric, Protocol):
    """A metric that is much faster on many outputs at once (embeddings, perplexity)."""

    def score_batch(self, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]: ...


@dataclass(frozen=True)
class MetricContext:
    """What factories may need from the outside; every field is optional.

    ``models`` turns a model name into a :class:`~tuneloop.models.base.ChatModel` (the judge's
    model, the perplexity reference model); ``prompts`` turns a prompt reference (a path, a name
    in ``prompts/``, ``name@production``) into a prompt file — without it, the judge's ``prompt``
    parameter must be a path.
    """

    models: Callable[[str], ChatModel] | None = None
    prompts: Callable[[str], PromptFile] | None = None


MetricFactory = Callable[[Mapping[str, Any], MetricContext], Metric]


def best_over_references(
    case: EvalCase, score_one: Callable[[str], tuple[float, dict[str, Any]]]
) -> Score:
    """The best ``score_one(reference)`` over the case's references, with ``details`` of that
    reference plus its index as ``reference``. A case without references scores 0.0 with
    ``details["error"]`` (the suite forgot them; a crash would lose the rest of the run)."""
    if not case.references:
        return Score(0.0, {"error": f"case {case.id!r} has no references to compare with"})
    scored = [score_one(reference) for reference in case.references]
    best = max(range(len(scored)), key=lambda i: scored[i][0])  # the first of equals
    value, details = scored[best]
    return Score(unit_interval(value), {**details, "reference": best})


def unit_interval(value: float) -> float:
    """Clamp float noise (1.0000001) into [0, 1]."""
    return min(1.0, max(0.0, float(value)))


_MISSING: Any = object()


class Params:
    """Typed, checked access to one metric's parameters from a suite.

    Read each parameter with a typed getter, then call :meth:`done`: parameters that were never
    read are unknown and raise :class:`~tuneloop.errors.InvalidRequest` listing the accepted ones.
    """

    def __init__(self, metric: str, params: Mapping[str, Any] | None) -> None:
        self.metric = metric
        self.values = dict(params or {})
        self.read: list[str] = []

    def error(self, key: str, problem: str, hint: str | None = None) -> InvalidRequest:
        return InvalidRequest(
            f"Metric `{self.metric}`: parameter `{key}` {problem}",
            hint=hint or f"See the `{self.metric}` entry in docs/eval.md.",
            param=key,
        )

    def _get(self, key: str, default: Any) -> Any:
        self.read.append(key)
        if key in self.values and self.values[key] is not None:
            return self.values[key]
        if default is _MISSING:
            raise self.error(key, "is required.")
        return default

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value as written, unchecked (the caller validates its shape)."""
        return self._get(key, default)

    def has(self, key: str) -> bool:
        return self.values.get(key) is not None

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is not default and not isinstance(value, str):
            raise self.error(key, f"must be a string, got {value!r}.")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}.")
        return value

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int = 0) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"must be a whole number >= {minimum}, got {value!r}.")
        return value

    def number(
        self, key: str, default: Any = _MISSING, *, minimum: float = 0.0, maximum: float = 1.0
    ) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, got {value!r}.")
        if not minimum <= value <= maximum:
            raise self.error(key, f"must be between {minimum} and {maximum}, got {value!r}.")
        return float(value)

    def choice(self, key: str, options: Sequence[str], default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if value not in options:
            raise self.error(key, f"must be one of {', '.join(options)}; got {value!r}.")
        return str(value)

    def strings(self, key: str, default: Any = _MISSING) -> Any:
        """A list of non-empty strings (a single string is taken as a list of one)."""
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise self.error(key, f"must be a non-empty list of non-empty strings, got {value!r}.")
        return list(value)

    def mapping(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is not default and not isinstance(value, Mapping):
            raise self.error(key, f"must be a mapping, got {value!r}.")
        return value

    def done(self) -> None:
        """Reject parameters no getter asked for (typos, parameters of another metric)."""
        unknown = sorted(set(self.values) - set(self.read))
        if unknown:
            accepted = ", ".join(f"`{k}`" for k in dict.fromkeys(self.read)) or "none"
            raise InvalidRequest(
                f"Metric `{self.metric}`: unknown parameter(s) "
                f"{', '.join(f'`{k}`' for k in unknown)} (accepted: {accepted}).",
                hint="Fix the parameter name in the suite file.",
                param=unknown[0],
            )
