"""How far a metric agrees with people: score a labelled calibration set and report accuracy,
Cohen's κ and the confusion table (``tuneloop eval calibrate METRIC``).

Why this exists: a metric that a trivial answer can pass (the echo of the question) makes every
comparison built on it meaningless, and nothing in a run shows that. Each built-in behaviour
metric ships a set of real good and bad Korean and English answers — echoes, negations
(무료가 아닙니다), hedges, partial answers, answers in the wrong language — labelled by hand, in
``tuneloop/evaluate/calibration/METRIC.jsonl``. The metric's decision on an item is
``score >= threshold`` (the metric's ``calibration_threshold``, or ``--threshold``); κ corrects
accuracy for the agreement a constant answer would get, so a metric that says "yes" to
everything scores κ = 0 however skewed the set. The figures are in docs/eval.md and a test keeps
each metric above a floor.

A calibration line is one JSON object: ``question``, ``answer``, ``label`` (true: a good answer
for this metric), optional ``facts`` (for ``fact_recall``), ``params`` (metric parameters for
this item), ``id`` and ``kind`` (echo, negation, hedge … — shown for disagreements). The grounding
metrics' items also carry ``sources`` (the retrieved passages: ``{"text", "source", "line",
"title"}`` objects or plain strings), and ``reference`` and ``source`` (the gold document) for
``context_recall``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tuneloop.errors import InvalidRecord, InvalidRequest
from tuneloop.text.retrieval import Hit, Passage

__all__ = [
    "CALIBRATION_SETS",
    "Calibration",
    "CalibrationItem",
    "calibrate",
    "calibrated_metrics",
    "cohen_kappa",
    "load_calibration_set",
    "read_calibration_file",
]

# metric name → its calibration set (``redirects`` is the old name of ``refusal``)
CALIBRATION_SETS = {
    "fact_recall": "fact_recall.jsonl",
    "answer_relevance": "answer_relevance.jsonl",
    "asks_back": "asks_back.jsonl",
    "refusal": "refusal.jsonl",
    "redirects": "refusal.jsonl",
    "language_match": "language_match.jsonl",
    "faithfulness": "faithfulness.jsonl",
    "context_recall": "context_recall.jsonl",
}
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class CalibrationItem:
    """One labelled answer: is ``answer`` a good answer to ``question`` for this metric?"""

    id: str
    question: str
    answer: str
    label: bool
    kind: str = ""
    facts: tuple[tuple[str, ...], ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    sources: tuple[Hit, ...] = ()
    references: tuple[str, ...] = ()
    source: str | None = None


def _sources(value: Any) -> tuple[Hit, ...] | None:
    """``sources`` as written in a calibration line, as ranked hits; None when malformed."""
    if not isinstance(value, list):
        return None
    hits = []
    for rank, item in enumerate(value):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            return None
        text, line = item["text"], item.get("line", 1)
        if not isinstance(line, int):
            return None
        title = item.get("title")
        passage = Passage(
            text=text,
            source=str(item.get("source", "docs/source.md")),
            start=0,
            end=len(text),
            line=line,
            title=title if isinstance(title, str) else None,
        )
        hits.append(Hit(passage, 1.0, rank))
    return tuple(hits)


@dataclass(frozen=True)
class Calibration:
    """A metric's agreement with a labelled set at one threshold."""

    metric: str
    threshold: float
    items: int
    accuracy: float
    kappa: float
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int
    method: str | None = None
    disagreements: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "threshold": self.threshold,
            "items": self.items,
            "accuracy": round(self.accuracy, 4),
            "kappa": round(self.kappa, 4),
            "confusion": {
                "true_positive": self.true_positive,
                "false_positive": self.false_positive,
                "false_negative": self.false_negative,
                "true_negative": self.true_negative,
            },
            "method": self.method,
            "disagreements": list(self.disagreements),
        }


def cohen_kappa(labels: Sequence[bool], decisions: Sequence[bool]) -> float:
    """Cohen's κ of two binary raters: ``(p_o − p_e) / (1 − p_e)``; 1.0 when both are constant
    and equal (nothing to correct for), 0.0 when only chance agreement is possible."""
    n = len(labels)
    if n == 0 or n != len(decisions):
        raise ValueError("cohen_kappa needs two equally long, non-empty label lists")
    observed = sum(a == b for a, b in zip(labels, decisions, strict=True)) / n
    yes_a, yes_b = sum(labels) / n, sum(decisions) / n
    expected = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def calibrated_metrics() -> list[str]:
    """The metric names that ship a calibration set."""
    return sorted(CALIBRATION_SETS)


