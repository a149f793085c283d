"""Run a suite against a model: async fan-out with bounded concurrency, retries, timeouts, a
response cache, then batched scoring — one :class:`~tuneloop.store.eval_results.EvalRun` out.

How calls are made:

1. a model with an ``async def agenerate(messages, params)`` is awaited directly;
2. any other ChatModel — the ``openai`` backend included — runs its synchronous ``generate`` in a
   thread pool sized to ``concurrency``. Python's default pool has only ``min(32, cpus + 4)``
   threads — 6 on a 2-core machine — which would silently cap an HTTP backend at 6 requests in
   flight. A local model serializes on its own lock anyway.

Why not the ``openai`` SDK's ``AsyncOpenAI`` client for the ``openai`` backend: measured here
(``bench/eval_throughput.py``: 1,000 cases, concurrency 32, 200 ms upstream, 2 CPU cores) the
SDK's sync client on 32 threads finishes in 1.06–1.09× the ideal wall time, its async client
(through the same request building and error mapping) in 1.14–1.33× — the thread pool is faster,
so it is what the runner uses until a backend offers a faster native ``agenerate``.

A semaphore bounds calls in flight to ``concurrency`` — lowered to the model's
``max_concurrency`` when it declares one (the local backend generates one answer at a time, so a
second call would only wait for its lock and spend its timeout there). Each call has a timeout
(``timeout_s``; a thread cannot be interrupted, so a timed-out synchronous call finishes in the
background, but its pool slot stays taken, so in-flight calls still never exceed ``concurrency``). A
:class:`~tuneloop.errors.BackendError` — a timeout included — is retried up to ``retries`` times
with exponential backoff (``backoff_s · 2^attempt``, at least a rate limit's ``retry_after``);
invalid requests, auth errors, context-window overflows and other HTTP client errors (4xx except
408, 409, 429) are not, since a retry cannot fix them.
A case that still fails becomes a result with ``error`` set; the run goes on. Its ``details``
name every metric it would have been scored on (``{"error": "not scored: …"}``), so a gate can
count it as a failure on exactly those metrics.

The model's identity: the CLI resolves the reference once (:meth:`Catalog.resolve`), builds the
model from that identity and passes both; the run's cache keys and its ``model_version`` /
``model_hash`` come from it, so a second version behind the same alias never gets the first's
answers. A bare ChatModel (tests, trivial baselines) runs too, keyed by its name.

Scoring happens after generation, metric by metric over all cases that use it, through
``score_all`` (batched for metrics with ``score_batch``, such as embeddings). A case passes when
every verdict it has — assertion metrics' own, and ``score >= threshold`` for metrics with a
threshold — is true; an errored case fails; a case with no verdict has ``passed=None``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tuneloop.errors import (
    AuthError,
    BackendError,
    BackendUnavailable,
    ContextWindowExceeded,
    InvalidRequest,
    RateLimited,
    TuneloopError,
)
from tuneloop.evaluate.cache import CachedResponse, ResponseCache, cache_key
from tuneloop.models.types import Completion, Message, SamplingParams
from tuneloop.store.eval_results import CaseResult, EvalRun
from tuneloop.text.retrieval import source_dicts

if TYPE_CHECKING:
    from tuneloop.evaluate.metrics.base import EvalCase, Metric, MetricContext, Score
    from tuneloop.evaluate.suite import MetricUse, Suite
    from tuneloop.models.base import ChatModel
    from tuneloop.models.identity import ResolvedModel
    from tuneloop.registry import Store

__all__ = ["Progress", "build_metrics", "run_suite", "run_suite_sync"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stage is ``"generate"`` or ``"score"``."""

Call = Callable[[list[Message], SamplingParams], Awaitable[Completion]]
MAX_BACKOFF_S = 30.0


@dataclass
class _Outcome:
    output: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    cached: bool = False
    error: str | None = None
    finish_reason: str = "stop"


def _retryable(exc: TuneloopError) -> bool:
    if not isinstance(exc, BackendError) or isinstance(exc, AuthError | ContextWindowExceeded):
        return False
    # An HTTP client error (422 …) the backend mapped to a plain BackendError will not go away
    # on retry; 408, 409 and 429 may.
    status = getattr(exc.__cause__, "status_code", None)
    return not (isinstance(status, int) and 400 <= status < 500 and status not in (408, 409, 429))


