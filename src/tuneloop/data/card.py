"""Dataset cards: what a dataset version holds and how it was made, in markdown for people.

Why generated, not hand-written: a card written by hand drifts from the data; one computed from the
very files being versioned (counts per split and tag, languages, lengths, sources) and the recorded
pipeline cannot. Hugging Face popularised dataset cards; ours keeps the parts a fine-tuning team
checks before training: is the split sane, which topics dominate, where did rows come from, what
did cleaning remove, was PII redacted.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from tuneloop.data.qa.forms import form_mix
from tuneloop.data.records import Document, Example, Record
from tuneloop.text.stats import dominant_language

__all__ = ["dataset_card", "dataset_counts", "question_of"]

TOP = 12


def _examples(records: Sequence[Record]) -> list[Example]:
    return [r for r in records if isinstance(r, Example)]


def dataset_counts(splits: Mapping[str, Sequence[Record]]) -> dict[str, Any]:
    """Counts stored with a version: records per split, examples and documents, tags, languages."""
    counts: dict[str, Any] = {"total": 0, "splits": {}, "tags": {}, "languages": {}}
    tags: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for split, records in splits.items():
        examples = _examples(records)
        counts["splits"][split] = {
            "records": len(records),
            "examples": len(examples),
            "documents": sum(isinstance(r, Document) for r in records),
        }
        counts["total"] += len(records)
        for example in examples:
            tags.update(example.tags[:1] or ["(none)"])
            languages[dominant_language(example.text())] += 1
    counts["tags"] = dict(tags.most_common())
    counts["languages"] = dict(languages.most_common())
    return counts


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def question_of(example: Example) -> str:
    """The question asked: ``meta.question`` when context was attached, else the first user
    turn."""
    question = example.meta.get("question")
    return question if isinstance(question, str) else example.first("user")


def _question_forms(splits: Mapping[str, Sequence[Record]]) -> list[str]:
    """The mix of question intents (:func:`tuneloop.data.qa.forms.question_form`)."""
    questions = [question_of(e) for records in splits.values() for e in _examples(records)]
    mix = form_mix(q for q in questions if q)
    total = sum(mix.values())
    if not total:
        return []
    lines = ["", "## Question forms", ""]
    lines += _table(
        ["form", "examples", "share"], [[f, n, f"{n / total:.0%}"] for f, n in mix.items()]
    )
    about = mix.get("about", 0)
    lines.append(f'\n"Tell me about X" questions: {about} of {total} ({about / total:.0%}).')
    return lines


def _context(splits: Mapping[str, Sequence[Record]]) -> list[str]:
    """Context-aware examples per split: with sources, of which not answerable from them."""
    rows = []
    for split, records in splits.items():
        examples = _examples(records)
        with_context = [
            e.meta["context"] for e in examples if isinstance(e.meta.get("context"), dict)
        ]
        if not with_context:
            continue
        missing = sum(bool(c.get("unanswerable")) for c in with_context)
        tokens = [int(c.get("tokens", 0)) for c in with_context]
        rows.append(
            [
                split,
                f"{len(with_context)} of {len(examples)}",
                f"{missing} ({missing / len(with_context):.0%})",
                f"{statistics.mean(len(c.get('sources', [])) for c in with_context):.1f}",
                max(tokens),
            ]
        )
    if not rows:
        return []
    header = ["split", "with sources", "answer not in sources", "sources (mean)", "tokens (max)"]
    return ["", "## Context", "", *_table(header, rows)]


def dataset_card(
    name: str,
    splits: Mapping[str, Sequence[Record]],
    *,
    pipeline: Sequence[Mapping[str, Any]] = (),
    description: str = "",
    cleaning: Mapping[str, Mapping[str, int]] | None = None,
) -> str:
    """Markdown describing the dataset ``name`` made of ``splits``.

    ``cleaning`` is :meth:`tuneloop.data.clean.CleanReport.by_rule` of the run that produced it.
    """
    counts = dataset_counts(splits)
    lines = [f"# Dataset card: {name}", ""]
    if description:
        lines += [description, ""]

    lines += ["## Splits", ""]
    rows = []
    for split, records in splits.items():
        examples = _examples(records)
        turns = [sum(m.get("role") == "assistant" for m in e.messages) for e in examples]
        answers = [len(e.first("assistant")) for e in examples]
        rows.append(
            [
                split,
                len(records),
                len(examples),
                f"{statistics.mean(turns):.1f}" if turns else "–",
                f"{statistics.median(answers):.0f}" if answers else "–",
            ]
        )
    lines += _table(
        ["split", "records", "examples", "assistant turns (mean)", "answer chars (median)"], rows
    )

    tag_counts: dict[str, Counter[str]] = {
        split: Counter(t for e in _examples(records) for t in e.tags[:1] or ["(none)"])
        for split, records in splits.items()
    }
    top_tags = list(counts["tags"])[:TOP]
    if top_tags:
        lines += ["", "## Topics (first tag)", ""]
        lines += _table(
            ["tag", *splits],
            [[tag, *(tag_counts[s][tag] for s in splits)] for tag in top_tags],
        )
        if len(counts["tags"]) > TOP:
            lines.append(f"\n… and {len(counts['tags']) - TOP} more tags.")

    if counts["languages"]:
        total = sum(counts["languages"].values())
        shown = ", ".join(f"{lang} {n / total:.0%}" for lang, n in counts["languages"].items())
        lines += ["", "## Languages", "", f"By script of each example: {shown}."]

    lines += _question_forms(splits)
    lines += _context(splits)

    sources: Counter[str] = Counter(
        r.source.path for records in splits.values() for r in records if r.source is not None
    )
    if sources:
        lines += ["", "## Sources", ""]
        lines += _table(["file", "records"], sources.most_common(TOP))
        if len(sources) > TOP:
            lines.append(f"\n… and {len(sources) - TOP} more files.")

    redacted: Counter[str] = Counter()
    for records in splits.values():
        for record in records:
            redacted.update(record.meta.get("pii_redacted", {}))
    lines += ["", "## Personal information", ""]
    if redacted:
        shown = ", ".join(f"{entity} {n}" for entity, n in sorted(redacted.items()))
        lines.append(f"Redacted before versioning: {shown}.")
    else:
        lines.append("No redactions recorded in this data.")

    if cleaning:
        lines += ["", "## Cleaning", ""]
        lines += _table(
            ["rule", "removed", "changed"],
            [[rule, c.get("removed", 0), c.get("changed", 0)] for rule, c in cleaning.items()],
        )

    if pipeline:
        lines += ["", "## How it was made", ""]
        for number, step in enumerate(pipeline, start=1):
            params = ", ".join(
                f"{key}={value}" for key, value in step.items() if key != "step" and value != ""
            )
            lines.append(
                f"{number}. `{step.get('step', '?')}`" + (f" — {params}" if params else "")
            )
    return "\n".join(lines) + "\n"
