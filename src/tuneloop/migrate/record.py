"""``tuneloop migrate openai record``: replay prompts against the old fine-tune and keep its answers
as a *golden suite* — the one part of a fine-tune that cannot be downloaded, and that is gone when
OpenAI shuts the model down (2027-01-14 for the GPT-4o/4.1 families; ``shared/DOMAIN.md``).

What it writes (the contract between the migrate steps), under the project folder:

- ``migrate/NAME/golden.jsonl`` — one line per answer: ``{"id", "messages": [...the request's
  messages, {"role": "assistant", "content": <answer>}], "tags", "source_model", "params",
  "usage", "latency_ms", "finish_reason", "where", "recorded_at"}``, the shape
  :func:`tuneloop.evaluate.suite.read_case_file` reads (the last assistant turn is the reference,
  the other keys go to ``meta``);
- ``migrate/NAME/golden.yaml`` — an ordinary eval suite: ``name: NAME-golden``,
  ``cases_from: [golden.jsonl]``, the sampling ``params`` the answers were recorded with, and no
  metrics (parity adds its own).

Which prompts (:mod:`tuneloop.migrate.prompts`): the pulled validation split, a seeded sample of
the training split (``NAME-openai``, the version pull registered for this fine-tune), then the
user's files, in that order. The request id is the first 16 hex digits of the sha256 of the
canonical request JSON (sorted keys, no spaces, UTF-8) — model, messages and sampling params —
so the same prompt from two sources is asked once, and **the first source wins** its tags.

Why a thread pool behind a bounded queue and the SDK's sync client: ``bench/eval_throughput.py``
measured it closest to the ideal wall time on this 2-core machine (1.08–1.11× vs 1.16–1.32× for
``AsyncOpenAI``), and the queue (twice the concurrency) means the sources are read only as fast
as answers come back, so nothing grows with the number of prompts except the set of ids.

Durable and resumable: one writer thread appends each answer as soon as it arrives, then flushes
and fsyncs — a *group commit*: one fsync per line while answers trickle in, one per batch when
they pour in. A crash leaves at most a torn last line (no newline), which the next run drops
before skipping every id already in the file; every prompt ends up recorded exactly once.
``stop`` (set on Ctrl-C by the CLI) stops taking prompts; requests in flight finish and are
written, and the rest waits for the next run.

Rate limits: the SDK already retries 429s honouring ``Retry-After`` (:mod:`.client`). When a 429
still comes through (:class:`~tuneloop.errors.RateLimited`), *every* worker pauses until its
``retry_after`` (exponential backoff without one) and the prompt is asked again: the run slows
down instead of failing. A 429 for ``insufficient_quota`` is no rate limit and stops the run. A
prompt the server refuses (400, e.g. too long) is reported and left out; any other error stops
the run with what was recorded kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.atomicfile import atomic_write_text
from tuneloop.data.records import SkipReport
from tuneloop.data.tokenstats import inference_price, openai_counter
from tuneloop.errors import (
    BackendError,
    ContextWindowExceeded,
    DataError,
    InvalidRecord,
    InvalidRequest,
    RateLimited,
    StoreError,
    TuneloopError,
    UnknownReference,
)
from tuneloop.migrate.inventory import base_of, default_name
from tuneloop.migrate.prompts import (
    Prompt,
    dataset_prompts,
    file_prompts,
    sample_prompts,
)
from tuneloop.migrate.pull import dataset_name, find_source
from tuneloop.registry.refs import check_name, parse_data_ref
from tuneloop.safety.storage import redact_for_storage

if TYPE_CHECKING:
    from tuneloop.evaluate.suite import PromptResolver
    from tuneloop.migrate.client import Account
    from tuneloop.registry import Store
    from tuneloop.registry.models import ModelVersion

__all__ = [
    "DEFAULT_TRAIN_SAMPLE",
    "Failure",
    "RecordOptions",
    "RecordPlan",
    "RecordResult",
    "RecordSource",
    "Recording",
    "golden_paths",
    "plan_recording",
    "record",
    "record_answers",
    "request_id",
    "resolve_source",
]

DEFAULT_TRAIN_SAMPLE = 200
DEFAULT_CONCURRENCY = 8
FT_PREFIX = "ft:"
VALIDATION_TAG = "validation"
TRAIN_SAMPLE_TAG = "train-sample"
ANSWER_GUESS_TOKENS = 256
"""Output tokens assumed per answer when no prompt has a reference answer to measure."""
_QUEUE_PER_WORKER = 2
_MAX_BATCH = 512
_MAX_BACKOFF_S = 60.0
_POLL_S = 0.1

Progress = Callable[[str, int, int], None]


def golden_paths(project_dir: str | Path, name: str) -> tuple[Path, Path]:
    """``(golden.yaml, golden.jsonl)`` of model ``name`` in the project folder."""
    folder = Path(project_dir) / "migrate" / name
    return folder / "golden.yaml", folder / "golden.jsonl"


def request_id(body: Mapping[str, Any]) -> str:
    """First 16 hex digits of the sha256 of the canonical JSON of a request body."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- what to ask


