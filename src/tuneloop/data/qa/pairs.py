"""What every Q/A generator shares: turning a question and answer into an :class:`Example`,
judging it against its source, and the result a generator returns.

Why one place: rule-made and LLM-made pairs must look the same downstream (same tags, same
``meta`` keys, same grounding check), so ``clean``, ``label`` and reports can treat them alike
and only ``meta.generator`` tells them apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from tuneloop.data.qa.grounding import DEFAULT_THRESHOLD, assess
from tuneloop.data.records import Document, Example, Source

__all__ = ["QaFailure", "QaResult", "document_tags", "document_title", "make_pair"]

Status = Literal["kept", "flagged", "passed"]
_H1 = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def document_title(document: Document) -> str | None:
    """The document's title, else its first ``# heading``, else ``None``."""
    if document.title and document.title.strip():
        return document.title.strip()
    match = _H1.search(document.text)
    return match.group(1).strip() if match else None


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-_")


def document_tags(document: Document) -> list[str]:
    """Tags for pairs made from ``document``: its ``meta.tags`` and the slug of its title."""
    raw = document.meta.get("tags")
    tags = [str(t) for t in raw] if isinstance(raw, list) else []
    title = document_title(document)
    if title and _slug(title):
        tags.append(_slug(title))
    return list(dict.fromkeys(t for t in tags if t))


def make_pair(
    question: str,
    answer: str,
    *,
    document: Document,
    source: Source,
    generator: str,
    threshold: float = DEFAULT_THRESHOLD,
    system: str | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[Example, bool]:
    """The Example for one pair and whether it is grounded in ``document``'s text.

    ``meta`` gets ``generator``, ``grounding`` (score, 3 decimals) and ``document`` (the id of
    the document it came from); an ungrounded pair also gets ``flags: ["ungrounded"]`` and
    ``unsupported`` (the answer's words and numbers the document does not contain), so a reviewer
    sees at once what to check.
    """
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages += [
        {"role": "user", "content": question.strip()},
        {"role": "assistant", "content": answer.strip()},
    ]
    verdict = assess(answer, document.text)
    grounded = verdict.grounded(threshold)
    info: dict[str, Any] = {
        "generator": generator,
        **(meta or {}),
        "grounding": round(verdict.score, 3),
        "document": document.id,
    }
    if not grounded:
        info["flags"] = ["ungrounded"]
        info["unsupported"] = list(dict.fromkeys(verdict.missing))
    example = Example(messages=messages, source=source, tags=document_tags(document), meta=info)
    return example, grounded


@dataclass(frozen=True)
class QaFailure:
    """A chunk that gave no usable pairs (unparsable reply, backend error), and why."""

    source: Source | None
    reason: str
    reply: str = ""

    def __str__(self) -> str:
        return f"{self.source or '?'}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source) if self.source else None,
            "reason": self.reason,
            "reply": self.reply,
        }


@dataclass
class QaResult:
    """Examples in input order, each ``kept`` (grounded pair), ``flagged`` (ungrounded pair) or
    ``passed`` (an input conversation passed through unchanged), plus the failures."""

    items: list[tuple[Status, Example]] = field(default_factory=list)
    failures: list[QaFailure] = field(default_factory=list)
    documents: int = 0

    def add(self, example: Example, status: Status) -> None:
        self.items.append((status, example))

    def _having(self, status: Status) -> list[Example]:
        return [e for s, e in self.items if s == status]

    @property
    def kept(self) -> list[Example]:
        return self._having("kept")

    @property
    def flagged(self) -> list[Example]:
        return self._having("flagged")

    @property
    def passed(self) -> list[Example]:
        return self._having("passed")

    def output(self, *, keep_flagged: bool = False) -> list[Example]:
        """What ``data qa`` writes: kept pairs and passed conversations (and flagged pairs, still
        marked ``meta.flags``, when ``keep_flagged``), in input order."""
        return [e for s, e in self.items if s != "flagged" or keep_flagged]

    def by_document(self) -> dict[str, list[tuple[Status, Example]]]:
        """Generated items grouped by ``meta.document`` (the id of their source document)."""
        groups: dict[str, list[tuple[Status, Example]]] = {}
        for status, example in self.items:
            groups.setdefault(str(example.meta.get("document")), []).append((status, example))
        return groups

    def generators(self) -> dict[str, dict[str, int]]:
        """``{generator: {"kept": n, "flagged": n}}`` for the summary table."""
        counts: Counter[tuple[str, str]] = Counter(
            (str(e.meta.get("generator")), s) for s, e in self.items if s != "passed"
        )
        names = sorted({g for g, _ in counts})
        return {g: {"kept": counts[(g, "kept")], "flagged": counts[(g, "flagged")]} for g in names}

    def __iter__(self) -> Iterator[tuple[Status, Example]]:
        return iter(self.items)
