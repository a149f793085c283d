"""Run a prompt over many inputs against any ChatModel, with bounded concurrency.

Why asyncio + threads: backends are synchronous (transformers, the ``openai`` SDK's sync client);
``asyncio.to_thread`` lets an HTTP backend (vLLM, OpenAI, tuneloop's server) have many requests in
flight while a semaphore bounds them, and a local model simply serializes on its own lock. A failed
case is recorded with its error and the batch goes on — one bad row must not lose the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tuneloop.errors import TuneloopError
from tuneloop.models.base import ChatModel
from tuneloop.models.types import SamplingParams
from tuneloop.prompts.cases import Case
from tuneloop.prompts.render import render, user_text
from tuneloop.prompts.template import PromptFile, PromptParams
from tuneloop.text.retrieval import IndexResolver, source_dicts

if TYPE_CHECKING:
    pass

__all__ = ["CaseResult", "examples_for", "merge_params", "run_case", "run_cases"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseResult:
    index: int
    variables: dict[str, Any]
    messages: list[dict[str, str]] = field(default_factory=list)
    output: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    error: str | None = None
    tags: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def merge_params(defaults: PromptParams, overrides: dict[str, Any]) -> SamplingParams:
    """The prompt file's ``params`` with command-line overrides (``None`` means not given)."""
    merged = defaults.model_dump(exclude_none=True)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    if "stop" in merged:
        merged["stop"] = tuple(merged["stop"])
    return SamplingParams(**merged)


def examples_for(prompt: PromptFile, variables: dict[str, Any]) -> Any:
    """The few-shot examples ``examples_from`` picks for these variables (None: the file's own)."""
    if prompt.template.examples_from is None:
        return None
    from tuneloop.prompts.fewshot import select_examples

    return select_examples(prompt, user_text(prompt, variables))


def run_case(
    prompt: PromptFile,
    model: ChatModel,
    case: Case,
    params: SamplingParams,
    indexes: IndexResolver | None = None,
) -> CaseResult:
    """Render and generate one case; errors become part of the result.

    ``indexes`` opens the knowledge indexes a ``retrieve`` context names (default: documents
    paths only); the result keeps the sources the answer was given.
    """
    messages: list[dict[str, str]] = []
    sources: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:
        rendered = render(
            prompt, case.variables, examples=examples_for(prompt, case.variables), indexes=indexes
        )
        messages = rendered.as_dicts()
        sources = source_dicts(rendered.sources)
        start = time.perf_counter()
        completion = model.generate(rendered.messages, params)
    except TuneloopError as exc:
        return CaseResult(
            case.index,
            case.variables,
            messages,
            error=f"{exc.code}: {exc}",
            tags=case.tags,
            sources=sources,
        )
    except Exception as exc:  # a backend bug must not lose the other cases' results
        log.exception("case %d failed unexpectedly", case.index)
        return CaseResult(
            case.index,
            case.variables,
            messages,
            error=f"internal_error: {type(exc).__name__}: {exc}",
            tags=case.tags,
            sources=sources,
        )
    return CaseResult(
        index=case.index,
        variables=case.variables,
        messages=messages,
        output=completion.text,
        finish_reason=completion.finish_reason,
        prompt_tokens=completion.usage.prompt_tokens,
        completion_tokens=completion.usage.completion_tokens,
        latency_ms=(time.perf_counter() - start) * 1000,
        tags=case.tags,
        sources=sources,
    )


async def _run_all(
    prompt: PromptFile,
    model: ChatModel,
    cases: Sequence[Case],
    params: SamplingParams,
    concurrency: int,
    on_done: Callable[[CaseResult], None] | None,
    indexes: IndexResolver | None,
) -> list[CaseResult]:
    gate = asyncio.Semaphore(concurrency)

    async def one(case: Case) -> CaseResult:
        async with gate:
            result = await asyncio.to_thread(run_case, prompt, model, case, params, indexes)
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(c) for c in cases)))


def run_cases(
    prompt: PromptFile,
    model: ChatModel,
    cases: Sequence[Case],
    params: SamplingParams,
    *,
    concurrency: int = 4,
    on_done: Callable[[CaseResult], None] | None = None,
    indexes: IndexResolver | None = None,
) -> list[CaseResult]:
    """Run every case (at most ``concurrency`` at once); results come back in input order.

    ``indexes`` opens the knowledge indexes a ``retrieve`` context names
    (:func:`tuneloop.knowledge.index_resolver`)."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    return asyncio.run(_run_all(prompt, model, cases, params, concurrency, on_done, indexes))