@dataclass(frozen=True)
class RecordSource:
    """The old fine-tune to ask: its ``ft:`` id, the tuneloop ``name`` its files live under, its
    base model (for token counts and prices), where it answers (``base_url``, None for the
    account's default), the source model version pull registered (if any), and the pulled
    dataset version (``NAME-openai@N``, if any)."""

    ft_id: str
    name: str
    base_model: str
    base_url: str | None = None
    version: ModelVersion | None = None
    dataset: str | None = None


def resolve_source(store: Store | None, ref: str, *, name: str | None = None) -> RecordSource:
    """What ``ref`` (a tuneloop model name, ``ft:`` id or ``ftjob-`` id) names, through
    :func:`tuneloop.migrate.pull.find_source`. An ``ft:`` id that was never pulled can still be
    recorded (from prompt files): its name defaults to the id's suffix."""
    version: ModelVersion | None = None
    if store is not None:
        try:
            version = find_source(store, ref)
        except UnknownReference:
            if not ref.startswith(FT_PREFIX):
                raise
    elif not ref.startswith(FT_PREFIX):
        raise InvalidRequest(
            f"{ref!r} needs the project's registry to resolve.",
            hint="Run inside a project, or give the fine-tune's ft:… id.",
            param="model",
        )
    ft_id = version.model_id if version is not None else ref
    chosen = name or (
        version.name if version is not None else default_name(ft_id, ft_id.rsplit(":", 1)[-1])
    )
    check_name(chosen, kind="model", param="name")
    dataset = None
    if version is not None and version.dataset_ref:
        pinned = parse_data_ref(version.dataset_ref).dataset
        dataset = str(pinned) if pinned is not None else None
    elif store is not None:
        latest = store.datasets.resolve(dataset_name(chosen))
        dataset = latest.ref if latest is not None else None
    base_url = version.config.get("base_url") if version is not None else None
    return RecordSource(
        ft_id=ft_id,
        name=chosen,
        base_model=version.base_model if version is not None else base_of(ft_id),
        base_url=str(base_url) if base_url else None,
        version=version,
        dataset=dataset,
    )


@dataclass(frozen=True)
class RecordOptions:
    """Which prompts to replay and how to ask (the command's flags)."""

    validation: bool = True
    train_sample: int = DEFAULT_TRAIN_SAMPLE
    seed: int = 0
    prompt_files: tuple[Path, ...] = ()
    temperature: float = 0.0
    max_tokens: int | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise InvalidRequest("--concurrency must be at least 1.", param="concurrency")
        if self.train_sample < 0:
            raise InvalidRequest("--train-sample cannot be negative.", param="train_sample")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise InvalidRequest("--max-tokens must be at least 1.", param="max_tokens")
        if self.limit is not None and self.limit < 1:
            raise InvalidRequest("--limit must be at least 1.", param="limit")

    def params(self, ft_id: str) -> dict[str, Any]:
        """The request parameters besides the messages, exactly as sent and recorded."""
        params: dict[str, Any] = {
            "model": ft_id,
            "temperature": self.temperature,
            "seed": self.seed,
        }
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        return params