def read_calibration_file(path: Path) -> list[CalibrationItem]:
    """Items of a calibration JSONL file; a bad line raises :class:`InvalidRecord` naming it."""
    from tuneloop.evaluate.metrics.facts import parse_facts

    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRecord(f"invalid JSON ({exc.msg}).", path=path, line=number) from exc
        if not isinstance(obj, dict):
            raise InvalidRecord("expected a JSON object.", path=path, line=number)
        question, answer, label = obj.get("question"), obj.get("answer"), obj.get("label")
        if not isinstance(question, str) or not isinstance(answer, str):
            raise InvalidRecord("`question` and `answer` must be strings.", path=path, line=number)
        if not isinstance(label, bool):
            raise InvalidRecord("`label` must be true or false.", path=path, line=number)
        facts = parse_facts(obj.get("facts", []))
        if facts is None:
            raise InvalidRecord(
                "`facts` must be a list of strings or lists of strings.", path=path, line=number
            )
        params = obj.get("params", {})
        if not isinstance(params, dict):
            raise InvalidRecord("`params` must be an object.", path=path, line=number)
        sources = _sources(obj.get("sources", []))
        if sources is None:
            raise InvalidRecord(
                "`sources` must be a list of strings or {text, source, line} objects.",
                path=path,
                line=number,
            )
        reference, gold = obj.get("reference"), obj.get("source")
        if not isinstance(reference, str | None) or not isinstance(gold, str | None):
            raise InvalidRecord("`reference` and `source` must be strings.", path=path, line=number)
        items.append(
            CalibrationItem(
                id=str(obj.get("id") or f"{path.stem}-{number}"),
                question=question,
                answer=answer,
                label=label,
                kind=str(obj.get("kind", "")),
                facts=facts,
                params=params,
                sources=sources,
                references=(reference,) if reference else (),
                source=gold,
            )
        )
    return items


def load_calibration_set(metric: str) -> list[CalibrationItem]:
    """The shipped calibration set of ``metric``; :class:`InvalidRequest` when it has none."""
    name = CALIBRATION_SETS.get(metric)
    if name is None:
        raise InvalidRequest(
            f"Metric `{metric}` has no calibration set "
            f"(calibrated: {', '.join(calibrated_metrics())}).",
            hint="Pick one of the calibrated metrics; a metric without a labelled set has no "
            "measured agreement.",
            param="metric",
        )
    with resources.as_file(resources.files("tuneloop.evaluate") / "calibration" / name) as path:
        return read_calibration_file(path)


def calibrate(
    metric: str,
    *,
    threshold: float | None = None,
    items: Sequence[CalibrationItem] | None = None,
) -> Calibration:
    """Score ``metric`` (built with its default parameters plus each item's ``params``) on its
    calibration set, or on ``items``, and compare its decisions with the labels."""
    from tuneloop.evaluate.metrics import EvalCase, build_metric, score_all

    if items is None:
        build_metric(metric)  # an unknown metric is reported as such, before the set is looked up
        items = load_calibration_set(metric)
    if not items:
        raise InvalidRequest(f"The calibration set of `{metric}` is empty.")
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(json.dumps(item.params, sort_keys=True), []).append(i)
    values = [0.0] * len(items)
    methods: set[str] = set()
    cut = threshold
    for key, indices in groups.items():
        built: Any = build_metric(metric, json.loads(key))
        if cut is None:
            cut = float(getattr(built, "calibration_threshold", DEFAULT_THRESHOLD))
        cases = [
            EvalCase(
                id=items[i].id,
                messages=[{"role": "user", "content": items[i].question}],
                facts=items[i].facts,
                sources=items[i].sources,
                references=items[i].references,
                meta={"source": items[i].source} if items[i].source else {},
            )
            for i in indices
        ]
        for i, score in zip(
            indices, score_all(built, cases, [items[i].answer for i in indices]), strict=True
        ):
            values[i] = score.value
            if isinstance(score.details.get("method"), str):
                methods.add(score.details["method"])
    assert cut is not None
    decisions = [v >= cut for v in values]
    labels = [item.label for item in items]
    pairs = list(zip(labels, decisions, strict=True))
    wrong = tuple(
        {
            "id": item.id,
            "kind": item.kind,
            "label": item.label,
            "score": round(value, 4),
            "answer": item.answer,
        }
        for item, value, decision in zip(items, values, decisions, strict=True)
        if decision != item.label
    )
    return Calibration(
        metric=metric,
        threshold=cut,
        items=len(items),
        accuracy=sum(a == b for a, b in pairs) / len(pairs),
        kappa=cohen_kappa(labels, decisions),
        true_positive=sum(a and b for a, b in pairs),
        false_positive=sum(b and not a for a, b in pairs),
        false_negative=sum(a and not b for a, b in pairs),
        true_negative=sum(not a and not b for a, b in pairs),
        method=", ".join(sorted(methods)) or None,
        disagreements=wrong,
    )
