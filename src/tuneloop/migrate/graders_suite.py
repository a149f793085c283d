"""An imported suite before it is written: its cases, its metrics and the mapping report.

Both importers — OpenAI Evals exports (:mod:`.graders_openai`) and ``openai/evals`` registry YAML
(:mod:`.graders_registry`) — build a :class:`SuiteDraft`, and :mod:`.graders` writes it. The rule
they share is the point of this module: **nothing is dropped silently**. Every grader, template
argument and setting of the source becomes a :class:`MappingEntry` that says whether it was
*mapped* (same meaning in tuneloop), *approximated* (and how) or *not mapped* (and why, with the
original definition kept in full), and the entries travel beside the suite.

Model-graded checks (OpenAI ``score_model``/``label_model``, ``openai/evals``
``ModelBasedClassify``) become tuneloop's ``llm_judge`` with the grader's own instructions as its
``rubric``. The judge prompt already shows the question, the reference answers and the answer, so
template variables holding those become placeholders (:data:`ANSWER`, :data:`QUESTION`,
:data:`REFERENCES`) and the rubric reads the same for every case; anything else a grader
interpolates (a per-item criterion) is filled in per case, which makes it a per-case metric.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tuneloop.errors import DataError
from tuneloop.jsonlines import iter_objects

__all__ = [
    "ANSWER",
    "QUESTION",
    "REFERENCES",
    "CaseDraft",
    "MappingEntry",
    "Status",
    "SuiteDraft",
    "jsonl_objects",
    "slug",
]

Status = Literal["mapped", "approximated", "not_mapped"]

ANSWER = "[the answer to grade]"
QUESTION = "[the question above]"
REFERENCES = "[the reference answers above]"

_SLUG_DROP = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, fallback: str) -> str:
    """A name tuneloop accepts for suites and metric labels (``[A-Za-z0-9][A-Za-z0-9._-]*``);
    ``fallback`` (already valid) when nothing of ``text`` survives (e.g. a Korean-only name)."""
    name = _SLUG_DROP.sub("-", text.strip()).strip("-._").lower()
    return name[:80] if name else fallback


@dataclass(frozen=True)
class MappingEntry:
    """What became of one part of the source (a grader, an argument, a setting)."""

    name: str
    kind: str
    status: Status
    reason: str
    metric: str | None = None
    where: str | None = None
    definition: Any = None
    kept: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "metric": self.metric,
            "reason": self.reason,
        }
        if self.where:
            out["where"] = self.where
        if self.kept:
            out["kept"] = self.kept
        if self.definition is not None:
            out["definition"] = self.definition
        return out


@dataclass
class CaseDraft:
    """One case: the conversation to send, its references, notes, and metrics of its own."""

    id: str
    messages: list[dict[str, str]]
    references: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    @property
    def question(self) -> str:
        """The last user message's text ("" without one) — what the judge shows as question."""
        users = [m["content"] for m in self.messages if m["role"] == "user"]
        return users[-1] if users else ""