@dataclass(frozen=True)
class _Request:
    id: str
    body: dict[str, Any]
    prompt: Prompt


@dataclass
class _Tally:
    """What the prompt walk saw: distinct prompts per source, duplicates, skips and notes."""

    sources: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    skips: SkipReport = field(default_factory=SkipReport)
    notes: list[str] = field(default_factory=list)

    @property
    def distinct(self) -> int:
        return sum(self.sources.values())


def _dataset_sources(
    source: RecordSource, options: RecordOptions, store: Store | None, tally: _Tally
) -> Iterator[Prompt]:
    wanted = options.validation or options.train_sample > 0
    if not wanted:
        return
    if store is None or source.dataset is None:
        missing = f"no pulled dataset {dataset_name(source.name)}"
        if options.prompt_files:
            tally.notes.append(f"{missing}: recording the --prompts files only.")
            return
        raise UnknownReference(
            f"Nothing to replay for {source.ft_id}: {missing}.",
            hint=f"Pull it first (`tuneloop migrate openai pull {source.ft_id}`), or give prompt "
            "files with --prompts FILE.",
            param="prompts",
        )
    version = store.datasets.get(source.dataset)
    if options.validation:
        if "validation" in version.files:
            path = store.datasets.path(version, "validation")
            yield from dataset_prompts(
                path, f"{version.ref}:validation", VALIDATION_TAG, tally.skips
            )
        else:
            tally.notes.append(f"{version.ref} has no validation split (the job had none).")
    if options.train_sample > 0:
        path = store.datasets.path(version, "train")
        yield from sample_prompts(
            path,
            f"{version.ref}:train",
            TRAIN_SAMPLE_TAG,
            options.train_sample,
            options.seed,
            tally.skips,
        )


def _requests(
    source: RecordSource,
    options: RecordOptions,
    store: Store | None,
    prompts: PromptResolver | None,
    tally: _Tally,
) -> Iterator[_Request]:
    """Every distinct request, in source order (first source wins), up to ``options.limit``."""
    params = options.params(source.ft_id)
    seen: set[str] = set()

    def walk() -> Iterator[Prompt]:
        yield from _dataset_sources(source, options, store, tally)
        for path in options.prompt_files:
            yield from file_prompts(Path(path), store=store, prompts=prompts)

    for prompt in walk():
        if options.limit is not None and tally.distinct >= options.limit:
            return
        body = {**params, "messages": [dict(m) for m in prompt.messages]}
        rid = request_id(body)
        if rid in seen:
            tally.duplicates += 1
            continue
        seen.add(rid)
        tally.sources[prompt.tags[0]] = tally.sources.get(prompt.tags[0], 0) + 1
        yield _Request(rid, body, prompt)


# --------------------------------------------------------------------------- the golden files


def _scan_golden(
    path: Path, source: RecordSource, params: Mapping[str, Any], *, repair: bool
) -> set[str]:
    """The ids already recorded in ``path``. A torn last line (no newline: a crash mid-write) is
    ignored, and cut off when ``repair``. Answers of another model or other params are an error:
    one golden suite holds one fine-tune's answers to one set of sampling params."""
    ids: set[str] = set()
    if not path.is_file():
        return ids
    keep = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                break  # torn: the process died while writing it
            keep += len(raw)
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InvalidRecord(
                    f"not a golden answer ({exc}).",
                    path=path,
                    line=number,
                    hint="The file was edited by hand; fix or delete that line and run again.",
                ) from exc
            if not isinstance(line, dict) or not isinstance(line.get("id"), str):
                raise InvalidRecord("a golden answer without an id.", path=path, line=number)
            if not ids:
                _check_same_run(line, f"{path}:{number}", source, params)
            ids.add(line["id"])
    if repair and keep < path.stat().st_size:
        with path.open("r+b") as handle:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
    return ids


