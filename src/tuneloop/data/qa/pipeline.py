"""``tuneloop data qa`` as one function: documents in, Q/A examples out, conversations kept.

A record file from ``ingest`` mixes documents (text to learn from) and examples (conversations
read from chat logs). Documents go to the chosen generators (rules, an LLM, or both); examples are
already in chat form, so they pass through unchanged. The result keeps the input order: each
document's pairs (rule pairs first) stand where the document stood.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from tuneloop.data.qa.grounding import DEFAULT_THRESHOLD
from tuneloop.data.qa.llm import Progress, generate_qa
from tuneloop.data.qa.pairs import QaResult
from tuneloop.data.qa.rules import generate_rule_qa
from tuneloop.data.records import Document, Example, Record
from tuneloop.errors import InvalidRequest
from tuneloop.models.base import ChatModel
from tuneloop.prompts.template import PromptFile

__all__ = ["METHODS", "Method", "build_qa"]

Method = Literal["rules", "llm", "both"]
METHODS: tuple[Method, ...] = ("rules", "llm", "both")


def build_qa(
    records: Iterable[Record],
    *,
    method: Method = "rules",
    rules: Sequence[str] = ("kv", "section"),
    model: ChatModel | None = None,
    prompt: PromptFile | None = None,
    pairs_per_chunk: int = 3,
    concurrency: int = 4,
    seed: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    system: str | None = None,
    progress: Progress | None = None,
) -> QaResult:
    """Generate pairs from every document with ``method`` and pass examples through.

    ``model`` is required for ``llm`` and ``both``. Pairs below ``threshold`` (or with a number
    their document lacks) come back flagged; see :class:`~tuneloop.data.qa.pairs.QaResult`.
    """
    if method not in METHODS:
        raise InvalidRequest(
            f"Unknown Q/A method {method!r}.", hint="Use rules, llm or both.", param="method"
        )
    if method != "rules" and model is None:
        raise InvalidRequest(
            f"--method {method} needs a model.", hint="Pass --model NAME.", param="model"
        )
    records = list(records)
    documents = [r for r in records if isinstance(r, Document)]
    parts: list[QaResult] = []
    if method in ("rules", "both"):
        parts.append(generate_rule_qa(documents, rules=rules, system=system, threshold=threshold))
    if method in ("llm", "both") and model is not None:
        parts.append(
            generate_qa(
                documents,
                model,
                prompt=prompt,
                pairs_per_chunk=pairs_per_chunk,
                concurrency=concurrency,
                seed=seed,
                threshold=threshold,
                system=system,
                progress=progress,
            )
        )
    groups = [part.by_document() for part in parts]
    result = QaResult(documents=len(documents))
    for part in parts:
        result.failures += part.failures
    for record in records:
        if isinstance(record, Example):
            result.add(record, "passed")
            continue
        for group in groups:
            for status, example in group.get(record.id, []):
                result.add(example, status)
    return result
