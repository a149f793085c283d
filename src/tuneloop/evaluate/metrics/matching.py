"""Reference matching: the string checks OpenAI's graders and ``openai/evals`` templates use.

Teams leaving OpenAI's hosted Evals (closed 2026-11-30) bring suites graded by ``string_check``
(``eq``/``ne``/``like``/``ilike``), ``text_similarity`` ``fuzzy_match``, and the ``openai/evals``
templates ``Match``, ``Includes``, ``FuzzyMatch`` and ``JsonMatch``
(``tuneloop migrate openai import-evals``). Their pass rates only carry over if the checks mean
the same thing, so each is here with the semantics of its source (checked against
``evals/elsuite/basic/*.py`` and ``evals/elsuite/utils.py``):

* ``equals`` / ``not_equals`` — ``string_check`` ``eq`` / ``ne``: the whole answer equals a
  reference, case-sensitive (``exact_match`` instead folds case and drops trailing punctuation);
* ``includes`` — ``like`` (case-sensitive), ``ilike`` and ``Includes(ignore_case)``: a reference
  occurs in the answer. Unlike ``contains`` (fixed ``values``) it reads the case's references;
* ``starts_with`` — ``Match``: the answer starts with a reference (``str.startswith``);
* ``fuzzy_contains`` — ``FuzzyMatch``: after SQuAD normalisation (lower case, no ASCII
  punctuation, no English articles, single spaces) one text contains the other;
* ``json_match`` — ``JsonMatch``: the answer's JSON equals a reference's JSON, key by key and
  item by item;
* ``fuzzy_match`` — ``text_similarity`` ``fuzzy_match``, documented by OpenAI as a rapidfuzz
  match: ``2·LCS / (len(a) + len(b))`` over characters, which is exactly rapidfuzz's
  ``fuzz.ratio / 100`` (Indel similarity). Written on the LCS ``rouge_l`` already uses instead of
  adding rapidfuzz (not installed here) for one formula.

Each check compares with the case's ``references`` (any one suffices), or with ``value`` /
``values`` when given (a reference that differs from the case's). All texts are NFC-normalised
first, so decomposed Hangul from some editors equals composed Hangul. The checks are assertions
(``passed`` set, 1.0/0.0) except ``fuzzy_match``, a score in [0, 1] for a ``threshold``.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Self

from tuneloop.evaluate.metrics.accuracy import rouge_l_f1
from tuneloop.evaluate.metrics.assertions import parse_json_output
from tuneloop.evaluate.metrics.base import (
    Category,
    EvalCase,
    MetricContext,
    Params,
    Score,
    best_over_references,
)

__all__ = [
    "Equals",
    "FuzzyContains",
    "FuzzyMatch",
    "Includes",
    "JsonMatch",
    "NotEquals",
    "StartsWith",
    "char_similarity",
    "json_equal",
    "squad_normalize",
]

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def squad_normalize(text: str) -> str:
    """``openai/evals``' ``normalize``: lower case, ASCII punctuation removed, English articles
    removed, whitespace collapsed (Hangul and its spacing are kept)."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def char_similarity(a: str, b: str) -> float:
    """``2·LCS / (len(a) + len(b))`` over characters (rapidfuzz ``fuzz.ratio`` / 100); two
    empty texts are equal (1.0)."""
    return rouge_l_f1(list(a), list(b))[2]


def json_equal(answer: Any, reference: Any) -> bool:
    """Equal JSON values: objects with the same keys and equal values, arrays of the same length
    equal item by item, scalars equal with ``true`` ≠ ``1`` (Python would say equal)."""
    if isinstance(answer, dict) and isinstance(reference, dict):
        return answer.keys() == reference.keys() and all(
            json_equal(answer[k], reference[k]) for k in answer
        )
    if isinstance(answer, list) and isinstance(reference, list):
        return len(answer) == len(reference) and all(
            json_equal(a, r) for a, r in zip(answer, reference, strict=True)
        )
    if isinstance(answer, bool) or isinstance(reference, bool):
        return answer is reference
    if isinstance(answer, dict | list) or isinstance(reference, dict | list):
        return False
    return bool(answer == reference)


def _verdict(passed: bool, **details: Any) -> Score:
    return Score(1.0 if passed else 0.0, details, passed=passed)