def _check_same_run(
    line: Mapping[str, Any], where: str, source: RecordSource, params: Mapping[str, Any]
) -> None:
    recorded = line.get("params") or {}
    if line.get("source_model") != source.ft_id or recorded != dict(params):
        raise DataError(
            f"{where}: holds answers of {line.get('source_model')} with params "
            f"{json.dumps(recorded, sort_keys=True)}; this run asks {source.ft_id} with "
            f"{json.dumps(dict(params), sort_keys=True)}.",
            hint="A golden suite holds one fine-tune's answers to one set of params: record "
            "with the same --temperature/--max-tokens/--seed, give another --name, or move "
            "the file away to start over.",
        )


def _suite_yaml(source: RecordSource, options: RecordOptions, jsonl: Path) -> str:
    params = {k: v for k, v in options.params(source.ft_id).items() if k != "model"}
    quoted = json.dumps
    return (
        f"# The answers of the OpenAI fine-tune {source.ft_id}, recorded by\n"
        f"# `tuneloop migrate openai record` — the reference for `migrate openai parity`.\n"
        f"name: {quoted(source.name + '-golden')}\n"
        f"description: {quoted('Golden answers of ' + source.ft_id)}\n"
        f"params: {quoted(params)}\n"
        f"cases_from: [{quoted(jsonl.name)}]\n"
    )


