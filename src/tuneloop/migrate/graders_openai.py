"""OpenAI Evals exports → a tuneloop suite: items become cases, ``testing_criteria`` metrics.

OpenAI's hosted Evals closed on 2026-11-30 (``shared/DOMAIN.md``), so what a team has is what it
exported with the SDK: the eval (``client.evals.retrieve(...).model_dump()`` — ``testing_criteria``
and ``data_source_config``), its runs (``client.evals.runs.retrieve(...)`` — the
``input_messages`` template, the model, ``sampling_params``, and inline items for a
``file_content`` source) and the items file (JSONL of ``{"item": …}`` rows, or plain objects).
Shapes follow the ``openai`` SDK types (``types/evals``, ``types/graders``).

Templates use OpenAI's ``{{ item.path.to[0].field }}`` / ``{{ sample.output_text }}`` syntax:
``item`` values are filled in per case; ``sample`` is the answer, which only exists when tuneloop
runs the suite. The mapping of each grader (see ``docs/migrate.md`` for the table):

* ``string_check`` ``eq``/``ne``/``like``/``ilike`` → ``equals``/``not_equals``/``includes``
  (case-sensitive, or not for ``ilike``) — mapped;
* ``text_similarity`` → ``fuzzy_match``, ``token_f1`` (``rouge_1``), ``rouge_l``, ``chrf``
  (``bleu``, ``gleu``), ``embedding_similarity`` (``cosine``), with ``threshold =
  pass_threshold`` — approximated where the formula differs;
* ``score_model`` / ``label_model`` → ``llm_judge`` with the grader's messages as rubric —
  approximated (a 1–5 grade; the threshold rescaled);
* ``python`` → **never executed**, not mapped, its source kept beside the suite;
* ``multi`` → each sub-grader on its own; the ``calculate_output`` formula is not mapped.

The reference: the first ``string_check``/``text_similarity`` reference template that reads an
item field becomes every case's ``references``; a grader with a different reference gets it as
its own ``value`` (the string checks accept one) or is listed as not mapped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneloop.errors import DataError, InvalidRecord
from tuneloop.migrate.graders_suite import (
    ANSWER,
    QUESTION,
    REFERENCES,
    CaseDraft,
    MappingEntry,
    Status,
    SuiteDraft,
    jsonl_objects,
    slug,
)
from tuneloop.yamlfile import parse_yaml

__all__ = [
    "EvalExport",
    "Found",
    "Item",
    "TemplateProblem",
    "read_export",
    "read_items",
    "render_template",
    "suite_from_eval",
]

_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_STEP = re.compile(r"\.([^.\[\]\s]+)|\[(\d+)\]")
_ANSWER_ONLY = re.compile(r"^\s*\{\{\s*sample\.output_text\s*\}\}\s*$")
_POSITIONS_LIMIT = 2_000_000  # characters; larger exports are parsed without line positions

_ITEMS_HINT = 'Each line must be one JSON object: {"item": {...}} or the item itself.'

# text_similarity evaluation_metric → (tuneloop metric, status, how)
_SIMILARITY: dict[str, tuple[str, Status, str]] = {
    "fuzzy_match": (
        "fuzzy_match",
        "approximated",
        "rapidfuzz's ratio (2·LCS / total length, over characters); OpenAI says only "
        "'using rapidfuzz', not which scorer",
    ),
    "rouge_1": (
        "token_f1",
        "mapped",
        "ROUGE-1 F-measure is unigram-overlap F1 (token_f1); tokens are Kiwi morphemes and "
        "lower-cased words (rouge-score's tokenizer deletes Hangul)",
    ),
    "rouge_l": (
        "rouge_l",
        "mapped",
        "the same LCS F-measure; tokens are Kiwi morphemes and lower-cased words",
    ),
    "bleu": (
        "chrf",
        "approximated",
        "no BLEU in tuneloop: chrF (character n-gram F-score, robust to Korean particles) is "
        "the nearest; re-check the threshold on a few answers",
    ),
    "gleu": (
        "chrf",
        "approximated",
        "no GLEU in tuneloop: chrF is the nearest n-gram score; re-check the threshold",
    ),
    "meteor": (
        "token_f1",
        "approximated",
        "unigram F1 without METEOR's recall weighting, stemming, synonyms and fragmentation "
        "penalty; re-check the threshold",
    ),
    "cosine": (
        "embedding_similarity",
        "approximated",
        "all-MiniLM-L6-v2 embeddings instead of text-embedding-3-large (needs "
        "tuneloop[embeddings]; an English model — for Korean prefer chrf)",
    ),
}
for _n in range(2, 6):
    _SIMILARITY[f"rouge_{_n}"] = (
        "rouge_l",
        "approximated",
        f"no ROUGE-{_n} in tuneloop: ROUGE-L (longest common subsequence) is the nearest; "
        "re-check the threshold",
    )

_STRING_CHECK = {
    "eq": ("equals", {}, "the whole answer equals the reference, case-sensitive"),
    "ne": ("not_equals", {}, "the answer differs from the reference, case-sensitive"),
    "like": ("includes", {}, "the answer contains the reference, case-sensitive"),
    "ilike": (
        "includes",
        {"case_sensitive": False},
        "the answer contains the reference, ignoring case",
    ),
}
_TAKES_VALUE = {"equals", "not_equals", "includes"}
_ROLES = ("system", "developer", "user", "assistant")


class TemplateProblem(ValueError):
    """A template that cannot be rendered (an unknown namespace, a missing item field)."""


@dataclass(frozen=True)
class Found:
    """One object of an export file and the file:line it starts at."""

    data: dict[str, Any]
    path: Path
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)


@dataclass(frozen=True)
class Item:
    """One data row: the ``item`` namespace, the recorded ``sample`` if any, and its origin."""

    data: dict[str, Any]
    sample: dict[str, Any] | None
    path: Path
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)

    def error(self, message: str, hint: str | None = None) -> InvalidRecord:
        return InvalidRecord(message, path=self.path, line=self.line, hint=hint)


@dataclass(frozen=True)
class EvalExport:
    """The evals and runs found in one export file."""

    evals: list[Found]
    runs: list[Found]


# --------------------------------------------------------------------------- templates


def _parse_variable(expr: str) -> tuple[str, list[str | int]]:
    head, _, rest = expr.partition(".")
    tail = "." + rest if rest else ""
    bracket = head.find("[")
    if bracket >= 0:
        head, tail = head[:bracket], head[bracket:] + tail
    steps: list[str | int] = []
    pos = 0
    for match in _STEP.finditer(tail):
        if match.start() != pos:
            raise TemplateProblem(f"cannot read the variable `{{{{ {expr} }}}}`")
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if pos != len(tail) or not head:
        raise TemplateProblem(f"cannot read the variable `{{{{ {expr} }}}}`")
    return head, steps


def _lookup(root: Any, steps: Sequence[str | int], expr: str) -> Any:
    value = root
    for step in steps:
        found = (isinstance(step, int) and isinstance(value, list) and step < len(value)) or (
            isinstance(step, str) and isinstance(value, dict) and step in value
        )
        if found:
            value = value[step]
        else:
            raise TemplateProblem(f"the item has no `{expr}`")
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def render_template(
    template: str,
    item: Mapping[str, Any],
    *,
    sample: Callable[[str], str] | None = None,
    item_value: Callable[[str], str] | None = None,
) -> str:
    """Fill ``{{ item.… }}`` from ``item`` (then through ``item_value``, if given) and
    ``{{ sample.… }}`` with ``sample(path)``; :class:`TemplateProblem` says what is wrong."""

    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        namespace, steps = _parse_variable(expr)
        if namespace == "item":
            text = _as_text(_lookup(item, steps, expr))
            return item_value(text) if item_value is not None else text
        if namespace == "sample":
            if sample is None:
                raise TemplateProblem(
                    f"`{{{{ {expr} }}}}` reads the model's answer, which a case's input cannot"
                )
            return sample(".".join(str(s) for s in steps))
        raise TemplateProblem(
            f"`{{{{ {expr} }}}}`: unknown namespace {namespace!r} (OpenAI templates read "
            "`item` and `sample`)"
        )

    return _TEMPLATE.sub(one, template)


def _canonical(template: str) -> str:
    return _TEMPLATE.sub(lambda m: "{{" + m.group(1).replace(" ", "") + "}}", template.strip())


def _reads_item(template: str) -> bool:
    return any(m.group(1).startswith("item") for m in _TEMPLATE.finditer(template))


def _content_text(content: Any) -> tuple[str, list[str]]:
    """A message content's text, and the parts that are not text (images, audio)."""
    if isinstance(content, str):
        return content, []
    parts = content if isinstance(content, list) else [content]
    texts, dropped = [], []
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
        else:
            dropped.append(str(part.get("type")) if isinstance(part, dict) else type(part).__name__)
    return "\n".join(texts), dropped


