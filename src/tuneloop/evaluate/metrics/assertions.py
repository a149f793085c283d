"""Assertions: checks an output passes or fails, such as "mentions 화요일" or "is valid JSON".

Every assertion sets ``passed`` and scores 1.0 (passed) or 0.0 (failed); ``details`` say what was
found or missing so a failing case explains itself in the report. Parameters are checked when the
metric is built (a bad regex or JSON Schema fails the suite at load time, not case by case).

Text is compared after NFC normalisation (decomposed Hangul from some editors equals composed
Hangul) and, unless ``case_sensitive``, case folding. ``json_schema`` uses ``jsonschema`` (already
the prompt stage's validator) and tolerates a reply wrapped in a Markdown code fence, which chat
models add even when told not to.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score
from tuneloop.evaluate.metrics.tokens import text_units
from tuneloop.text.stats import dominant_language

__all__ = [
    "Contains",
    "JsonSchema",
    "Language",
    "MaxLength",
    "NotContains",
    "Regex",
    "parse_json_output",
]

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n(.*?)```", re.DOTALL)
LANGUAGES = ("ko", "en")


def _verdict(passed: bool, **details: Any) -> Score:
    return Score(1.0 if passed else 0.0, details, passed=passed)


def _values(reader: Params) -> list[str]:
    value = reader.text("value", None)
    values: list[str] | None = reader.strings("values", None)
    if (value is None) == (values is None):
        raise reader.error("value", "or `values` is required (give exactly one of them).")
    if value is not None:
        if not value:
            raise reader.error("value", "must not be empty.")
        return [value]
    return values or []


class Contains:
    """Passes when the output contains the given text(s): ``value`` or ``values``; ``mode: all``
    (default) needs every one, ``mode: any`` one of them."""

    name = "contains"
    category: Category = "assertion"

    def __init__(
        self, values: Sequence[str], *, mode: str = "all", case_sensitive: bool = False
    ) -> None:
        self.values = list(values)
        self.mode = mode
        self.case_sensitive = case_sensitive

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Contains:
        reader = Params(cls.name, params)
        values = _values(reader)
        mode = reader.choice("mode", ("all", "any"), "all")
        case_sensitive = reader.flag("case_sensitive", False)
        reader.done()
        return cls(values, mode=mode, case_sensitive=case_sensitive)

    def _fold(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        return text if self.case_sensitive else text.casefold()

    def found(self, output: str) -> tuple[list[str], list[str]]:
        """(values present, values missing) in ``output``."""
        haystack = self._fold(output)
        present = [v for v in self.values if self._fold(v) in haystack]
        return present, [v for v in self.values if v not in present]

    def score(self, case: EvalCase, output: str) -> Score:
        present, missing = self.found(output)
        passed = not missing if self.mode == "all" else bool(present)
        return _verdict(passed, found=present, missing=missing)


class NotContains(Contains):
    """Passes when the output contains none of ``value`` / ``values``."""

    name = "not_contains"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> NotContains:
        reader = Params(cls.name, params)
        values = _values(reader)
        case_sensitive = reader.flag("case_sensitive", False)
        reader.done()
        return cls(values, case_sensitive=case_sensitive)

    def score(self, case: EvalCase, output: str) -> Score:
        present, _ = self.found(output)
        return _verdict(not present, found=present)


class Regex:
    """Passes when ``pattern`` (Python ``re`` syntax) matches somewhere in the output; use
    ``(?i)`` for case-insensitive, ``^…$`` with ``(?s)`` to match the whole output."""

    name = "regex"
    category: Category = "assertion"

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Regex:
        reader = Params(cls.name, params)
        pattern = reader.text("pattern")
        reader.done()
        try:
            return cls(pattern)
        except re.error as exc:
            raise reader.error("pattern", f"is not a valid regular expression: {exc}.") from exc

    def score(self, case: EvalCase, output: str) -> Score:
        match = self.pattern.search(unicodedata.normalize("NFC", output))
        return _verdict(match is not None, match=match.group() if match else None)


def parse_json_output(output: str) -> Any:
    """The JSON value of ``output``: the whole text, or else the first Markdown code fence
    (```` ```json … ``` ````). Raises :class:`ValueError` saying why neither parses."""
    try:
        return json.loads(output)
    except json.JSONDecodeError as exc:
        whole = exc
    fence = _FENCE.search(output)
    if fence is None:
        raise ValueError(f"not JSON ({whole.msg} at line {whole.lineno} column {whole.colno})")
    try:
        return json.loads(fence.group(1))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the code block is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


class JsonSchema:
    """Passes when the output is JSON (a code fence around it is fine) valid against ``schema``."""

    name = "json_schema"
    category: Category = "assertion"
    max_errors = 5

    def __init__(self, schema: Mapping[str, Any]) -> None:
        from jsonschema.validators import validator_for  # type: ignore[import-untyped]

        validator_class: Any = validator_for(schema)
        validator_class.check_schema(schema)
        self.validator: Any = validator_class(schema)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> JsonSchema:
        from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

        reader = Params(cls.name, params)
        schema = reader.mapping("schema")
        reader.done()
        try:
            return cls(dict(schema))
        except SchemaError as exc:
            raise reader.error("schema", f"is not a valid JSON Schema: {exc.message}.") from exc

    def score(self, case: EvalCase, output: str) -> Score:
        try:
            value = parse_json_output(output)
        except ValueError as exc:
            return _verdict(False, error=str(exc))
        errors = sorted(self.validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        messages = [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in errors[: self.max_errors]
        ]
        return _verdict(not errors, errors=messages)


class MaxLength:
    """Passes when the output has at most ``chars`` characters and/or at most ``tokens`` tokens
    (Korean morphemes / English words, as the accuracy metrics count them)."""

    name = "max_length"
    category: Category = "assertion"

    def __init__(self, *, chars: int | None = None, tokens: int | None = None) -> None:
        self.chars = chars
        self.tokens = tokens

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> MaxLength:
        reader = Params(cls.name, params)
        chars = reader.integer("chars", None, minimum=1)
        tokens = reader.integer("tokens", None, minimum=1)
        reader.done()
        if chars is None and tokens is None:
            raise reader.error("chars", "or `tokens` is required (a maximum length).")
        return cls(chars=chars, tokens=tokens)

    def score(self, case: EvalCase, output: str) -> Score:
        text = unicodedata.normalize("NFC", output).strip()
        details: dict[str, Any] = {}
        passed = True
        if self.chars is not None:
            details["chars"] = len(text)
            passed = passed and len(text) <= self.chars
        if self.tokens is not None:
            details["tokens"] = len(text_units(text))
            passed = passed and details["tokens"] <= self.tokens
        return _verdict(passed, **details)


class Language:
    """Passes when the output is mostly written in ``expected`` (``ko`` or ``en``), judged by
    script shares (:func:`tuneloop.text.stats.dominant_language`)."""

    name = "language"
    category: Category = "assertion"

    def __init__(self, expected: str) -> None:
        self.expected = expected

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Language:
        reader = Params(cls.name, params)
        expected = reader.choice("expected", LANGUAGES)
        reader.done()
        return cls(expected)

    def score(self, case: EvalCase, output: str) -> Score:
        found = dominant_language(output)
        return _verdict(found == self.expected, language=found)