def _line(request: _Request, completion: Any, latency_ms: float, retries: int) -> bytes:
    choice = completion.choices[0]
    usage = completion.usage.model_dump(exclude_none=True) if completion.usage else {}
    line: dict[str, Any] = {
        "id": request.id,
        # PII is redacted before anything is stored (the request itself went out as written).
        "messages": redact_for_storage(
            [
                *request.body["messages"],
                {"role": "assistant", "content": choice.message.content or ""},
            ]
        ),
        "tags": list(request.prompt.tags),
        "source_model": request.body["model"],
        "params": {k: v for k, v in request.body.items() if k != "messages"},
        "usage": usage,
        "latency_ms": round(latency_ms, 2),
        "finish_reason": choice.finish_reason,
        "where": request.prompt.where,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if retries:
        line["retries"] = retries
    if getattr(completion, "system_fingerprint", None):
        line["system_fingerprint"] = completion.system_fingerprint
    text = json.dumps(line, ensure_ascii=False)
    # U+2028/2029 are line breaks to str.splitlines(), which read_case_file uses.
    return (text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n").encode()


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class RecordPlan:
    """What a run will send and roughly what it costs (``--dry-run`` prints only this).

    Input tokens are counted exactly with the base model's encoding when it is installed
    (``counter``, ``exact``); output tokens are estimated from the reference answers the data
    holds, each capped at ``max_tokens`` (``output_basis`` says how); the price is OpenAI's
    fine-tuned-model inference price (:func:`tuneloop.data.tokenstats.inference_price`)."""

    ft_id: str
    name: str
    dataset: str | None
    golden_yaml: Path
    golden_jsonl: Path
    params: dict[str, Any]
    sources: dict[str, int]
    duplicates: int
    skipped: int
    skip_examples: list[str]
    notes: list[str]
    already: int
    to_send: int
    input_tokens: int
    output_tokens: int
    output_basis: str
    counter: str
    exact: bool
    price: tuple[str, float, float] | None
    cost_usd: float | None

    @property
    def total(self) -> int:
        return sum(self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_model": self.ft_id,
            "name": self.name,
            "dataset": self.dataset,
            "golden_yaml": str(self.golden_yaml),
            "golden_jsonl": str(self.golden_jsonl),
            "params": self.params,
            "prompts": {"by_source": self.sources, "total": self.total},
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "skip_examples": self.skip_examples,
            "notes": self.notes,
            "already_recorded": self.already,
            "to_send": self.to_send,
            "input_tokens": self.input_tokens,
            "output_tokens_estimate": self.output_tokens,
            "output_basis": self.output_basis,
            "token_counter": self.counter,
            "exact_input_tokens": self.exact,
            "price_per_million": (
                {"family": self.price[0], "input": self.price[1], "output": self.price[2]}
                if self.price
                else None
            ),
            "cost_usd": round(self.cost_usd, 6) if self.cost_usd is not None else None,
        }


def plan_recording(
    source: RecordSource,
    options: RecordOptions,
    *,
    project_dir: str | Path,
    store: Store | None,
    prompts: PromptResolver | None = None,
) -> RecordPlan:
    """Walk every prompt once (streamed), sending nothing: counts by source, what is already
    recorded, tokens and cost of the rest. Every prompt file is read to its end here, so a bad
    line is reported before the first request of a real run."""
    yaml_path, jsonl = golden_paths(project_dir, source.name)
    params = options.params(source.ft_id)
    recorded = _scan_golden(jsonl, source, params, repair=False)
    counter = openai_counter(source.base_model)
    tally = _Tally()
    already = to_send = input_tokens = 0
    reference_tokens = with_reference = new_without_reference = 0
    new_reference_tokens = 0
    for request in _requests(source, options, store, prompts, tally):
        answer = None
        if request.prompt.reference is not None:
            answer = counter.text(request.prompt.reference)
            if options.max_tokens is not None:
                answer = min(answer, options.max_tokens)
            reference_tokens += answer
            with_reference += 1
        if request.id in recorded:
            already += 1
            continue
        to_send += 1
        input_tokens += counter.chat(request.body["messages"])
        if answer is None:
            new_without_reference += 1
        else:
            new_reference_tokens += answer
    if with_reference:
        mean = reference_tokens / with_reference
        basis = f"{with_reference} reference answers in the data, mean {mean:.0f} tokens"
    elif options.max_tokens is not None:
        mean, basis = float(options.max_tokens), "no reference answers: max_tokens each"
    else:
        mean = float(ANSWER_GUESS_TOKENS)
        basis = f"no reference answers: assumed {ANSWER_GUESS_TOKENS} tokens each"
    output_tokens = new_reference_tokens + round(mean * new_without_reference)
    price = inference_price(source.ft_id)
    cost = (
        (input_tokens * price[1] + output_tokens * price[2]) / 1_000_000
        if price is not None
        else None
    )
    return RecordPlan(
        ft_id=source.ft_id,
        name=source.name,
        dataset=source.dataset,
        golden_yaml=yaml_path,
        golden_jsonl=jsonl,
        params=params,
        sources=dict(tally.sources),
        duplicates=tally.duplicates,
        skipped=len(tally.skips),
        skip_examples=[str(s) for s in list(tally.skips)[:5]],
        notes=list(tally.notes),
        already=already,
        to_send=to_send,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        output_basis=basis,
        counter=counter.name,
        exact=counter.exact,
        price=price,
        cost_usd=cost,
    )


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Failure:
    """A prompt the server refused (left out; the next run asks it again)."""

    id: str
    where: str
    message: str


@dataclass
class RecordResult:
    """What a run did: answers written now and before, refusals, whether it was stopped."""

    golden_yaml: Path
    golden_jsonl: Path
    already: int
    recorded: int
    failures: list[Failure]
    interrupted: bool
    seconds: float
    pauses: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def rate(self) -> float:
        """Answers recorded per second of this run."""
        return self.recorded / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "golden_yaml": str(self.golden_yaml),
            "golden_jsonl": str(self.golden_jsonl),
            "already_recorded": self.already,
            "recorded": self.recorded,
            "failed": [vars(f) for f in self.failures],
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
            "prompts_per_second": round(self.rate, 2),
            "rate_limit_pauses": self.pauses,
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            },
        }