# --------------------------------------------------------------------------- reading


def read_export(path: Path) -> EvalExport:
    """Evals and runs from a JSON export: one object, a list, or a list page ``{"data": […]}``.

    JSON syntax errors and objects that are neither an eval nor a run are
    :class:`~tuneloop.errors.InvalidRecord` with file:line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file.", hint="Check the path.") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text.", hint="Save the file as UTF-8.") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(
            f"invalid JSON ({exc.msg} at column {exc.colno}).",
            path=path,
            line=exc.lineno,
            hint="Export the eval with `print(client.evals.retrieve(ID).model_dump_json())`.",
        ) from exc
    positions = _positions(text, path)
    loc: tuple[str | int, ...] = ()
    if isinstance(value, dict) and value.get("object") == "list" and "data" in value:
        value, loc = value["data"], ("data",)
    objects = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    export = EvalExport(evals=[], runs=[])
    for index, obj in objects:
        where = (*loc, index) if index is not None else loc
        found_line = positions[where][0] if where in positions else (None if where else 1)
        if not isinstance(obj, dict):
            raise InvalidRecord(
                f"expected an eval or eval run object, got {type(obj).__name__}.",
                path=path,
                line=found_line,
            )
        found = Found(obj, path, found_line)
        if obj.get("object") == "eval.run" or ("data_source" in obj and "eval_id" in obj):
            export.runs.append(found)
        elif obj.get("object") == "eval" or "testing_criteria" in obj:
            export.evals.append(found)
        else:
            raise InvalidRecord(
                "neither an eval (no `testing_criteria`) nor an eval run (no `data_source`).",
                path=path,
                line=found_line,
                hint="Give the JSON of client.evals.retrieve(...) or client.evals.runs.retrieve"
                "(...); items go in --items.",
            )
    return export


def _positions(text: str, path: Path) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Line/column of each key path, read through the YAML parser (JSON is YAML); empty when
    the file is too large or YAML reads it differently."""
    if len(text) > _POSITIONS_LIMIT:
        return {}
    try:
        return parse_yaml(text, path, DataError).positions
    except DataError:
        return {}