async def _call_with_retries(
    call: Call,
    messages: list[Message],
    params: SamplingParams,
    *,
    retries: int,
    timeout_s: float,
    backoff_s: float,
) -> _Outcome:
    attempts = retries + 1
    for attempt in range(attempts):
        start = time.perf_counter()
        try:
            try:
                async with asyncio.timeout(timeout_s):  # no extra task per call, unlike wait_for
                    completion = await call(messages, params)
            except TimeoutError as exc:
                raise BackendUnavailable(
                    f"No answer within {timeout_s:g} s.",
                    hint="Raise --timeout, lower --concurrency, or check the backend.",
                ) from exc
        except TuneloopError as exc:
            if not _retryable(exc) or attempt == attempts - 1:
                tried = f" (after {attempt + 1} attempts)" if attempt else ""
                return _Outcome(error=f"{exc.code}: {exc}{tried}")
            delay = min(MAX_BACKOFF_S, backoff_s * 2**attempt)
            if isinstance(exc, RateLimited) and exc.retry_after:
                delay = max(delay, min(MAX_BACKOFF_S, exc.retry_after))
            log.info("retrying after %s (attempt %d of %d)", exc.code, attempt + 1, attempts)
            await asyncio.sleep(delay)
            continue
        except Exception as exc:  # a backend bug must not lose the other cases' results
            log.exception("model call failed unexpectedly")
            return _Outcome(error=f"internal_error: {type(exc).__name__}: {exc}")
        return _Outcome(
            output=completion.text,
            prompt_tokens=completion.usage.prompt_tokens,
            completion_tokens=completion.usage.completion_tokens,
            latency_ms=(time.perf_counter() - start) * 1000,
            finish_reason=completion.finish_reason,
        )
    raise AssertionError("unreachable")  # pragma: no cover


class _Caller:
    """Picks the fastest way to call ``model`` (see the module docstring) and cleans up after."""

    def __init__(self, model: ChatModel, concurrency: int) -> None:
        self.kind = "thread-pool"
        self._pool: ThreadPoolExecutor | None = None
        agenerate = getattr(model, "agenerate", None)
        if agenerate is not None and inspect.iscoroutinefunction(agenerate):
            self.kind = "async"
            self.call: Call = agenerate
        else:
            pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="tuneloop-eval")
            self._pool = pool

            def in_thread(messages: list[Message], params: SamplingParams) -> Awaitable[Completion]:
                loop = asyncio.get_running_loop()
                return loop.run_in_executor(pool, model.generate, messages, params)

            self.call = in_thread

    async def close(self) -> None:
        if self._pool is not None:
            # Timed-out calls may still be running; do not wait for them.
            self._pool.shutdown(wait=False, cancel_futures=True)


def build_metrics(suite: Suite, context: MetricContext | None = None) -> dict[str, Metric]:
    """One metric object per distinct (name, params) the suite uses, keyed by ``identity()``.

    Errors (an unknown metric, a bad parameter) name the suite file and line the metric is
    written at, and come before any model call.
    """
    from tuneloop.evaluate.metrics import build_metric
    from tuneloop.evaluate.metrics.base import MetricContext

    ctx = context or MetricContext()
    built: dict[str, Metric] = {}
    uses = list(suite.metrics) + [m for case in suite.cases for m in case.metrics]
    for use in uses:
        ident = use.identity()
        if ident in built:
            continue
        try:
            built[ident] = build_metric(use.name, use.params, ctx)
        except TuneloopError as exc:
            raise type(exc)(f"{use.where}: {exc.message}", hint=exc.hint) from exc
    return built


def _verdict(use: MetricUse, metric: Metric, score: Score | None) -> bool | None:
    if score is None:  # the metric failed on this case
        return False if use.threshold is not None or metric.category == "assertion" else None
    verdicts = [score.passed] if score.passed is not None else []
    if use.threshold is not None:
        verdicts.append(score.value >= use.threshold)
    return all(verdicts) if verdicts else None