class _Pacer:
    """One pause shared by every worker: a 429 that got through moves it (``pause``), and no
    worker sends until it has passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0
        self._backoff = 1.0
        self.pauses = 0

    def pause(self, seconds: float | None) -> None:
        with self._lock:
            if seconds is None or seconds <= 0:
                seconds, self._backoff = self._backoff, min(self._backoff * 2, _MAX_BACKOFF_S)
            now = time.monotonic()
            if self._until <= now:
                self.pauses += 1
            self._until = max(self._until, now + seconds)

    def reset(self) -> None:
        self._backoff = 1.0

    def wait(self, halted: Callable[[], bool]) -> bool:
        """Sleep until no pause is in force; False if ``halted`` meanwhile."""
        while not halted():
            left = self._until - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, _POLL_S))
        return False


class _Writer(threading.Thread):
    """The one writer: appends lines, then flush + fsync per batch (see the module docstring)."""

    def __init__(self, path: Path, on_written: Callable[[int], None]) -> None:
        super().__init__(name="tuneloop-record-writer", daemon=True)
        self.path = path
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.written = 0
        self.error: OSError | None = None
        self._on_written = on_written

    def run(self) -> None:
        try:
            with self.path.open("ab") as handle:
                done = False
                while not done:
                    batch: list[bytes] = []
                    item = self.lines.get()
                    while item is not None:
                        batch.append(item)
                        if len(batch) >= _MAX_BATCH:
                            break
                        try:
                            item = self.lines.get_nowait()
                        except queue.Empty:
                            break
                    done = item is None
                    if batch:
                        handle.write(b"".join(batch))
                        handle.flush()
                        os.fsync(handle.fileno())
                        self.written += len(batch)
                        self._on_written(self.written)
        except OSError as exc:
            self.error = exc


class _Run:
    """Workers asking the fine-tune, fed through a bounded queue; answers go to the writer."""

    def __init__(
        self, account: Account, options: RecordOptions, writer: _Writer, stop: threading.Event
    ) -> None:
        self.account = account
        self.writer = writer
        self.stop = stop
        self.abort = threading.Event()
        self.pacer = _Pacer()
        self.failures: list[Failure] = []
        self.fatal: TuneloopError | None = None
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._lock = threading.Lock()
        self.work: queue.Queue[_Request | None] = queue.Queue(
            maxsize=_QUEUE_PER_WORKER * options.concurrency
        )
        self.workers = [
            threading.Thread(target=self._work, name=f"tuneloop-record-{i}", daemon=True)
            for i in range(options.concurrency)
        ]
        for worker in self.workers:
            worker.start()

    def halted(self) -> bool:
        return self.stop.is_set() or self.abort.is_set()

    def submit(self, request: _Request) -> bool:
        """Queue ``request`` (waiting for room); False once the run is stopping."""
        while not self.halted():
            try:
                self.work.put(request, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def finish(self) -> None:
        """Let the workers drain (queued work is dropped when halted), then close the writer."""
        for _ in self.workers:
            self.work.put(None)
        for worker in self.workers:
            worker.join()
        self.writer.lines.put(None)
        self.writer.join()

    def _work(self) -> None:
        while True:
            request = self.work.get()
            if request is None:
                return
            if self.halted():
                continue
            try:
                line = self._ask(request)
            except Exception as exc:  # a worker must not die silently: stop the run instead
                self._halt(
                    BackendError(
                        f"Unexpected answer from {self.account.base_url} to the prompt at "
                        f"{request.prompt.where}: {exc!r}",
                        hint="Check that the server speaks OpenAI's chat completions API.",
                    )
                )
                continue
            if line is not None:
                self.writer.lines.put(line)

    def _ask(self, request: _Request) -> bytes | None:
        create = self.account.client.chat.completions.with_raw_response.create
        while self.pacer.wait(self.halted):
            try:
                with self.account.remote(f"ask {request.body['model']}"):
                    raw = create(**request.body)
                    completion = raw.parse()
            except RateLimited as exc:
                if getattr(exc.__cause__, "code", None) == "insufficient_quota":
                    self._halt(exc)
                    return None
                self.pacer.pause(exc.retry_after)
                continue
            except (InvalidRequest, ContextWindowExceeded) as exc:  # this prompt refused: skip it
                with self._lock:
                    self.failures.append(Failure(request.id, request.prompt.where, exc.message))
                return None
            except TuneloopError as exc:
                self._halt(exc)
                return None
            self.pacer.reset()
            if completion.usage is not None:
                with self._lock:
                    self.prompt_tokens += completion.usage.prompt_tokens
                    self.completion_tokens += completion.usage.completion_tokens
            latency = raw.elapsed.total_seconds() * 1000.0
            return _line(request, completion, latency, getattr(raw, "retries_taken", 0))
        return None

    def _halt(self, exc: TuneloopError) -> None:
        with self._lock:
            if self.fatal is None:
                self.fatal = exc
        self.abort.set()


def record_answers(
    account: Account,
    source: RecordSource,
    options: RecordOptions,
    *,
    project_dir: str | Path,
    store: Store | None,
    prompts: PromptResolver | None = None,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    total: int = 0,
) -> RecordResult:
    """Ask ``source``'s fine-tune every prompt not yet in its golden file and append the answers
    (see the module docstring). ``total`` (from :func:`plan_recording`) sizes the progress bar,
    which ``progress(stage, done, total)`` draws."""
    yaml_path, jsonl = golden_paths(project_dir, source.name)
    params = options.params(source.ft_id)
    jsonl.parent.mkdir(parents=True, exist_ok=True)
    recorded = _scan_golden(jsonl, source, params, repair=True)
    suite = _suite_yaml(source, options, jsonl)
    if not yaml_path.is_file() or yaml_path.read_text(encoding="utf-8") != suite:
        atomic_write_text(yaml_path, suite)
    stage = f"recording {source.name}"
    report = progress or (lambda stage, done, total: None)
    stop = stop or threading.Event()
    report(stage, 0, total)
    writer = _Writer(jsonl, lambda done: report(stage, done, total))
    writer.start()
    run = _Run(account, options, writer, stop)
    started = time.perf_counter()
    try:
        for request in _requests(source, options, store, prompts, _Tally()):
            if request.id in recorded:
                continue
            if writer.error is not None or not run.submit(request):
                break
    except BaseException:
        run.abort.set()
        raise
    finally:
        run.finish()
    seconds = time.perf_counter() - started
    if writer.error is not None:
        raise StoreError(
            f"Cannot append to {jsonl}: {writer.error}",
            hint=f"{writer.written} answers were written; free space or fix permissions and run "
            "again to record the rest.",
        ) from writer.error
    if run.fatal is not None:
        saved = f"{writer.written} answers recorded in this run are kept in {jsonl}"
        run.fatal.hint = (f"{run.fatal.hint} " if run.fatal.hint else "") + (
            f"{saved}; run the same command again to record the rest."
        )
        raise run.fatal
    return RecordResult(
        golden_yaml=yaml_path,
        golden_jsonl=jsonl,
        already=len(recorded),
        recorded=writer.written,
        failures=list(run.failures),
        interrupted=stop.is_set(),
        seconds=seconds,
        pauses=run.pacer.pauses,
        prompt_tokens=run.prompt_tokens,
        completion_tokens=run.completion_tokens,
    )


@dataclass(frozen=True)
class Recording:
    """The plan, and the run's result (None for ``--dry-run``)."""

    source: RecordSource
    plan: RecordPlan
    result: RecordResult | None