def read_items(path: Path) -> list[Item]:
    """Items from JSONL: ``{"item": {...}, "sample": {...}}`` rows or plain objects."""
    items = []
    for number, obj in jsonl_objects(path, _ITEMS_HINT):
        if isinstance(obj.get("item"), dict) and set(obj) <= {"item", "sample"}:
            sample = obj.get("sample")
            items.append(
                Item(obj["item"], sample if isinstance(sample, dict) else None, path, number)
            )
        else:
            items.append(Item(obj, None, path, number))
    return items


def _run_items(run: Found) -> list[Item] | None:
    source = run.data.get("data_source", {}).get("source")
    if not isinstance(source, dict) or source.get("type") != "file_content":
        return None
    items = []
    for n, row in enumerate(source.get("content") or []):
        if not isinstance(row, dict) or not isinstance(row.get("item"), dict):
            raise InvalidRecord(
                f"data_source.source.content[{n}] has no `item` object.",
                path=run.path,
                line=run.line,
            )
        sample = row.get("sample")
        items.append(
            Item(row["item"], sample if isinstance(sample, dict) else None, run.path, run.line)
        )
    return items


# --------------------------------------------------------------------------- the suite


@dataclass
class _Context:
    draft: SuiteDraft
    items: list[Item]
    primary: str | None
    judge_model: str | None


