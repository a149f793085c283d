"""OpenAI's template syntax, for the Evals import: ``{{ item.path.to[0].field }}`` and
``{{ sample.output_text }}`` in input messages and grader references, and the items they read.

``item`` values come from the eval's data rows and are filled in per case; ``sample`` is the
answer, which exists only when tuneloop runs the suite, so graders get a placeholder for it.
Nested fields follow OpenAI's JSON-path-like syntax (``item.a.b[0]``); an unknown namespace or a
missing field is an error naming the item's file:line (:func:`render_item`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneloop.errors import InvalidRecord

__all__ = [
    "ANSWER_ONLY",
    "TEMPLATE",
    "Item",
    "TemplateProblem",
    "canonical",
    "content_text",
    "lookup",
    "parse_variable",
    "reads_item",
    "render_item",
    "render_template",
]

TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_STEP = re.compile(r"\.([^.\[\]\s]+)|\[(\d+)\]")
ANSWER_ONLY = re.compile(r"^\s*\{\{\s*sample\.output_text\s*\}\}\s*$")


class TemplateProblem(ValueError):
    """A template that cannot be rendered (an unknown namespace, a missing item field)."""


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


def parse_variable(expr: str) -> tuple[str, list[str | int]]:
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


def lookup(root: Any, steps: Sequence[str | int], expr: str) -> Any:
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
        namespace, steps = parse_variable(expr)
        if namespace == "item":
            text = _as_text(lookup(item, steps, expr))
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

    return TEMPLATE.sub(one, template)


def canonical(template: str) -> str:
    return TEMPLATE.sub(lambda m: "{{" + m.group(1).replace(" ", "") + "}}", template.strip())


def reads_item(template: str) -> bool:
    return any(m.group(1).startswith("item") for m in TEMPLATE.finditer(template))


def content_text(content: Any) -> tuple[str, list[str]]:
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


def render_item(item: Item, template: str, what: str, **kwargs: Any) -> str:
    try:
        return render_template(template, item.data, **kwargs)
    except TemplateProblem as exc:
        raise item.error(f"{what}: {exc}.") from exc