def record(
    ref: str,
    *,
    project_dir: str | Path,
    store: Store | None,
    options: RecordOptions | None = None,
    name: str | None = None,
    base_url: str | None = None,
    key_env: str = "OPENAI_API_KEY",
    api_key: str | None = None,
    organization: str | None = None,
    openai_project: str | None = None,
    dry_run: bool = False,
    prompts: PromptResolver | None = None,
    on_plan: Callable[[RecordPlan], None] | None = None,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
) -> Recording:
    """The whole step, as the CLI runs it: resolve ``ref``, plan (``on_plan`` sees the plan
    before anything is sent), then — unless ``dry_run`` — connect (``base_url``, else the one
    pull recorded, else ``OPENAI_BASE_URL`` or OpenAI) and record."""
    from tuneloop.migrate.client import connect

    options = options or RecordOptions()
    source = resolve_source(store, ref, name=name)
    plan = plan_recording(source, options, project_dir=project_dir, store=store, prompts=prompts)
    if on_plan is not None:
        on_plan(plan)
    if dry_run:
        return Recording(source, plan, None)
    account = connect(
        base_url=base_url or source.base_url,
        api_key=api_key,
        key_env=key_env,
        organization=organization,
        project=openai_project,
    )
    result = record_answers(
        account,
        source,
        options,
        project_dir=project_dir,
        store=store,
        prompts=prompts,
        stop=stop,
        progress=progress,
        total=plan.to_send,
    )
    return Recording(source, plan, result)