def suite_from_eval(
    found: Found,
    runs: Sequence[Found],
    items: Sequence[Item] | None,
    *,
    judge_model: str | None = None,
) -> SuiteDraft:
    """The suite for one exported eval (pure: everything it reads is passed in).

    ``runs`` are the exported runs of this eval (the first with ``input_messages`` gives the
    case template and sampling params); ``items`` (from ``--items``) replace a run's inline
    items. ``judge_model`` replaces the model of every model grader.
    """
    spec = found.data
    eval_id = str(spec.get("id") or "")
    name = slug(str(spec.get("name") or ""), slug(eval_id, "openai-eval"))
    draft = SuiteDraft(
        name=name,
        description=f"Imported from OpenAI eval {eval_id or name} ({found.path}) by `tuneloop "
        f"migrate openai import-evals`; mapping report: {name}.mapping.json.",
        source=found.where,
        cases=[],
    )
    run = next((r for r in runs if _template(r) is not None), runs[0] if runs else None)
    for other in runs:
        if other is not run:
            draft.note(
                MappingEntry(
                    str(other.data.get("id") or other.where),
                    "eval run",
                    "not_mapped",
                    "another run of this eval; its template, model and params were not used "
                    f"(those of {run.data.get('id') if run else '-'} were)",
                    where=other.where,
                )
            )
    rows = list(items) if items is not None else (_run_items(run) if run else None)
    if not rows:
        raise DataError(
            f"{found.where}: eval {eval_id or name!r}: no items to make cases from.",
            hint="Pass the eval's data file with --items (download a file_id source with "
            "client.files.content(ID)), or export a run whose source is file_content.",
        )
    _check_items(draft, found, rows)
    _build_cases(draft, found, run, rows)
    if run is not None:
        _sampling(draft, run)
    criteria = spec.get("testing_criteria")
    if not isinstance(criteria, list):
        raise InvalidRecord(
            "`testing_criteria` must be a list of graders.", path=found.path, line=found.line
        )
    context = _Context(draft, rows, _primary_reference(criteria), judge_model)
    if context.primary is not None:
        for case, item in zip(draft.cases, rows, strict=True):
            case.references = [_render(item, context.primary, "the reference")]
    for grader in criteria:
        _map_grader(context, grader, found.where, prefix="")
    return draft


def _template(run: Found) -> dict[str, Any] | None:
    messages = run.data.get("data_source", {}).get("input_messages")
    return messages if isinstance(messages, dict) else None


def _check_items(draft: SuiteDraft, found: Found, items: Sequence[Item]) -> None:
    """Validate items against the eval's item schema, when it has one."""
    config = found.data.get("data_source_config") or {}
    schema = config.get("item_schema")
    if schema is None and isinstance(config.get("schema"), dict):
        schema = config["schema"].get("properties", {}).get("item")
    if not isinstance(schema, dict):
        return
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
    from jsonschema.validators import validator_for  # type: ignore[import-untyped]

    try:
        validator_class: Any = validator_for(schema)
        validator_class.check_schema(schema)
    except SchemaError as exc:
        draft.note(
            MappingEntry(
                "item_schema",
                "data_source_config",
                "not_mapped",
                f"not a valid JSON Schema ({exc.message}); items were not checked against it",
                where=found.where,
            )
        )
        return
    validator = validator_class(schema)
    for item in items:
        error = next(iter(validator.iter_errors(item.data)), None)
        if error is not None:
            at = "/".join(map(str, error.absolute_path)) or "(item)"
            raise item.error(
                f"the item does not match the eval's item_schema: {at}: {error.message}.",
                hint="Fix the row, or check that --items is this eval's data file.",
            )


