"""OpenAI Evals ``testing_criteria`` → tuneloop metrics, each with a mapping entry.

One handler per grader type (the shapes of the ``openai`` SDK's ``types/graders``); the table of
what each becomes is in ``docs/migrate.md``. A grader that cannot be mapped — a Python grader
(never executed), an unknown type, one that grades something other than the answer text — is a
``not_mapped`` entry with its whole definition, never an exception: a partly mappable eval still
imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneloop.migrate.graders_suite import (
    ANSWER,
    QUESTION,
    REFERENCES,
    CaseDraft,
    MappingEntry,
    Status,
    SuiteDraft,
    slug,
)
from tuneloop.migrate.graders_templates import (
    ANSWER_ONLY,
    Item,
    canonical,
    content_text,
    reads_item,
    render_item,
)

__all__ = ["CriteriaContext", "map_grader", "primary_reference"]

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


@dataclass
class CriteriaContext:
    """What mapping a grader needs: the draft (its cases), the items in case order, the
    cases' reference template and the ``--judge-model`` override."""

    draft: SuiteDraft
    items: list[Item]
    primary: str | None
    judge_model: str | None


def primary_reference(criteria: Sequence[Any]) -> str | None:
    """The first string/similarity grader's reference template that reads an item field."""
    for grader in _flatten(criteria):
        reference = grader.get("reference")
        if (
            grader.get("type") in ("string_check", "text_similarity")
            and isinstance(reference, str)
            and isinstance(grader.get("input"), str)
            and ANSWER_ONLY.match(grader["input"])
            and reads_item(reference)
        ):
            return canonical(reference)
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


def map_grader(ctx: CriteriaContext, grader: Any, where: str, prefix: str) -> None:
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
            map_grader(ctx, sub, where, prefix=f"{name}.")
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
    if not isinstance(value, str) or not ANSWER_ONLY.match(value):
        raise _Unmappable(
            kind,
            f"grades {value!r}, not the answer text `{{{{ sample.output_text }}}}`; tuneloop "
            "metrics score the answer",
        )


def _reference_params(
    ctx: CriteriaContext, grader: Mapping[str, Any], kind: str, metric: str
) -> Any:
    """Per-case params that point ``metric`` at the grader's reference."""
    reference = grader.get("reference")
    if not isinstance(reference, str):
        raise _Unmappable(kind, "has no `reference` template")
    if ctx.primary is not None and canonical(reference) == ctx.primary:
        return [{} for _ in ctx.items]
    if metric not in _TAKES_VALUE:
        raise _Unmappable(
            kind,
            f"its reference {reference!r} differs from the cases' references "
            f"({ctx.primary!r}), and `{metric}` compares with the case's references",
        )
    return [{"value": render_item(item, reference, "reference")} for item in ctx.items]


def _string_check(ctx: CriteriaContext, grader: Mapping[str, Any], name: str, where: str) -> None:
    operation = grader.get("operation")
    kind = f"string_check {operation}"
    if operation not in _STRING_CHECK:
        raise _Unmappable(kind, f"unknown operation {operation!r} (OpenAI has eq, ne, like, ilike)")
    _answer_input(grader, kind)
    metric, extra, how = _STRING_CHECK[str(operation)]
    per_case = _reference_params(ctx, grader, kind, metric)
    label = ctx.draft.label(name, metric)
    ctx.draft.add_metric(label, metric, [{**p, **extra} for p in per_case])
    ctx.draft.note(MappingEntry(name, kind, "mapped", how, metric=label, where=where))


def _text_similarity(
    ctx: CriteriaContext, grader: Mapping[str, Any], name: str, where: str
) -> None:
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
    label = ctx.draft.label(name, metric)
    ctx.draft.add_metric(label, metric, per_case, threshold)
    ctx.draft.note(MappingEntry(name, kind, status, how, metric=label, where=where))


def _model_grader(ctx: CriteriaContext, grader: Mapping[str, Any], name: str, where: str) -> None:
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
            text, dropped = content_text(message.get("content"))
            lost.update(dropped)
            role = message.get("role", "user")
            rendered = render_item(
                item,
                text,
                f"grader {name!r}",
                sample=lambda path: ANSWER,
                item_value=lambda value, case=case: _placeholder(value, case),
            )
            lines.append(f"[{role}]\n{rendered}")
        rubrics.append({"model": model, "rubric": header + "\n\n" + "\n\n".join(lines)})
    label = ctx.draft.label(name, "llm_judge")
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


def _python(ctx: CriteriaContext, grader: Mapping[str, Any], name: str, where: str) -> None:
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


_HANDLERS: dict[str, Callable[[CriteriaContext, Mapping[str, Any], str, str], None]] = {
    "string_check": _string_check,
    "text_similarity": _text_similarity,
    "score_model": _model_grader,
    "label_model": _model_grader,
    "python": _python,
}
