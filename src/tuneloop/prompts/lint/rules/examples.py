"""Few-shot examples: answers in the declared output format, valid schema, no empty or repeated
examples.

Why: models copy few-shot answers more faithfully than they follow format instructions, so one
example answering in prose under ``output.format: json`` undoes the instruction; empty and
duplicate examples spend tokens and skew what the model imitates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import SchemaError, best_match  # type: ignore[import-untyped]
from jsonschema.validators import validator_for  # type: ignore[import-untyped]

from tuneloop.prompts.lint.base import LintContext, LintIssue, Rule, Severity

__all__ = ["DuplicateExample", "EmptyExample", "ExamplesFormatMismatch", "InvalidOutputSchema"]

_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+\S", re.MULTILINE)


def _schema_problem(schema: dict[str, Any]) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, or ``None`` when it is."""
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        return str(exc.message)
    return None


def _schema_violation(schema: dict[str, Any], value: Any) -> str | None:
    """jsonschema's most relevant error for ``value``, or ``None`` when it matches."""
    error = best_match(validator_for(schema)(schema).iter_errors(value))
    if error is None:
        return None
    path = "/".join(str(p) for p in error.absolute_path)
    return str(error.message) + (f" at /{path}" if path else "")


class ExamplesFormatMismatch(Rule):
    id = "examples-format-mismatch"
    severity = Severity.ERROR
    description = (
        "With output.format json, an example answer is not JSON or does not match output.schema "
        "(error); with output.format list, an example answer is not a numbered or bulleted list "
        "(warning)."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        out = ctx.prompt.template.output
        schema = out.schema_ if out.schema_ and _schema_problem(out.schema_) is None else None
        for i, ex in enumerate(ctx.prompt.template.examples):
            answer = ex.assistant.strip()
            if not answer:
                continue  # empty-example reports it
            loc = ("examples", i, "assistant")
            if out.format == "json":
                try:
                    value = json.loads(answer)
                except json.JSONDecodeError as exc:
                    yield self.issue(
                        ctx,
                        loc,
                        f"Example {i + 1}'s answer is not JSON ({exc.msg}, line {exc.lineno} "
                        f"column {exc.colno}) but output.format is json.",
                        "Write the answer as the exact JSON the model should return (no prose, "
                        "no ``` fences).",
                    )
                    continue
                problem = _schema_violation(schema, value) if schema is not None else None
                if problem is not None:
                    yield self.issue(
                        ctx,
                        loc,
                        f"Example {i + 1}'s answer does not match output.schema: {problem}.",
                        "Fix the example answer or the schema so they agree.",
                    )
            elif out.format == "list" and not _LIST_ITEM.search(answer):
                yield self.issue(
                    ctx,
                    loc,
                    f"Example {i + 1}'s answer is not a numbered or bulleted list but "
                    "output.format is list.",
                    "Write one item per line, starting with '1.' or '-'.",
                    Severity.WARNING,
                )


class InvalidOutputSchema(Rule):
    id = "invalid-output-schema"
    severity = Severity.ERROR
    description = (
        "output.schema is not a valid JSON Schema (error), or is given while output.format is not "
        "json, where it is ignored (warning)."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        out = ctx.prompt.template.output
        if not out.schema_:
            return
        loc = ("output", "schema")
        problem = _schema_problem(out.schema_)
        if problem is not None:
            yield self.issue(
                ctx,
                loc,
                f"output.schema is not a valid JSON Schema: {problem}.",
                "Fix the schema (see json-schema.org); `type` must be a JSON type name.",
            )
        if out.format != "json":
            yield self.issue(
                ctx,
                loc,
                f"output.schema is ignored because output.format is {out.format}.",
                "Set `output.format: json`, or remove the schema.",
                Severity.WARNING,
            )


class EmptyExample(Rule):
    id = "empty-example"
    severity = Severity.WARNING
    description = "A few-shot example has an empty user or assistant text."

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        for i, ex in enumerate(ctx.prompt.template.examples):
            for role in ("user", "assistant"):
                if not getattr(ex, role).strip():
                    yield self.issue(
                        ctx,
                        ("examples", i, role),
                        f"Example {i + 1} has an empty {role} text.",
                        "Fill it in or delete the example.",
                    )


def _normal(text: str) -> str:
    return " ".join(text.split())


class DuplicateExample(Rule):
    id = "duplicate-example"
    severity = Severity.WARNING
    description = (
        "Two few-shot examples are identical, or ask the same question with different answers."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        seen: dict[str, dict[str, int]] = {}  # user text -> answer -> first example with both
        for i, ex in enumerate(ctx.prompt.template.examples):
            user, answer = _normal(ex.user), _normal(ex.assistant)
            if not user:
                continue
            answers = seen.setdefault(user, {})
            if not answers:
                answers[answer] = i
                continue
            if answer in answers:
                message = f"Example {i + 1} repeats example {answers[answer] + 1}."
                fix = "Delete the copy, or replace it with an example that adds something new."
            else:
                first = next(iter(answers.values()))
                answers[answer] = i
                message = (
                    f"Example {i + 1} asks the same as example {first + 1} with a different answer."
                )
                fix = "Keep the better answer; conflicting examples teach inconsistency."
            yield self.issue(ctx, ("examples", i), message, fix)