def _render(item: Item, template: str, what: str, **kwargs: Any) -> str:
    try:
        return render_template(template, item.data, **kwargs)
    except TemplateProblem as exc:
        raise item.error(f"{what}: {exc}.") from exc


def _build_cases(draft: SuiteDraft, found: Found, run: Found | None, items: Sequence[Item]) -> None:
    template = _template(run) if run is not None else None
    ids = [item.data.get("id") for item in items]
    use_ids = all(isinstance(i, str | int) and str(i) for i in ids) and len(set(ids)) == len(ids)
    dropped: set[str] = set()
    for n, item in enumerate(items, start=1):
        if template is not None and template.get("type") == "item_reference":
            messages = _referenced_messages(item, str(template.get("item_reference", "")))
        elif template is not None:
            messages = []
            for message in template.get("template") or []:
                text, lost = _content_text(message.get("content"))
                dropped.update(lost)
                role = message.get("role", "user")
                if role not in _ROLES:
                    raise DataError(
                        f"{run.where if run else found.where}: input_messages: role {role!r} "
                        "cannot be sent (system, developer, user or assistant)."
                    )
                content = _render(item, text, "input_messages")
                messages.append({"role": role, "content": content})
        else:
            messages = _fallback_messages(item)
        meta: dict[str, Any] = {"item": item.data, "source": item.where}
        output = (item.sample or {}).get("output_text")
        if isinstance(output, str):
            meta["openai_output"] = output
        case_id = str(ids[n - 1]) if use_ids else f"item-{n}"
        draft.cases.append(CaseDraft(case_id, messages, meta=meta))
    if template is not None and run is not None:
        draft.note(
            MappingEntry(
                str(run.data.get("id") or "run"),
                f"input_messages ({template.get('type')})",
                "mapped",
                "the run's input template, filled with each item, is each case's conversation",
                where=run.where,
            )
        )
    else:
        draft.note(
            MappingEntry(
                "input_messages",
                "case input",
                "approximated",
                "no run with an input_messages template was given: each case asks the item's "
                "`messages`, `input`, `question` or `prompt` field",
                where=found.where,
            )
        )
    if dropped:
        draft.note(
            MappingEntry(
                "input_messages",
                "content parts",
                "not_mapped",
                f"{', '.join(sorted(dropped))} parts are not carried: tuneloop cases are text",
                where=run.where if run else found.where,
            )
        )


def _referenced_messages(item: Item, reference: str) -> list[dict[str, str]]:
    try:
        namespace, steps = _parse_variable(reference)
        value = _lookup(item.data, steps, reference)
    except TemplateProblem as exc:
        raise item.error(f"input_messages item_reference: {exc}.") from exc
    if namespace != "item" or not isinstance(value, list):
        raise item.error(f"input_messages item_reference {reference!r} is not a list of messages.")
    return _chat(item, value)


def _chat(item: Item, value: list[Any]) -> list[dict[str, str]]:
    messages = []
    for message in value:
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise item.error(
                'messages must be {"role": system|developer|user|assistant, "content"} objects.'
            )
        text, _ = _content_text(message.get("content"))
        messages.append({"role": message["role"], "content": text})
    return messages