class _ReferenceCheck:
    """An assertion that passes when the answer matches any reference (see :meth:`matches`)."""

    name = ""
    category: Category = "assertion"
    negate = False

    def __init__(self, values: Sequence[str] = (), *, case_sensitive: bool = True) -> None:
        self.values = list(values)
        self.case_sensitive = case_sensitive

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Self:
        reader = Params(cls.name, params)
        values = _given_values(reader)
        case_sensitive = reader.flag("case_sensitive", True)
        reader.done()
        return cls(values, case_sensitive=case_sensitive)

    def fold(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        return text if self.case_sensitive else text.casefold()

    def matches(self, answer: str, reference: str) -> bool:
        raise NotImplementedError

    def score(self, case: EvalCase, output: str) -> Score:
        references = self.values or list(case.references)
        if not references:
            return Score(
                0.0, {"error": f"case {case.id!r} has no references to compare with"}, passed=False
            )
        matched = [r for r in references if self.matches(output, r)]
        return _verdict(bool(matched) != self.negate, matched=matched)


def _given_values(reader: Params) -> list[str]:
    """``value`` or ``values`` when given (not both), else [] — the case's references."""
    value = reader.text("value", None)
    values: list[str] | None = reader.strings("values", None)
    if value is not None and values is not None:
        raise reader.error("value", "and `values` are both given; give one of them.")
    if value is not None:
        return [value]
    return values or []


class Equals(_ReferenceCheck):
    """Passes when the whole answer equals a reference (``string_check`` ``eq``)."""

    name = "equals"

    def matches(self, answer: str, reference: str) -> bool:
        return self.fold(answer) == self.fold(reference)


class NotEquals(Equals):
    """Passes when the answer equals none of the references (``string_check`` ``ne``)."""

    name = "not_equals"
    negate = True


class Includes(_ReferenceCheck):
    """Passes when a reference occurs in the answer (``like``; ``ilike`` with
    ``case_sensitive: false``; ``openai/evals`` ``Includes``)."""

    name = "includes"

    def matches(self, answer: str, reference: str) -> bool:
        return self.fold(reference) in self.fold(answer)


class StartsWith(_ReferenceCheck):
    """Passes when the answer starts with a reference (``openai/evals`` ``Match``)."""

    name = "starts_with"

    def matches(self, answer: str, reference: str) -> bool:
        return self.fold(answer).startswith(self.fold(reference))


class FuzzyContains(_ReferenceCheck):
    """Passes when, after :func:`squad_normalize`, the answer contains a reference or a reference
    contains the answer; an empty side matches only another empty one (``FuzzyMatch``)."""

    name = "fuzzy_contains"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Self:
        reader = Params(cls.name, params)
        values = _given_values(reader)
        reader.done()
        return cls(values, case_sensitive=False)

    def matches(self, answer: str, reference: str) -> bool:
        a, r = squad_normalize(answer), squad_normalize(reference)
        if not a or not r:
            return a == r
        return a in r or r in a


class JsonMatch(_ReferenceCheck):
    """Passes when the answer is JSON (a Markdown code fence around it is fine) equal to a
    reference's JSON (:func:`json_equal`); a reference that is not JSON is an error."""

    name = "json_match"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Self:
        reader = Params(cls.name, params)
        values = _given_values(reader)
        reader.done()
        for value in values:
            try:
                json.loads(value)
            except json.JSONDecodeError as exc:
                raise reader.error("values", f"holds text that is not JSON: {value!r}.") from exc
        return cls(values)

    def score(self, case: EvalCase, output: str) -> Score:
        references = self.values or list(case.references)
        try:
            expected = [json.loads(r) for r in references]
        except json.JSONDecodeError as exc:
            return Score(0.0, {"error": f"a reference is not JSON ({exc.msg})"}, passed=False)
        if not expected:
            return Score(
                0.0, {"error": f"case {case.id!r} has no references to compare with"}, passed=False
            )
        try:
            answer = parse_json_output(output)
        except ValueError as exc:
            return _verdict(False, error=str(exc))
        matched = [r for r, e in zip(references, expected, strict=True) if json_equal(answer, e)]
        return _verdict(bool(matched), matched=matched)


class FuzzyMatch:
    """Character similarity to the best reference (:func:`char_similarity`), a score for a
    ``threshold``; ``case_sensitive`` (true) as rapidfuzz without a processor."""

    name = "fuzzy_match"
    category: Category = "accuracy"

    def __init__(self, *, case_sensitive: bool = True) -> None:
        self.case_sensitive = case_sensitive

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> FuzzyMatch:
        reader = Params(cls.name, params)
        case_sensitive = reader.flag("case_sensitive", True)
        reader.done()
        return cls(case_sensitive=case_sensitive)

    def _fold(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        return text if self.case_sensitive else text.casefold()

    def score(self, case: EvalCase, output: str) -> Score:
        answer = self._fold(output)
        return best_over_references(
            case, lambda reference: (char_similarity(answer, self._fold(reference)), {})
        )