def _score(
    suite: Suite,
    cases: Sequence[EvalCase],
    outcomes: Sequence[_Outcome],
    metrics: dict[str, Metric],
    progress: Progress | None,
) -> list[tuple[dict[str, float], dict[str, dict[str, Any]], bool | None]]:
    uses_per_case = [suite.metrics_for(c) for c in suite.cases]
    scores: list[dict[str, float]] = [{} for _ in cases]
    details: list[dict[str, dict[str, Any]]] = [{} for _ in cases]
    verdicts: list[list[bool | None]] = [[] for _ in cases]
    groups: dict[str, list[tuple[int, MetricUse]]] = {}
    failure = ""
    for i, uses in enumerate(uses_per_case):
        if outcomes[i].error is not None:
            for use in uses:
                details[i][use.key] = {"error": f"not scored: {outcomes[i].error}"}
            continue
        for use in uses:
            groups.setdefault(use.identity(), []).append((i, use))
    total = len(groups)
    if groups:
        from tuneloop.evaluate.metrics import score_all
    for done, (ident, members) in enumerate(groups.items(), start=1):
        metric = metrics[ident]
        indices = [i for i, _ in members]
        try:
            results: list[Score | None] = list(
                score_all(
                    metric, [cases[i] for i in indices], [outcomes[i].output or "" for i in indices]
                )
            )
        except TuneloopError as exc:
            log.warning("metric %s failed: %s", metric.name, exc)
            results = [None] * len(indices)
            failure = f"{exc.code}: {exc}"
        except Exception as exc:  # a metric bug must not lose the generated answers
            log.exception("metric %s failed unexpectedly", metric.name)
            results = [None] * len(indices)
            failure = f"internal_error: {type(exc).__name__}: {exc}"
        for (i, use), score in zip(members, results, strict=True):
            verdict = _verdict(use, metric, score)
            if score is None:
                details[i][use.key] = {"error": failure}
            else:
                scores[i][use.key] = float(score.value)
                details[i][use.key] = dict(score.details)
                if use.threshold is not None:
                    details[i][use.key]["threshold"] = use.threshold
                if verdict is not None:
                    details[i][use.key]["passed"] = verdict
            verdicts[i].append(verdict)
        if progress is not None:
            progress("score", done, total)
    out: list[tuple[dict[str, float], dict[str, dict[str, Any]], bool | None]] = []
    for i, outcome in enumerate(outcomes):
        if outcome.error is not None:
            out.append((scores[i], details[i], False))
            continue
        judged = [v for v in verdicts[i] if v is not None]
        out.append((scores[i], details[i], all(judged) if judged else None))
    return out