def _fallback_messages(item: Item) -> list[dict[str, str]]:
    for key in ("messages", "input", "question", "prompt"):
        value = item.data.get(key)
        if isinstance(value, list):
            return _chat(item, value)
        if isinstance(value, str) and value.strip():
            return [{"role": "user", "content": value}]
    raise item.error(
        "no input_messages template is known and the item has no `messages`, `input`, "
        "`question` or `prompt` to ask.",
        hint="Export a run of this eval too (client.evals.runs.retrieve) and pass it as a FILE.",
    )


def _sampling(draft: SuiteDraft, run: Found) -> None:
    source = run.data.get("data_source", {})
    params = source.get("sampling_params") or {}
    carried: dict[str, Any] = {}
    for key, target in (
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("seed", "seed"),
        ("max_completion_tokens", "max_tokens"),
        ("max_completions_tokens", "max_tokens"),
    ):
        if params.get(key) is not None:
            carried[target] = params[key]
    draft.params.update(carried)
    model = source.get("model") or run.data.get("model")
    reason = f"the run sampled {model or 'its model'}; run the suite with `--model`"
    if carried:
        reason += f"; params carried: {', '.join(f'{k}={v}' for k, v in carried.items())}"
    draft.note(MappingEntry("model", "run model", "mapped", reason, where=run.where))
    response_format = params.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") in (
        "json_schema",
        "json_object",
    ):
        schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
        label = draft.label("response_format")
        draft.add_metric(label, "json_schema", [{"schema": schema}])
        draft.note(
            MappingEntry(
                "response_format",
                f"sampling_params ({response_format['type']})",
                "approximated",
                "OpenAI constrained the answer to this JSON format; tuneloop checks each answer "
                "against it instead",
                metric=label,
                where=run.where,
            )
        )
    for key in ("tools", "reasoning_effort"):
        if params.get(key):
            draft.note(
                MappingEntry(
                    key,
                    "sampling_params",
                    "not_mapped",
                    "tuneloop suites have no such setting",
                    where=run.where,
                    definition=params[key],
                )
            )


def _primary_reference(criteria: Sequence[Any]) -> str | None:
    """The first string/similarity grader's reference template that reads an item field."""
    for grader in _flatten(criteria):
        reference = grader.get("reference")
        if (
            grader.get("type") in ("string_check", "text_similarity")
            and isinstance(reference, str)
            and isinstance(grader.get("input"), str)
            and _ANSWER_ONLY.match(grader["input"])
            and _reads_item(reference)
        ):
            return _canonical(reference)
    return None


