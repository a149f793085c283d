"""``openai/evals`` registry YAML → tuneloop suites: one suite per eval, samples become cases.

A registry file (``evals/registry/evals/NAME.yaml``) names each eval twice: ``NAME: {id:
NAME.dev.v0, description, metrics}`` and ``NAME.dev.v0: {class: MODULE:CLASS, args: {...}}``;
``args.samples_jsonl`` is relative to ``evals/registry/data/`` and each sample is ``{"input":
chat messages or a string, "ideal": a string or a list}``. Model-graded evals name a spec in
``evals/registry/modelgraded/SPEC.yaml`` (``prompt`` with ``{input}``/``{completion}``/``{ideal}``
fields, ``choice_strings``, ``choice_scores``, ``input_outputs``). Semantics were read from the
repository (``evals/elsuite/basic/*.py``, ``modelgraded/classify*.py``, ``prompt/base.py``).

The classes map to the metrics that mean the same (:mod:`tuneloop.evaluate.metrics.matching`):
``Match`` → ``starts_with``, ``Includes`` → ``includes``, ``FuzzyMatch`` → ``fuzzy_contains``,
``JsonMatch`` → ``json_match``; ``ModelBasedClassify`` → ``llm_judge`` with the spec's prompt as
rubric (only with ``--judge-model``: the registry never says which model graded — ``oaieval``
took it from its command line). Any other class is custom Python: it is **never imported or
run**, and is listed as not mapped.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
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
from tuneloop.yamlfile import YamlDocument, load_yaml

__all__ = [
    "MODELGRADED",
    "RegistryEval",
    "Sample",
    "read_modelgraded_spec",
    "read_samples",
    "registry_evals",
    "samples_path",
    "suite_from_registry_eval",
]

MODELGRADED = "evals.elsuite.modelgraded.classify:ModelBasedClassify"

# class → (metric, status, what it checks)
_BASIC: dict[str, tuple[str, Status, str]] = {
    "evals.elsuite.basic.match:Match": (
        "starts_with",
        "mapped",
        "the answer starts with an ideal answer (str.startswith, case-sensitive)",
    ),
    "evals.elsuite.basic.includes:Includes": (
        "includes",
        "mapped",
        "an ideal answer occurs in the answer",
    ),
    "evals.elsuite.basic.fuzzy_match:FuzzyMatch": (
        "fuzzy_contains",
        "mapped",
        "after SQuAD normalisation one of answer and ideal contains the other (the f1_score "
        "FuzzyMatch also logged is token_f1's formula; add token_f1 for it)",
    ),
    "evals.elsuite.basic.json_match:JsonMatch": (
        "json_match",
        "mapped",
        "the answer's JSON equals an ideal's, key by key (tuneloop also reads JSON inside a "
        "code fence, and null equals null where openai/evals failed it)",
    ),
}
# classes that sample at temperature 0 (hard-coded in their eval_sample)
_TEMPERATURE_0 = {
    "evals.elsuite.basic.match:Match",
    "evals.elsuite.basic.fuzzy_match:FuzzyMatch",
    "evals.elsuite.basic.json_match:JsonMatch",
}
_SAMPLES_HINT = 'openai/evals samples are JSONL lines like {"input": [...], "ideal": "..."}.'


@dataclass(frozen=True)
class RegistryEval:
    """One eval of a registry file: its class entry (``key``/``spec``) and the base entry
    that points at it (``name``/``base``; the key itself when there is none)."""

    name: str
    key: str
    spec: dict[str, Any]
    base: dict[str, Any]
    path: Path
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)

    @property
    def cls(self) -> str:
        return str(self.spec.get("class", ""))

    @property
    def args(self) -> dict[str, Any]:
        args = self.spec.get("args")
        return args if isinstance(args, dict) else {}


@dataclass(frozen=True)
class Sample:
    data: dict[str, Any]
    path: Path
    line: int

    def error(self, message: str) -> InvalidRecord:
        return InvalidRecord(message, path=self.path, line=self.line, hint=_SAMPLES_HINT)


# --------------------------------------------------------------------------- reading


def _line(doc: YamlDocument, *loc: Any) -> int | None:
    position = doc.positions.get(tuple(loc))
    return position[0] if position else None


def registry_evals(path: Path) -> list[RegistryEval]:
    """The evals a registry YAML file defines (file:line errors for a malformed file)."""
    doc = load_yaml(path, DataError)
    if not isinstance(doc.data, dict):
        raise InvalidRecord(
            "expected a mapping of eval names at the top level.",
            path=path,
            line=1,
            hint="Give an openai/evals registry file (evals/registry/evals/NAME.yaml).",
        )
    for key, value in doc.data.items():
        if not isinstance(value, dict):
            raise InvalidRecord(f"`{key}` must be a mapping.", path=path, line=_line(doc, key))
    bases = {str(v["id"]): (str(k), v) for k, v in doc.data.items() if "id" in v}
    found = []
    for key, value in doc.data.items():
        if "class" not in value:
            continue
        name, base = bases.pop(str(key), (str(key), {}))
        found.append(RegistryEval(name, str(key), value, base, path, _line(doc, key)))
    for target, (name, _) in bases.items():
        if target not in doc.data:
            raise InvalidRecord(
                f"`{name}` has id {target!r}, which names no eval in this file.",
                path=path,
                line=_line(doc, name, "id"),
                hint="Keep an eval's `NAME` and `NAME.split.version` entries in one file.",
            )
    if not found:
        raise InvalidRecord(
            "no eval with a `class:` in this file.",
            path=path,
            line=1,
            hint="Give an openai/evals registry file (evals/registry/evals/NAME.yaml).",
        )
    return found


def samples_path(ev: RegistryEval, registry: Path) -> Path | None:
    """Where ``args.samples_jsonl`` is: under ``REGISTRY/data/``, else next to the YAML file."""
    relative = ev.args.get("samples_jsonl")
    if not isinstance(relative, str):
        return None
    for candidate in (registry / "data" / relative, ev.path.parent / relative, Path(relative)):
        if candidate.is_file():
            return candidate
    return registry / "data" / relative


def read_samples(path: Path) -> list[Sample]:
    return [Sample(obj, path, n) for n, obj in jsonl_objects(path, _SAMPLES_HINT)]


def read_modelgraded_spec(registry: Path, name: str) -> dict[str, Any] | None:
    """The spec ``name`` from ``REGISTRY/modelgraded/*.yaml`` (None when no file defines it)."""
    folder = registry / "modelgraded"
    candidates = [folder / f"{name}.yaml", *sorted(folder.glob("*.yaml"))]
    for file in candidates:
        if file.is_file():
            data = load_yaml(file, DataError).data
            if isinstance(data, dict) and isinstance(data.get(name), dict):
                return dict(data[name])
    return None


# --------------------------------------------------------------------------- the suite


def suite_from_registry_eval(
    ev: RegistryEval,
    samples: Sequence[Sample],
    *,
    modelgraded: Mapping[str, Any] | None = None,
    few_shot: Sequence[Sample] | None = None,
    judge_model: str | None = None,
) -> SuiteDraft:
    """The suite for one registry eval (pure: the samples and spec files are passed in)."""
    name = slug(ev.name, slug(ev.key, "openai-evals"))
    description = str(ev.base.get("description") or "").strip()
    draft = SuiteDraft(
        name=name,
        description=(description + "\n\n" if description else "")
        + f"Imported from openai/evals {ev.key} ({ev.path}) by `tuneloop migrate openai "
        f"import-evals`; mapping report: {name}.mapping.json.",
        source=ev.where,
        cases=[],
    )
    args = dict(ev.args)
    args.pop("samples_jsonl", None)
    known = ev.cls in _BASIC or ev.cls == MODELGRADED
    _build_cases(draft, ev, samples, few_shot, args, needs_ideal=ev.cls in _BASIC)
    if ev.cls in _BASIC:
        metric, status, how = _BASIC[ev.cls]
        params: dict[str, Any] = {}
        if ev.cls.endswith(":Includes"):
            ignore = bool(args.pop("ignore_case", False))
            params["case_sensitive"] = not ignore
            how += ", ignoring case" if ignore else ", case-sensitive"
        label = draft.label(metric)
        draft.add_metric(label, metric, [params] * len(draft.cases))
        draft.note(MappingEntry(ev.cls.split(":")[-1], ev.cls, status, how, label, ev.where))
    elif ev.cls == MODELGRADED:
        _model_graded(draft, ev, samples, modelgraded, args, judge_model)
    else:
        draft.note(
            MappingEntry(
                ev.cls.split(":")[-1] or ev.key,
                ev.cls or "(no class)",
                "not_mapped",
                "a custom eval class: its Python code is never imported or run; port its "
                "check to a metric plugin (docs/eval.md)",
                where=ev.where,
                definition=ev.spec,
            )
        )
    if "max_tokens" in args:
        draft.params["max_tokens"] = args.pop("max_tokens")
    if ev.cls in _TEMPERATURE_0:
        draft.params["temperature"] = 0
    if draft.params:
        draft.note(
            MappingEntry(
                "sampling",
                "args",
                "mapped",
                "params "
                + ", ".join(f"{k}={v}" for k, v in draft.params.items())
                + " (temperature 0 is what the class hard-codes)" * (ev.cls in _TEMPERATURE_0),
                where=ev.where,
            )
        )
    if known:
        for key, value in args.items():
            draft.note(
                MappingEntry(
                    key,
                    "arg",
                    "not_mapped",
                    "an argument tuneloop has no counterpart for",
                    where=ev.where,
                    definition=value,
                )
            )
    metrics = ev.base.get("metrics")
    if metrics:
        draft.note(
            MappingEntry(
                "metrics",
                "report",
                "mapped",
                f"openai/evals reported {metrics}; tuneloop reports each metric's mean and the "
                "pass rate (accuracy)",
                where=ev.where,
            )
        )
    return draft


def _build_cases(
    draft: SuiteDraft,
    ev: RegistryEval,
    samples: Sequence[Sample],
    few_shot: Sequence[Sample] | None,
    args: dict[str, Any],
    *,
    needs_ideal: bool,
) -> None:
    shots: list[dict[str, str]] = []
    wanted = args.pop("num_few_shot", 0) or 0
    few_shot_file = args.pop("few_shot_jsonl", None)
    if wanted:
        if few_shot is None:
            draft.note(
                MappingEntry(
                    "few_shot_jsonl",
                    "arg",
                    "not_mapped",
                    f"the few-shot file {few_shot_file!r} was not found, so cases have no "
                    f"few-shot turns (openai/evals put {wanted} before each question)",
                    where=ev.where,
                )
            )
        else:
            for shot in few_shot[:wanted]:
                shots.extend(_messages(shot, shot.data.get("sample"), draft))
            draft.note(
                MappingEntry(
                    "few_shot_jsonl",
                    "arg",
                    "mapped",
                    f"the first {wanted} few-shot samples go before each case's last turn, as "
                    "Match did",
                    where=ev.where,
                )
            )
    text_prompts = 0
    for n, sample in enumerate(samples, start=1):
        raw = sample.data.get("input")
        if isinstance(raw, str):
            text_prompts += 1
        messages = _messages(sample, raw, draft)
        if shots:
            messages = messages[:-1] + shots + messages[-1:]
        ideal = sample.data.get("ideal")
        if isinstance(ideal, str):
            references = [ideal]
        elif isinstance(ideal, list) and all(isinstance(i, str) for i in ideal):
            references = list(ideal)
        elif ideal is None and not needs_ideal:
            references = []
        else:
            raise sample.error("`ideal` must be a string or a list of strings.")
        extra = {k: v for k, v in sample.data.items() if k not in ("input", "ideal")}
        meta: dict[str, Any] = {"sample": extra} if extra else {}
        meta["source"] = f"{sample.path}:{sample.line}"
        draft.cases.append(CaseDraft(f"sample-{n}", messages, references, meta))
    if text_prompts:
        draft.note(
            MappingEntry(
                "input",
                "text prompt",
                "approximated",
                f"{text_prompts} samples give `input` as a string, which openai/evals sent to "
                "chat models as a system message; tuneloop asks it as the user's message",
                where=ev.where,
            )
        )


def _messages(sample: Sample, raw: Any, draft: SuiteDraft) -> list[dict[str, str]]:
    if isinstance(raw, str) and raw.strip():
        return [{"role": "user", "content": raw}]
    if not isinstance(raw, list) or not raw:
        raise sample.error("`input` must be a string or a list of chat messages.")
    messages = []
    for message in raw:
        if (
            not isinstance(message, dict)
            or message.get("role") not in ("system", "developer", "user", "assistant")
            or not isinstance(message.get("content"), str)
        ):
            raise sample.error(
                'each message must be {"role": system|user|assistant, "content": "…"}.'
            )
        if message.get("name") and not any(e.name == "name" for e in draft.entries):
            draft.note(
                MappingEntry(
                    "name",
                    "message field",
                    "approximated",
                    "messages' `name` (few-shot example_user / example_assistant) is dropped: "
                    "tuneloop messages have a role and content only",
                )
            )
        messages.append({"role": message["role"], "content": message["content"]})
    return messages


def _model_graded(
    draft: SuiteDraft,
    ev: RegistryEval,
    samples: Sequence[Sample],
    spec: Mapping[str, Any] | None,
    args: dict[str, Any],
    judge_model: str | None,
) -> None:
    spec_name = str(args.pop("modelgraded_spec", ""))
    spec_args = args.pop("modelgraded_spec_args", None) or {}
    eval_type = args.pop("eval_type", None) or (spec or {}).get("eval_type")
    multicomp = args.pop("multicomp_n", 1)

    def unmapped(reason: str) -> None:
        draft.note(
            MappingEntry(
                spec_name or "ModelBasedClassify",
                "ModelBasedClassify",
                "not_mapped",
                reason,
                where=ev.where,
                definition={"spec": dict(spec) if spec else None, "args": ev.args},
            )
        )

    if spec is None:
        return unmapped(f"the model-graded spec {spec_name!r} was not found under modelgraded/")
    pairs = spec.get("input_outputs") or {"input": "completion"}
    if len(pairs) != 1 or multicomp != 1:
        return unmapped("it compares several completions; llm_judge grades one answer")
    if not judge_model:
        return unmapped(
            "openai/evals graded with the model given to `oaieval`, which the registry does not "
            "record: rerun with --judge-model NAME to map it to llm_judge"
        )
    if any(isinstance(v, dict) for v in spec_args.values()):
        return unmapped("modelgraded_spec_args with several values per field are not mapped")
    ((input_key, output_key),) = pairs.items()
    prompt = spec.get("prompt")
    if isinstance(prompt, list):
        prompt = "\n\n".join(f"[{m.get('role')}]\n{m.get('content')}" for m in prompt)
    if not isinstance(prompt, str):
        return unmapped("the spec has no prompt")
    choices, grades = _choices(spec)
    if grades:
        scale = "; ".join(f"{c} → grade {g}" for c, g in grades.items())
        header = (
            f'openai/evals model-graded spec "{spec_name}": follow its instructions below, then '
            f"give the grade of the choice you would make: {scale}."
        )
    else:
        header = (
            f'openai/evals model-graded spec "{spec_name}": follow its instructions below. Its '
            f"choices ({', '.join(choices)}) have no scores (openai/evals only counted them): "
            "grade 1–5 by how good the answer is under them."
        )
    fixed = {input_key: QUESTION, output_key: ANSWER, "ideal": REFERENCES}
    fixed.update({k: str(v) for k, v in spec_args.items()})
    rubrics = []
    for sample in samples:
        values: dict[str, Any] = {}
        for field in _fields(prompt):
            if field in fixed:
                values[field] = fixed[field]
            elif field in sample.data:
                values[field] = str(sample.data[field])
            else:
                raise sample.error(f"the spec's prompt reads `{{{field}}}`; this sample has none.")
        try:
            body = prompt.format_map(values)
        except (KeyError, IndexError, ValueError) as exc:
            return unmapped(f"its prompt cannot be filled in ({exc!r})")
        rubrics.append({"model": judge_model, "rubric": header + "\n\n" + body})
    label = draft.label(spec_name, "llm_judge")
    draft.add_metric(label, "llm_judge", rubrics)
    how = (
        f"llm_judge ({judge_model}) with the spec's prompt as its rubric ({{{output_key}}} → the "
        f"answer, {{{input_key}}} → the question, {{ideal}} → the references); the choice "
        "becomes a 1–5 grade, so the score is the choice's score rescaled; no threshold "
        "(openai/evals averaged the scores)"
    )
    if eval_type:
        how += f"; eval_type {eval_type} is replaced by the judge's JSON verdict"
    draft.note(MappingEntry(spec_name, "ModelBasedClassify", "approximated", how, label, ev.where))
    return None


def _fields(prompt: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(prompt) if f]


def _choices(spec: Mapping[str, Any]) -> tuple[list[str], dict[str, int]]:
    raw = spec.get("choice_strings") or []
    choices = [str(c) for c in raw] if not isinstance(raw, str) else list(raw)
    scores = spec.get("choice_scores")
    if scores == "from_strings":
        scores = {c: float(c) for c in choices}
    if not isinstance(scores, dict) or not scores:
        return choices, {}
    low, high = min(scores.values()), max(scores.values())
    span = (high - low) or 1.0
    return choices, {str(c): round(1 + 4 * (float(s) - low) / span) for c, s in scores.items()}