async def run_suite(
    suite: Suite,
    model: ChatModel,
    *,
    concurrency: int = 8,
    retries: int = 2,
    timeout_s: float = 60.0,
    cache: ResponseCache | None = None,
    progress: Progress | None = None,
    params: SamplingParams | None = None,
    metric_context: MetricContext | None = None,
    backoff_s: float = 0.5,
    run_id: str | None = None,
    resolved: ResolvedModel | None = None,
    store: Store | None = None,
) -> EvalRun:
    """Ask ``model`` every case of ``suite``, score the answers, and return the run.

    ``params`` defaults to the suite's own; results come back in case order. ``resolved`` is the
    identity ``model`` was loaded from (``catalog.load(resolved)``): the run records it and the
    cache keys on it. ``store`` opens the registered knowledge indexes a retrieving prompt names;
    each result keeps the sources its answer was given. Nothing is stored: save the run with
    ``store.eval_runs.save(run)``.
    """
    from tuneloop.store.eval_runs import new_run_id

    if concurrency < 1:
        raise InvalidRequest("concurrency must be at least 1.", param="concurrency")
    # A backend that serializes its calls (local weights: one generation at a time) says so; more
    # calls in flight would only wait for its lock and burn their timeouts there.
    limit = getattr(model, "max_concurrency", None)
    if isinstance(limit, int) and limit >= 1:
        concurrency = min(concurrency, limit)
    if retries < 0:
        raise InvalidRequest("retries must not be negative.", param="retries")
    if timeout_s <= 0:
        raise InvalidRequest("timeout must be positive.", param="timeout")
    created = datetime.now(UTC)
    started = time.perf_counter()
    sampling = params or suite.sampling_params()
    cases = suite.eval_cases(store=store)  # render first: a broken prompt fails before any call
    metrics = build_metrics(suite, metric_context)
    keys = [
        cache_key(model, c.messages, sampling, resolved, indexes=c.meta.get("index_hashes"))
        if cache
        else None
        for c in cases
    ]
    hits = await asyncio.to_thread(cache.lookup, keys) if cache else {}

    outcomes: list[_Outcome | None] = [None] * len(cases)
    done = 0
    for i, key in enumerate(keys):
        hit = hits.get(key) if key is not None else None
        if hit is not None:
            outcomes[i] = _Outcome(
                output=hit.output,
                prompt_tokens=hit.prompt_tokens,
                completion_tokens=hit.completion_tokens,
                latency_ms=hit.latency_ms,
                cached=True,
                finish_reason=hit.finish_reason,
            )
            done += 1
    if progress is not None:
        progress("generate", done, len(cases))

    gate = asyncio.Semaphore(concurrency)
    caller = _Caller(model, concurrency)

    async def one(i: int) -> None:
        nonlocal done
        messages = [Message.coerce(m) for m in cases[i].messages]
        async with gate:
            outcomes[i] = await _call_with_retries(
                caller.call,
                messages,
                sampling,
                retries=retries,
                timeout_s=timeout_s,
                backoff_s=backoff_s,
            )
        done += 1
        if progress is not None:
            progress("generate", done, len(cases))

    try:
        await asyncio.gather(*(one(i) for i, o in enumerate(outcomes) if o is None))
    finally:
        await caller.close()
        if cache is not None:
            fresh = [
                CachedResponse(
                    key=key,
                    model=resolved.version_ref if resolved is not None else model.name,
                    output=o.output,
                    finish_reason=o.finish_reason,
                    prompt_tokens=o.prompt_tokens,
                    completion_tokens=o.completion_tokens,
                    latency_ms=o.latency_ms,
                )
                for key, o in zip(keys, outcomes, strict=True)
                if key is not None and o is not None and not o.cached and o.output is not None
            ]
            await asyncio.to_thread(cache.save, fresh)
    generated = time.perf_counter()

    final = [o if o is not None else _Outcome(error="internal_error: not run") for o in outcomes]
    scored = await asyncio.to_thread(_score, suite, cases, final, metrics, progress)
    results = tuple(
        CaseResult(
            case_id=case.id,
            tags=tuple(case.tags),
            messages=list(case.messages),
            output=o.output,
            references=tuple(case.references),
            scores=case_scores,
            details=case_details,
            passed=passed,
            latency_ms=o.latency_ms,
            prompt_tokens=o.prompt_tokens,
            completion_tokens=o.completion_tokens,
            cached=o.cached,
            error=o.error,
            sources=source_dicts(case.sources),
        )
        for case, o, (case_scores, case_details, passed) in zip(cases, final, scored, strict=True)
    )
    finished = time.perf_counter()
    all_uses = {m.key: m for m in suite.metrics}
    for case in suite.cases:
        for m in case.metrics:
            all_uses.setdefault(m.key, m)
    return EvalRun(
        id=run_id or new_run_id(created),
        suite=suite.name,
        suite_hash=suite.content_hash,
        model=resolved.requested if resolved is not None else model.name,
        model_version=resolved.version_ref if resolved is not None else None,
        model_hash=resolved.content_hash if resolved is not None else None,
        created_at=created,
        metrics=tuple(suite.metric_keys()),
        results=results,
        prompt_ref=suite.prompt_ref if suite.prompt is not None else None,
        params={
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "stop": list(sampling.stop),
            "seed": sampling.seed,
        },
        meta={
            "model_identity": resolved.as_dict() if resolved is not None else None,
            "suite_path": str(suite.path) if suite.path else None,
            "prompt_hash": suite.prompt.content_hash if suite.prompt is not None else None,
            # the knowledge indexes a retrieving prompt searched, each with its content hash
            "indexes": {
                ref: digest
                for case in cases
                for ref, digest in (case.meta.get("index_hashes") or {}).items()
            },
            "metric_specs": {key: use.as_dict() for key, use in all_uses.items()},
            "concurrency": concurrency,
            "retries": retries,
            "timeout_s": timeout_s,
            "caller": caller.kind,
            "cache": cache.mode if cache is not None else "off",
            "cached": sum(o.cached for o in final),
            "wall_s": round(finished - started, 3),
            "generate_s": round(generated - started, 3),
            "score_s": round(finished - generated, 3),
        },
    )


def run_suite_sync(suite: Suite, model: ChatModel, **options: Any) -> EvalRun:
    """:func:`run_suite` from synchronous code (the CLI, tests); same keyword options."""
    return asyncio.run(run_suite(suite, model, **options))