@dataclass
class SuiteDraft:
    """A suite being imported: the suite file's fields plus the mapping report and the files
    (never-executed grader sources) to keep beside it."""

    name: str
    description: str
    source: str
    cases: list[CaseDraft]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    entries: list[MappingEntry] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)

    def note(self, entry: MappingEntry) -> None:
        self.entries.append(entry)

    def label(self, wanted: str, fallback: str = "metric") -> str:
        """A metric label not yet used in this suite, made from ``wanted`` (a grader's name;
        ``fallback``, e.g. the metric's name, when nothing of it is usable, as with 정확도)."""
        base = slug(wanted, fallback)
        taken = {m.get("label") or m["name"] for m in self.metrics}
        taken |= {m.get("label") or m["name"] for c in self.cases for m in c.metrics}
        label, n = base, 2
        while label in taken:
            label, n = f"{base}-{n}", n + 1
        return label

    def add_metric(
        self,
        label: str,
        name: str,
        params_per_case: Sequence[Mapping[str, Any]],
        threshold: float | None = None,
    ) -> None:
        """Use metric ``name`` under ``label``: suite-wide when every case has the same params,
        else on each case with its own (e.g. a rubric holding a per-item criterion)."""
        spec: dict[str, Any] = {"name": name, "label": label}
        if threshold is not None:
            spec["threshold"] = threshold
        distinct = {json.dumps(p, sort_keys=True, default=str) for p in params_per_case}
        if len(distinct) <= 1:
            shared = dict(params_per_case[0]) if params_per_case else {}
            self.metrics.append({**spec, "params": shared} if shared else spec)
            return
        for case, own in zip(self.cases, params_per_case, strict=True):
            case.metrics.append({**spec, "params": dict(own)})

    def counts(self) -> dict[str, int]:
        out = {"mapped": 0, "approximated": 0, "not_mapped": 0}
        for entry in self.entries:
            out[entry.status] += 1
        return out

    # ------------------------------------------------------------------ the suite file

    def shared_system(self) -> str | None:
        """The system message when every case is exactly [that system, one user] turn."""
        shapes = {tuple(m["role"] for m in c.messages) for c in self.cases}
        if shapes != {("system", "user")}:
            return None
        systems = {c.messages[0]["content"] for c in self.cases}
        return systems.pop() if len(systems) == 1 else None

    def needs_inline_cases(self) -> bool:
        """Cases go into the suite YAML (not a JSONL file) when they carry metrics of their own
        or an assistant turn: a JSONL case's last assistant turn is read as its reference."""
        return any(c.metrics for c in self.cases) or any(
            m["role"] == "assistant" for c in self.cases for m in c.messages
        )

    def case_objects(self) -> list[dict[str, Any]]:
        """Each case as a suite case (``input`` when it is one user turn, else ``messages``)."""
        system = self.shared_system()
        rows = []
        for case in self.cases:
            row: dict[str, Any] = {"id": case.id}
            turns = case.messages[1:] if system is not None else case.messages
            if len(turns) == 1 and turns[0]["role"] == "user":
                row["input"] = turns[0]["content"]
            else:
                row["messages"] = [dict(m) for m in turns]
            if len(case.references) == 1:
                row["reference"] = case.references[0]
            elif case.references:
                row["references"] = list(case.references)
            if case.metrics:
                row["metrics"] = [dict(m) for m in case.metrics]
            if case.meta:
                row["meta"] = dict(case.meta)
            rows.append(row)
        return rows

    def jsonl_rows(self) -> list[dict[str, Any]]:
        """The cases as ``cases_from`` JSONL lines: ``meta`` keys at the top level, where
        :func:`~tuneloop.evaluate.suite.read_case_file` collects unknown keys into meta."""
        rows = []
        for row in self.case_objects():
            meta = row.pop("meta", {})
            rows.append({**row, **meta})
        return rows

    def suite_document(self, cases_file: str | None) -> dict[str, Any]:
        """The suite file's content: cases inline when ``cases_file`` is None, else
        ``cases_from`` it."""
        doc: dict[str, Any] = {"name": self.name, "description": self.description}
        system = self.shared_system()
        if system is not None:
            doc["system"] = system
        if self.params:
            doc["params"] = dict(self.params)
        doc["metrics"] = [dict(m) for m in self.metrics]
        if cases_file is None:
            doc["cases"] = self.case_objects()
        else:
            doc["cases_from"] = [cases_file]
        return doc

    def report(self) -> dict[str, Any]:
        return {
            "suite": self.name,
            "source": self.source,
            "cases": len(self.cases),
            "counts": self.counts(),
            "entries": [e.as_dict() for e in self.entries],
        }


def jsonl_objects(path: Path, hint: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of a JSONL file
    (:func:`tuneloop.jsonlines.iter_objects`), after refusing a Git LFS pointer — what a fresh
    ``openai/evals`` clone holds instead of its samples."""
    if not path.is_file():
        raise DataError(f"{path}: no such file.", hint="Check the path.")
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"version https://git-lfs.github.com/spec/"):
        raise DataError(
            f"{path}: a Git LFS pointer, not the data itself.",
            hint="Run `git lfs pull` in the openai/evals clone (or download the file), then "
            "import again.",
        )
    return list(iter_objects(path, hint=hint))
