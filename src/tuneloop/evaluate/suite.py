"""The suite file format: cases to ask a model, what good answers look like, and how to score them.

A suite is one YAML file (validated by :class:`SuiteFile`, so ``tuneloop schema suite`` gives
editors its JSON Schema and errors point at file:line:column)::

    name: seoul-travel
    system: 당신은 서울 여행 도우미입니다.      # or prompt: seoul-guide@production
    model: smollm2-135m
    params: {temperature: 0, max_tokens: 200, seed: 7}
    metrics: [token_f1, {name: contains, params: {values: [경복궁]}, threshold: 1.0}]
    cases:
      - id: hours-1
        input: 경복궁은 언제 쉬나요?
        reference: 매주 화요일에 쉽니다.
        tags: [palace, hours]
    cases_from: [../heldout/questions.jsonl, "seoul-qa@1:test"]

:func:`load_suite` turns the file into a :class:`Suite`: every case (inline, from JSONL files, from
dataset splits) as a :class:`SuiteCase`, metric uses with the file:line they came from (so an
unknown metric is reported where it is written), and the prompt resolved. Rendering cases to chat
messages is separate (:meth:`Suite.eval_cases`) because ``eval run --prompt`` swaps the prompt of
an already-loaded suite.

Why :attr:`Suite.content_hash` leaves the prompt and the model out: comparing two prompts or two
models on *the same* suite is the point of a suite, so those runs must share a hash; anything
that changes what is asked or how it is scored (cases, references, metrics, sampling params,
system message) changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tuneloop.errors import DataError, InvalidRecord, PromptError
from tuneloop.jsonlines import iter_objects
from tuneloop.prompts.template import NAME_PATTERN, PromptParams
from tuneloop.yamlfile import YamlDocument, load_yaml, parse_yaml, validate_yaml

if TYPE_CHECKING:
    from tuneloop.evaluate.metrics.base import EvalCase
    from tuneloop.models.types import SamplingParams
    from tuneloop.prompts.template import PromptFile
    from tuneloop.registry import Store
    from tuneloop.text.retrieval import Hit, IndexResolver

__all__ = [
    "CaseSpec",
    "CasesFrom",
    "ChatMessage",
    "MetricSpec",
    "MetricUse",
    "PromptResolver",
    "Suite",
    "SuiteCase",
    "SuiteFile",
    "load_suite",
    "parse_suite",
    "read_case_file",
    "resolve_suite_prompt",
]

PromptResolver = Callable[[str], "PromptFile"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _or_string(field: str) -> Callable[[dict[str, Any]], None]:
    """JSON Schema hook: the model may also be written as a bare string (its ``field``)."""

    def extra(schema: dict[str, Any]) -> None:
        whole = dict(schema)
        schema.clear()
        schema["anyOf"] = [
            {"type": "string", "description": f"Shorthand for {{{field}: …}}."},
            whole,
        ]

    return extra


def _expand(value: Any, field: str) -> Any:
    return {field: value} if isinstance(value, str) else value


class MetricSpec(_Strict):
    """A metric to score answers with: a name from the metrics registry, its parameters, and an
    optional pass threshold. A bare string is the name alone."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_or_string("name"))

    name: str = Field(description="Registered metric name, e.g. token_f1, rouge_l, contains.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="The metric's parameters (see docs/eval.md)."
    )
    threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="A case passes this metric when its score is at least this (0 to 1).",
    )
    label: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="Name the scores are stored under (default: the metric name); needed when "
        "one metric is used twice with different params.",
    )
    tags: list[str] = Field(
        default_factory=list,
        description="Score only the cases having one of these tags (default: every case).",
    )
    skip_tags: list[str] = Field(
        default_factory=list,
        description="Do not score the cases having one of these tags (e.g. fact_recall on "
        "ambiguous questions, which have no facts).",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _expand(value, "name")

    @property
    def key(self) -> str:
        return self.label or self.name


class ChatMessage(_Strict):
    role: Literal["system", "developer", "user", "assistant"]
    content: str


class CaseSpec(_Strict):
    """One inline case: exactly one of ``input``, ``messages`` or ``vars``."""

    id: str | None = Field(None, description="Unique case id (default: case-N).")
    input: str | None = Field(None, description="The user's question.")
    messages: list[ChatMessage] | None = Field(
        None, description="A whole conversation to send (the prompt and system are not used)."
    )
    vars: dict[str, Any] | None = Field(
        None, description="Variables for the suite's prompt (needs `prompt`)."
    )
    reference: str | None = Field(None, description="A good answer.")
    references: list[str] = Field(default_factory=list, description="Several good answers.")
    context: str | None = Field(None, description="Source text the answer should rest on.")
    facts: list[str | list[str]] = Field(
        default_factory=list,
        description="Key facts a correct answer states (fact_recall); a list is alternatives.",
    )
    tags: list[str] = Field(default_factory=list, description="Tags to filter and slice by.")
    metrics: list[MetricSpec] = Field(
        default_factory=list,
        description="Extra metrics/assertions for this case; one with the same key as a "
        "suite-wide metric replaces it here.",
    )
    meta: dict[str, Any] = Field(default_factory=dict, description="Free-form notes.")

    @model_validator(mode="after")
    def _one_input(self) -> CaseSpec:
        given = [k for k in ("input", "messages", "vars") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `input`, `messages` or `vars`"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.reference is not None and self.references:
            raise ValueError("give `reference` or `references`, not both")
        for fact in self.facts:
            alternatives = [fact] if isinstance(fact, str) else fact
            if not alternatives or not all(a.strip() for a in alternatives):
                raise ValueError(
                    "`facts` entries must be non-empty strings or non-empty lists of them"
                )
        return self


class CasesFrom(_Strict):
    """Cases from a JSONL file (relative to the suite) or a dataset split (``seoul-qa@1:test``).
    A bare string is the source alone."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_or_string("source"))

    source: str = Field(description="JSONL path, or a dataset split reference NAME@VERSION:SPLIT.")
    tags: list[str] = Field(default_factory=list, description="Tags added to every case.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _expand(value, "source")


class SuiteFile(_Strict):
    """One suite file."""

    name: str = Field(pattern=NAME_PATTERN, description="Suite name (runs are listed by it).")
    description: str = ""
    prompt: str | None = Field(
        None,
        description="Prompt rendered for each case: a file (relative to the suite), a name in "
        "prompts/, or NAME@LABEL.",
    )
    system: str | None = Field(
        None, description="System message sent before each `input` case (when no prompt)."
    )
    input_var: str = Field(
        "question", description="With a prompt: the variable a case's `input` is passed as."
    )
    model: str | None = Field(None, description="Default model; `eval run --model` overrides.")
    params: PromptParams = Field(default_factory=PromptParams)
    metrics: list[MetricSpec] = Field(
        default_factory=list, description="Metrics scored on every case."
    )
    cases: list[CaseSpec] = Field(default_factory=list)
    cases_from: list[CasesFrom] = Field(default_factory=list)
    documents: str | list[str] = Field(
        default_factory=list,
        description="The documents the `retrieve` baseline searches: folders, files or globs "
        "relative to the suite (default: the project's `[knowledge] documents`); one string "
        "is a list of one.",
    )

    @model_validator(mode="after")
    def _prompt_or_system(self) -> SuiteFile:
        if self.prompt and self.system:
            raise ValueError("give `prompt` or `system`, not both (a prompt has its own system)")
        return self


@dataclass(frozen=True)
class MetricUse:
    """A metric as used by a suite or a case: ``key`` is what scores are stored under, ``where``
    the file:line it was written at (for errors)."""

    key: str
    name: str
    params: dict[str, Any]
    threshold: float | None
    where: str
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()

    def applies_to(self, case: SuiteCase) -> bool:
        """Whether this metric scores ``case`` (its ``tags`` / ``skip_tags`` filters)."""
        if self.tags and not set(self.tags) & set(case.tags):
            return False
        return not set(self.skip_tags) & set(case.tags)

    def identity(self) -> str:
        """Equal for two uses that build the same metric (name and params)."""
        return json.dumps([self.name, self.params], sort_keys=True, ensure_ascii=False, default=str)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "params": self.params,
            "threshold": self.threshold,
        }
        if self.tags:
            out["tags"] = list(self.tags)
        if self.skip_tags:
            out["skip_tags"] = list(self.skip_tags)
        return out


@dataclass(frozen=True)
class SuiteCase:
    """One case before rendering: exactly one of ``input``, ``messages``, ``vars`` is set."""

    id: str
    where: str
    input: str | None = None
    messages: tuple[dict[str, str], ...] | None = None
    vars: dict[str, Any] | None = None
    references: tuple[str, ...] = ()
    context: str | None = None
    tags: tuple[str, ...] = ()
    metrics: tuple[MetricUse, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    facts: tuple[tuple[str, ...], ...] = ()

    def fingerprint(self) -> dict[str, Any]:
        extra = {"facts": [list(f) for f in self.facts]} if self.facts else {}
        return {
            **extra,
            "id": self.id,
            "input": self.input,
            "messages": list(self.messages) if self.messages is not None else None,
            "vars": self.vars,
            "references": list(self.references),
            "context": self.context,
            "tags": list(self.tags),
            "metrics": [{"key": m.key, **m.as_dict()} for m in self.metrics],
        }


@dataclass(frozen=True)
class Suite:
    """A loaded suite: its cases, metrics and (optional) prompt, ready to render and run."""

    name: str
    cases: tuple[SuiteCase, ...]
    metrics: tuple[MetricUse, ...] = ()
    params: PromptParams = field(default_factory=PromptParams)
    description: str = ""
    model: str | None = None
    system: str | None = None
    input_var: str = "question"
    prompt: PromptFile | None = None
    prompt_ref: str | None = None
    path: Path | None = None
    documents: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """sha256 of what is asked and how it is scored (see the module docstring)."""
        blob = {
            "name": self.name,
            "system": self.system,
            "input_var": self.input_var,
            "params": self.params.model_dump(exclude_none=True),
            "metrics": [{"key": m.key, **m.as_dict()} for m in self.metrics],
            "cases": [c.fingerprint() for c in self.cases],
        }
        text = json.dumps(blob, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def metric_keys(self) -> list[str]:
        """Every metric key, suite-wide first, then per-case extras in order of appearance."""
        keys = dict.fromkeys(m.key for m in self.metrics)
        for case in self.cases:
            keys.update(dict.fromkeys(m.key for m in case.metrics))
        return list(keys)

    def metrics_for(self, case: SuiteCase) -> list[MetricUse]:
        """The suite-wide metrics with the case's own added (same key: the case's replaces),
        less those whose ``tags`` / ``skip_tags`` leave this case out."""
        own = {m.key: m for m in case.metrics}
        uses = [own.pop(m.key, m) for m in self.metrics]
        return [u for u in uses + list(own.values()) if u.applies_to(case)]

    def select(self, *, tags: Sequence[str] = (), limit: int | None = None) -> Suite:
        """The cases having any of ``tags`` (all when empty), then the first ``limit`` of them."""
        wanted = set(tags)
        cases = [c for c in self.cases if not wanted or wanted & set(c.tags)]
        if limit is not None:
            cases = cases[:limit]
        return replace(self, cases=tuple(cases))

    def with_prompt(self, prompt: PromptFile, ref: str) -> Suite:
        """The same suite rendered with another prompt (``eval run --prompt``)."""
        return replace(self, prompt=prompt, prompt_ref=ref)

    def sampling_params(self, **overrides: Any) -> SamplingParams:
        """The suite's ``params`` with overrides (``None`` means not given)."""
        from tuneloop.prompts.runner import merge_params

        return merge_params(self.params, overrides)

    def eval_cases(self, *, store: Store | None = None) -> list[EvalCase]:
        """Render every case to the chat messages sent to the model.

        A prompt that retrieves fills each case's ``sources`` with the passages it was given and
        ``meta["index_hashes"]`` with the searched indexes' content hashes (the response cache
        keys on them); ``store`` opens registered indexes (documents paths need none).
        Raises :class:`PromptError` naming the case (and where it is written) if one cannot be
        rendered, so a broken prompt fails before any model call.
        """
        from tuneloop.evaluate.metrics.base import EvalCase

        out = []
        indexes = None
        if self.prompt is not None:
            from tuneloop.knowledge.resolve import index_resolver

            indexes = index_resolver(self.prompt.base_dir, store)
        for case in self.cases:
            meta = dict(case.meta)
            try:
                messages, sources, hashes = self._messages(case, indexes)
            except PromptError as exc:
                raise PromptError(
                    f"{case.where}: case {case.id!r}: {exc.message}", hint=exc.hint
                ) from exc
            out.append(
                EvalCase(
                    id=case.id,
                    messages=messages,
                    references=case.references,
                    context=case.context,
                    tags=case.tags,
                    meta={**meta, "index_hashes": hashes} if hashes else meta,
                    facts=case.facts,
                    sources=sources,
                )
            )
        return out

    def _messages(
        self, case: SuiteCase, indexes: IndexResolver | None = None
    ) -> tuple[list[dict[str, Any]], tuple[Hit, ...], dict[str, str]]:
        if case.messages is not None:
            return [dict(m) for m in case.messages], (), {}
        if self.prompt is not None:
            from tuneloop.prompts.render import render, resolve_variables
            from tuneloop.prompts.runner import examples_for

            given = case.vars if case.vars is not None else {self.input_var: case.input}
            values = resolve_variables(self.prompt, given)
            rendered = render(
                self.prompt, values, examples=examples_for(self.prompt, values), indexes=indexes
            )
            return [dict(m) for m in rendered.as_dicts()], rendered.sources, rendered.index_hashes
        if case.vars is not None:
            raise PromptError(
                "has `vars` but the suite has no prompt to render them with.",
                hint="Add `prompt:` to the suite, pass --prompt, or use `input:` instead.",
            )
        messages = [{"role": "system", "content": self.system}] if self.system else []
        return [*messages, {"role": "user", "content": case.input or ""}], (), {}


# --------------------------------------------------------------------------- loading


def parse_suite(
    source: str,
    path: Path,
    *,
    store: Store | None = None,
    prompts: PromptResolver | None = None,
) -> Suite:
    """Validate suite YAML text (``path`` names it in errors and anchors relative paths)."""
    doc = parse_yaml(source, path, DataError)
    return _build(doc, validate_yaml(doc, SuiteFile, DataError), store, prompts)


def load_suite(
    path: str | Path,
    *,
    store: Store | None = None,
    prompts: PromptResolver | None = None,
) -> Suite:
    """Load a suite file with all its cases.

    ``store`` is needed only for dataset-split ``cases_from`` entries; ``prompts`` resolves a
    ``prompt:`` that is not a file next to the suite (a name in prompts/, ``NAME@LABEL``).
    """
    file = Path(path)
    doc = load_yaml(file, DataError)
    return _build(doc, validate_yaml(doc, SuiteFile, DataError), store, prompts)


def _metric_use(spec: MetricSpec, where: str) -> MetricUse:
    return MetricUse(
        spec.key,
        spec.name,
        dict(spec.params),
        spec.threshold,
        where,
        tags=tuple(spec.tags),
        skip_tags=tuple(spec.skip_tags),
    )


def _uses(entries: Sequence[MetricSpec], doc: YamlDocument, *loc: Any) -> list[MetricUse]:
    uses: list[MetricUse] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(entries):
        use = _metric_use(entry, doc.where((*loc, i)))
        if use.key in seen:
            raise DataError(
                f"{use.where}: metric key {use.key!r} is used twice (first at {seen[use.key]}).",
                hint="Give one of them a `label:` so their scores are stored apart.",
            )
        seen[use.key] = use.where
        uses.append(use)
    return uses


def _build(
    doc: YamlDocument, spec: SuiteFile, store: Store | None, prompts: PromptResolver | None
) -> Suite:
    base = doc.path.parent
    cases: list[SuiteCase] = []
    for i, c in enumerate(spec.cases):
        where = doc.where(("cases", i))
        refs = tuple(c.references) or ((c.reference,) if c.reference is not None else ())
        cases.append(
            SuiteCase(
                id=c.id or f"case-{i + 1}",
                where=where,
                input=c.input,
                messages=tuple(m.model_dump() for m in c.messages) if c.messages else None,
                vars=c.vars,
                references=refs,
                context=c.context,
                tags=tuple(c.tags),
                metrics=tuple(_uses(c.metrics, doc, "cases", i, "metrics")),
                meta=dict(c.meta),
                facts=tuple((f,) if isinstance(f, str) else tuple(f) for f in c.facts),
            )
        )
    for j, item in enumerate(spec.cases_from):
        where = doc.where(("cases_from", j), value=True)
        cases.extend(_cases_from(item, base, where, store))
    _check_ids(cases)
    if not cases:
        raise DataError(
            f"{doc.path}: suite {spec.name!r} has no cases.",
            hint="Add `cases:` or `cases_from:` to the suite file.",
        )
    prompt = None
    if spec.prompt:
        prompt = resolve_suite_prompt(
            spec.prompt, base, prompts, doc.where(("prompt",), value=True)
        )
    if prompt is None and any(c.vars is not None for c in cases):
        first = next(c for c in cases if c.vars is not None)
        raise DataError(
            f"{first.where}: case {first.id!r} has `vars`, but the suite has no `prompt`.",
            hint="Add `prompt:` to the suite, or give the case an `input:` instead.",
        )
    return Suite(
        name=spec.name,
        cases=tuple(cases),
        metrics=tuple(_uses(spec.metrics, doc, "metrics")),
        params=spec.params,
        description=spec.description,
        model=spec.model,
        system=spec.system,
        input_var=spec.input_var,
        prompt=prompt,
        prompt_ref=spec.prompt,
        path=doc.path,
        documents=(spec.documents,) if isinstance(spec.documents, str) else tuple(spec.documents),
    )


def resolve_suite_prompt(
    ref: str, base: Path, prompts: PromptResolver | None, where: str
) -> PromptFile:
    """A prompt file next to the suite, else whatever ``prompts`` resolves ``ref`` to."""
    from tuneloop.prompts.template import load_prompt

    local = base / ref
    if local.suffix in {".yaml", ".yml"} and local.is_file():
        return load_prompt(local)
    if prompts is None:
        raise PromptError(
            f"{where}: no prompt file {ref!r} next to the suite.",
            hint="Give a path relative to the suite file, or run it with `tuneloop eval run` "
            "inside a project so names in prompts/ and NAME@LABEL resolve.",
        )
    try:
        return prompts(ref)
    except PromptError as exc:
        raise PromptError(f"{where}: {exc.message}", hint=exc.hint) from exc


def _check_ids(cases: Sequence[SuiteCase]) -> None:
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise DataError(
                f"{case.where}: case id {case.id!r} is used twice (first at {seen[case.id]}).",
                hint="Case ids must be unique within a suite; rename one.",
            )
        seen[case.id] = case.where


def _cases_from(item: CasesFrom, base: Path, where: str, store: Store | None) -> list[SuiteCase]:
    from tuneloop.registry.refs import parse_data_ref

    ref = parse_data_ref(item.source, base=base, param="cases_from")
    path = ref.path if ref.path is not None else (base / item.source).expanduser()
    if path.is_file():
        cases = read_case_file(path)
    elif ref.dataset is not None:
        cases = _dataset_cases(item.source, where, store)
    else:
        raise DataError(
            f"{where}: cases_from {item.source!r}: no such file ({path}).",
            hint="Paths are relative to the suite file; a dataset split looks like "
            "seoul-qa@1:test.",
        )
    if item.tags:
        cases = [
            replace(c, tags=(*c.tags, *(t for t in item.tags if t not in c.tags))) for c in cases
        ]
    return cases


_CASE_KEYS = {
    "id",
    "question",
    "input",
    "messages",
    "reference",
    "references",
    "answer",
    "context",
    "tags",
    "facts",
}


def read_case_file(path: str | Path) -> list[SuiteCase]:
    """Cases from a JSONL file: one object per line with ``question`` (or ``input``, or chat
    ``messages`` whose closing assistant turn, if any, is the reference), optional ``reference`` (or
    ``references``/``answer``), ``context``, ``facts`` (strings, or lists of alternative
    strings), ``tags`` and ``id``; other keys go to ``meta``.
    """
    file = Path(path)
    hint = 'Each line must be one JSON object such as {"question": …, "reference": …}.'
    return [_case_from_object(obj, file, lineno) for lineno, obj in iter_objects(file, hint=hint)]


def _strings(value: Any, key: str, file: Path, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InvalidRecord(f"`{key}` must be a string or a list of strings.", path=file, line=line)


def _case_from_object(obj: dict[str, Any], file: Path, line: int) -> SuiteCase:
    where = f"{file}:{line}"
    question = obj.get("question", obj.get("input"))
    messages = obj.get("messages")
    references = _strings(
        obj.get("references", obj.get("reference", obj.get("answer"))), "reference", file, line
    )
    if messages is not None:
        chat = _chat(messages, file, line)
        # Only a *closing* assistant turn is the reference; one followed by a user turn is part
        # of the conversation (a few-shot exchange), and the question is the final user turn.
        if chat and chat[-1]["role"] == "assistant":
            references = references or (chat[-1]["content"],)
            chat = chat[:-1]
        if not any(m["role"] == "user" for m in chat):
            raise InvalidRecord("`messages` has no user turn to ask.", path=file, line=line)
        body: dict[str, Any] = {"messages": tuple(chat)}
    elif isinstance(question, str) and question.strip():
        body = {"input": question}
    else:
        raise InvalidRecord(
            "a case needs a non-empty `question` (or `input`, or chat `messages`).",
            path=file,
            line=line,
            hint='Write e.g. {"id": "h01", "question": "…", "reference": "…"}.',
        )
    context = obj.get("context")
    if context is not None and not isinstance(context, str):
        raise InvalidRecord("`context` must be a string.", path=file, line=line)
    from tuneloop.evaluate.metrics.facts import parse_facts

    facts = parse_facts(obj.get("facts", []))
    if facts is None:
        raise InvalidRecord(
            "`facts` must be a list of non-empty strings or of lists of alternative strings.",
            path=file,
            line=line,
            hint='Write e.g. "facts": ["화요일", ["2000원", "2천 원"]].',
        )
    return SuiteCase(
        facts=facts,
        id=str(obj.get("id") or f"{file.stem}-{line}"),
        where=where,
        references=references,
        context=context,
        tags=_strings(obj.get("tags"), "tags", file, line),
        meta={k: v for k, v in obj.items() if k not in _CASE_KEYS},
        **body,
    )


def _chat(messages: Any, file: Path, line: int) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        for m in messages
    ):
        raise InvalidRecord(
            '`messages` must be a list of {"role", "content"} objects with string content.',
            path=file,
            line=line,
        )
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def _dataset_cases(ref: str, where: str, store: Store | None) -> list[SuiteCase]:
    from tuneloop.data.records import Example
    from tuneloop.data.versions import load_records

    if store is None:
        raise DataError(
            f"{where}: cases_from {ref!r} names a dataset, but no project store is open.",
            hint="Run the suite with `tuneloop eval run` inside a project, or give a JSONL path.",
        )
    cases = []
    for n, record in enumerate(load_records(ref, store), start=1):
        if not isinstance(record, Example):
            raise DataError(
                f"{where}: dataset {ref!r} holds documents, not chat examples.",
                hint="Evaluate on a split of Q/A examples (e.g. the test split of `data prepare`).",
            )
        obj = {"id": record.id, "messages": record.messages, "tags": record.tags}
        case = _case_from_object(obj, Path(ref), n)
        cases.append(replace(case, where=f"{ref}#{n}", meta={"source": str(record.source or "")}))
    return cases