def _flatten(criteria: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for grader in criteria:
        if isinstance(grader, dict) and grader.get("type") == "multi":
            out.extend(_flatten(_sub_graders(grader)))
        elif isinstance(grader, dict):
            out.append(grader)
    return out


def _sub_graders(grader: Mapping[str, Any]) -> list[dict[str, Any]]:
    subs = grader.get("graders")
    if isinstance(subs, dict) and "type" in subs:
        return [subs]
    if isinstance(subs, dict):
        return [{**v, "name": k} for k, v in subs.items() if isinstance(v, dict)]
    return [g for g in subs or [] if isinstance(g, dict)]


def _map_grader(ctx: _Context, grader: Any, where: str, prefix: str) -> None:
    draft = ctx.draft
    if not isinstance(grader, dict):
        draft.note(
            MappingEntry(
                "?", "grader", "not_mapped", "not a grader object", where=where, definition=grader
            )
        )
        return
    kind = str(grader.get("type"))
    name = prefix + str(grader.get("name") or f"{kind}-{len(draft.entries) + 1}")
    if kind == "multi":
        for sub in _sub_graders(grader):
            _map_grader(ctx, sub, where, prefix=f"{name}.")
        draft.note(
            MappingEntry(
                name,
                "multi",
                "not_mapped",
                "each sub-grader is its own metric; the formula combining them "
                f"({grader.get('calculate_output')!r}) is not applied — write it as gate rules",
                where=where,
                definition={k: v for k, v in grader.items() if k != "graders"},
            )
        )
        return
    handler = _HANDLERS.get(kind)
    if handler is None:
        draft.note(
            MappingEntry(
                name,
                kind,
                "not_mapped",
                f"unknown grader type {kind!r}; its definition is kept",
                where=where,
                definition=grader,
            )
        )
        return
    try:
        handler(ctx, grader, name, where)
    except _Unmappable as exc:
        draft.note(
            MappingEntry(name, exc.kind, "not_mapped", exc.reason, where=where, definition=grader)
        )


class _Unmappable(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def _answer_input(grader: Mapping[str, Any], kind: str) -> None:
    value = grader.get("input")
    if not isinstance(value, str) or not _ANSWER_ONLY.match(value):
        raise _Unmappable(
            kind,
            f"grades {value!r}, not the answer text `{{{{ sample.output_text }}}}`; tuneloop "
            "metrics score the answer",
        )


def _reference_params(ctx: _Context, grader: Mapping[str, Any], kind: str, metric: str) -> Any:
    """Per-case params that point ``metric`` at the grader's reference."""
    reference = grader.get("reference")
    if not isinstance(reference, str):
        raise _Unmappable(kind, "has no `reference` template")
    if ctx.primary is not None and _canonical(reference) == ctx.primary:
        return [{} for _ in ctx.items]
    if metric not in _TAKES_VALUE:
        raise _Unmappable(
            kind,
            f"its reference {reference!r} differs from the cases' references "
            f"({ctx.primary!r}), and `{metric}` compares with the case's references",
        )
    return [{"value": _render(item, reference, "reference")} for item in ctx.items]


def _string_check(ctx: _Context, grader: Mapping[str, Any], name: str, where: str) -> None:
    operation = grader.get("operation")
    kind = f"string_check {operation}"
    if operation not in _STRING_CHECK:
        raise _Unmappable(kind, f"unknown operation {operation!r} (OpenAI has eq, ne, like, ilike)")
    _answer_input(grader, kind)
    metric, extra, how = _STRING_CHECK[str(operation)]
    per_case = _reference_params(ctx, grader, kind, metric)
    label = ctx.draft.label(name)
    ctx.draft.add_metric(label, metric, [{**p, **extra} for p in per_case])
    ctx.draft.note(MappingEntry(name, kind, "mapped", how, metric=label, where=where))


def _text_similarity(ctx: _Context, grader: Mapping[str, Any], name: str, where: str) -> None:
    measure = str(grader.get("evaluation_metric"))
    kind = f"text_similarity {measure}"
    if measure not in _SIMILARITY:
        raise _Unmappable(kind, f"unknown evaluation_metric {measure!r}")
    _answer_input(grader, kind)
    metric, status, how = _SIMILARITY[measure]
    per_case = _reference_params(ctx, grader, kind, metric)
    threshold = grader.get("pass_threshold")
    if isinstance(threshold, int | float) and 0 <= threshold <= 1:
        how += f"; threshold = pass_threshold {threshold}"
    else:
        how += f"; pass_threshold {threshold!r} is not in [0, 1], so no threshold was set"
        threshold = None
    label = ctx.draft.label(name)
    ctx.draft.add_metric(label, metric, per_case, threshold)
    ctx.draft.note(MappingEntry(name, kind, status, how, metric=label, where=where))


def _model_grader(ctx: _Context, grader: Mapping[str, Any], name: str, where: str) -> None:
    kind = str(grader["type"])
    model = ctx.judge_model or grader.get("model")
    messages = grader.get("input")
    if not isinstance(model, str) or not model:
        raise _Unmappable(kind, "has no `model` (pass --judge-model to choose one)")
    if not isinstance(messages, list) or not messages:
        raise _Unmappable(kind, "has no `input` messages")
    if kind == "label_model":
        labels, passing = grader.get("labels") or [], grader.get("passing_labels") or []
        header = (
            f'OpenAI label_model grader "{name}" labelled each answer as one of: '
            f"{', '.join(map(str, labels))}; passing labels: {', '.join(map(str, passing))}. "
            "Follow its instructions below; grade 5 when the right label is a passing one and "
            "1 when it is not."
        )
        threshold: float | None = 0.5
        scale = "a passing label is grade 5, any other grade 1; threshold 0.5 (grade 3 or more)"
    else:
        low, high = (grader.get("range") or [0, 1])[:2]
        passing_at = grader.get("pass_threshold")
        header = (
            f'OpenAI score_model grader "{name}" scored each answer from {low} to {high}'
            + (f", passing at {passing_at}" if passing_at is not None else "")
            + ". Follow its instructions below and express that score on the 1–5 scale."
        )
        threshold, scale = None, "no pass_threshold, so no threshold"
        if isinstance(passing_at, int | float) and high > low:
            threshold = round(min(1.0, max(0.0, (passing_at - low) / (high - low))), 4)
            scale = (
                f"its {low}–{high} scale is read as the judge's 1–5; threshold "
                f"({passing_at} − {low}) / ({high} − {low}) = {threshold}"
            )
    lost: set[str] = set()
    rubrics = []
    for case, item in zip(ctx.draft.cases, ctx.items, strict=True):
        lines = []
        for message in messages:
            message = message if isinstance(message, dict) else {"content": message}
            text, dropped = _content_text(message.get("content"))
            lost.update(dropped)
            role = message.get("role", "user")
            rendered = _render(
                item,
                text,
                f"grader {name!r}",
                sample=lambda path: ANSWER,
                item_value=lambda value, case=case: _placeholder(value, case),
            )
            lines.append(f"[{role}]\n{rendered}")
        rubrics.append({"model": model, "rubric": header + "\n\n" + "\n\n".join(lines)})
    label = ctx.draft.label(name)
    ctx.draft.add_metric(label, "llm_judge", rubrics, threshold)
    how = (
        f"llm_judge with the grader's messages as its rubric ({{{{ sample.output_text }}}} → the "
        f"answer, item fields holding the question or references → those); {scale}; judge "
        f"model {model}" + (" (from --judge-model)" if ctx.judge_model else " (from the grader)")
    )
    if grader.get("sampling_params"):
        how += "; sampling_params not carried (the judge prompt sets temperature 0)"
    if lost:
        how += f"; {', '.join(sorted(lost))} parts not carried"
    ctx.draft.note(MappingEntry(name, kind, "approximated", how, metric=label, where=where))


def _placeholder(value: str, case: CaseDraft) -> str:
    text = value.strip()
    if text and text == case.question.strip():
        return QUESTION
    if text and text in (r.strip() for r in case.references):
        return REFERENCES
    return value


def _python(ctx: _Context, grader: Mapping[str, Any], name: str, where: str) -> None:
    source = grader.get("source")
    kept = f"{ctx.draft.name}.{slug(name, 'python-grader')}.py"
    if isinstance(source, str):
        ctx.draft.kept[kept] = (
            f"# OpenAI python grader {name!r}, imported by `tuneloop migrate openai import-evals`\n"
            "# from " + where + ". tuneloop never runs it: port it to a metric plugin "
            "(docs/eval.md).\n\n" + source
        )
    ctx.draft.note(
        MappingEntry(
            name,
            "python",
            "not_mapped",
            "Python graders are never executed: an imported file is data, not code to run. "
            + (f"Its source is kept in {kept} to port by hand" if isinstance(source, str) else "")
            + ".",
            where=where,
            definition=dict(grader),
            kept=kept if isinstance(source, str) else None,
        )
    )


_HANDLERS: dict[str, Callable[[_Context, Mapping[str, Any], str, str], None]] = {
    "string_check": _string_check,
    "text_similarity": _text_similarity,
    "score_model": _model_grader,
    "label_model": _model_grader,
    "python": _python,
}
