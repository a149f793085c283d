"""OpenAI Evals exports → a tuneloop suite: items become cases, ``testing_criteria`` metrics.

OpenAI's hosted Evals closed on 2026-11-30 (``shared/DOMAIN.md``), so what a team has is what it
exported with the SDK: the eval (``client.evals.retrieve(...).model_dump()`` — ``testing_criteria``
and ``data_source_config``), its runs (``client.evals.runs.retrieve(...)`` — the
``input_messages`` template, the model, ``sampling_params``, and inline items for a
``file_content`` source) and the items file (JSONL of ``{"item": …}`` rows, or plain objects).
Shapes follow the ``openai`` SDK types (``types/evals``, ``types/graders``).

Templates use OpenAI's ``{{ item.path.to[0].field }}`` / ``{{ sample.output_text }}`` syntax:
``item`` values are filled in per case; ``sample`` is the answer, which only exists when tuneloop
runs the suite (:mod:`.graders_templates`). Each grader is mapped by :mod:`.graders_criteria`
(the table is in ``docs/migrate.md``):

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneloop.errors import DataError, InvalidRecord
from tuneloop.migrate.graders_criteria import CriteriaContext, map_grader, primary_reference
from tuneloop.migrate.graders_suite import CaseDraft, MappingEntry, SuiteDraft, jsonl_objects, slug
from tuneloop.migrate.graders_templates import (
    Item,
    TemplateProblem,
    content_text,
    lookup,
    parse_variable,
    render_item,
)
from tuneloop.yamlfile import parse_yaml

__all__ = ["EvalExport", "Found", "read_export", "read_items", "suite_from_eval"]

_POSITIONS_LIMIT = 2_000_000  # characters; larger exports are parsed without line positions

_ITEMS_HINT = 'Each line must be one JSON object: {"item": {...}} or the item itself.'

_ROLES = ("system", "developer", "user", "assistant")


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
class EvalExport:
    """The evals and runs found in one export file."""

    evals: list[Found]
    runs: list[Found]


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
    context = CriteriaContext(draft, rows, primary_reference(criteria), judge_model)
    if context.primary is not None:
        for case, item in zip(draft.cases, rows, strict=True):
            case.references = [render_item(item, context.primary, "the reference")]
    for grader in criteria:
        map_grader(context, grader, found.where, prefix="")
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
                text, lost = content_text(message.get("content"))
                dropped.update(lost)
                role = message.get("role", "user")
                if role not in _ROLES:
                    raise DataError(
                        f"{run.where if run else found.where}: input_messages: role {role!r} "
                        "cannot be sent (system, developer, user or assistant)."
                    )
                content = render_item(item, text, "input_messages")
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
        namespace, steps = parse_variable(reference)
        value = lookup(item.data, steps, reference)
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
        text, _ = content_text(message.get("content"))
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
