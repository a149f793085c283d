"""Find exact and near-duplicate texts, within one list or across two.

Why: the same question asked twice ("경복궁은 화요일에 쉽니다" / "경복궁은  화요일에 쉽니다!")
wastes training budget, over-weights one fact, and — worse — lets a validation example leak from
training when the two land in different splits. ``clean`` drops duplicates; ``split`` keeps each
group of near-duplicates in one split and checks for leaks with :func:`cross_duplicates`.

How:

* **Exact** duplicates are equal after :func:`normalize_for_match` (NFC, casefold, punctuation
  removed, whitespace collapsed); the first occurrence is kept.
* **Near** duplicates have a Jaccard similarity of their shingle sets ≥ ``threshold``. Shingles are
  n-grams of *morphemes* for Hangul text (kiwipiepy, via :mod:`tuneloop.text.korean`): Korean glues
  particles and endings to words (화요일에/화요일엔, 쉽니다/쉬어요), so whitespace words make
  a spacing change look like a different sentence, while morphemes see the same one. Latin text uses
  words.
* Candidates come from **datasketch**'s MinHash + MinHashLSH (a well-kept, pure-Python library whose
  ``MinHash.bulk`` hashes thousands of sets in one numpy pass), so 20k texts do not need 200M
  comparisons. The LSH bands are chosen for *recall* (a pair exactly at the threshold becomes a
  candidate with probability ≥ 0.999) and every candidate is then **verified with the true Jaccard**
  of the two shingle sets: no false positive can slip in, and the reported similarity is exact.

Every text is tokenized once (in one Kiwi batch, which uses its worker threads) and the seeds make
the result reproducible.
"""

from __future__ import annotations

import functools
import math
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tuneloop.text import korean

if TYPE_CHECKING:
    from datasketch import MinHash

__all__ = [
    "Duplicate",
    "cross_duplicates",
    "duplicate_groups",
    "find_duplicates",
    "jaccard",
    "normalize_for_match",
    "shingles",
]

# Kiwi tags of punctuation and symbols (left out of shingles, as korean.tokens does).
# A pair exactly at the threshold must become an LSH candidate with at least this probability.
_RECALL_AT_THRESHOLD = 0.999
_BATCH = 512


@dataclass(frozen=True)
class Duplicate:
    """Text ``index`` duplicates the kept text ``kept`` (``kept < index``).

    ``similarity`` is the true Jaccard similarity of their shingle sets (1.0 for exact ones).
    """

    index: int
    kept: int
    kind: Literal["exact", "near"]
    similarity: float


@functools.cache
def _punctuation_table() -> dict[int, str]:
    """Every punctuation code point (Unicode category P*) → a space, for ``str.translate``."""
    return {
        cp: " " for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)).startswith("P")
    }


def normalize_for_match(text: str) -> str:
    """The form two texts must share to count as exact duplicates: NFC, casefolded, punctuation
    removed (Unicode category P*), whitespace collapsed to single spaces and stripped."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_punctuation_table())
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return normalize_for_match(text).split()


def _ngrams(tokens: Sequence[str], n: int) -> set[str]:
    if not tokens:
        return set()
    if len(tokens) <= n:
        return {"\x1f".join(tokens)}
    return {"\x1f".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def _token_lists(texts: Sequence[str]) -> list[list[str]]:
    """Morphemes for texts with Hangul, words otherwise; Hangul texts go through Kiwi together."""
    out: list[list[str]] = [[] for _ in texts]
    hangul = [i for i, text in enumerate(texts) if korean.has_hangul(text)]
    for i, text in enumerate(texts):
        if not korean.has_hangul(text):
            out[i] = _words(text)
    prepared = [unicodedata.normalize("NFC", texts[i]) for i in hangul]
    for i, toks in zip(hangul, korean.tokens_many(prepared), strict=True):
        out[i] = toks
    return out


def shingles(text: str, n: int = 3) -> set[str]:
    """The set of ``n``-grams of ``text``'s tokens: kiwipiepy morphemes when it contains Hangul,
    casefolded words otherwise. A text shorter than ``n`` tokens gives one shingle (all of it)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    return _ngrams(_token_lists([text])[0], n)


def _shingle_sets(
    texts: Sequence[str], n: int, progress: Callable[[int], None] | None = None
) -> list[set[str]]:
    sets: list[set[str]] = []
    for start in range(0, len(texts), _BATCH):
        chunk = texts[start : start + _BATCH]
        sets.extend(_ngrams(toks, n) for toks in _token_lists(chunk))
        if progress is not None:
            progress(start + len(chunk))
    return sets


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0.0 when both are empty)."""
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the most rows per band (fewest false candidates) that still catch a pair at
    ``threshold`` with probability ≥ :data:`_RECALL_AT_THRESHOLD`."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands < 1:
            break
        caught = 1.0 - (1.0 - threshold**rows) ** bands
        if caught >= _RECALL_AT_THRESHOLD:
            best = (bands, rows)
    return best


def _check(threshold: float, num_perm: int) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if num_perm < 2:
        raise ValueError(f"num_perm must be at least 2, got {num_perm}")


class _Sketches:
    """MinHashes of shingle sets (``None`` for an empty set) and their hash values as one matrix."""

    def __init__(self, sets: Sequence[set[str]], num_perm: int, seed: int) -> None:
        import numpy as np
        from datasketch import MinHash

        self.sets = sets
        self.nonempty = [i for i, s in enumerate(sets) if s]
        encoded = [[s.encode("utf-8") for s in sets[i]] for i in self.nonempty]
        bulk: list[MinHash] = MinHash.bulk(encoded, num_perm=num_perm, seed=seed) if encoded else []
        self.minhashes: list[MinHash | None] = [None] * len(sets)
        self.matrix = np.zeros((len(sets), num_perm), dtype=np.uint64)
        for i, minhash in zip(self.nonempty, bulk, strict=True):
            self.minhashes[i] = minhash
            self.matrix[i] = minhash.hashvalues


class _Index:
    """A MinHashLSH over some of the texts of a :class:`_Sketches`, queried with any MinHash.

    ``candidates`` returns the keys LSH proposes (sorted), minus those whose MinHash estimate is
    far below the threshold — more than 3.1 standard deviations of the estimator at the threshold,
    so a true match is lost with probability < 0.001. With templated data LSH proposes many pairs
    near 0.5; one vectorised comparison is much cheaper than that many exact Jaccards.
    """

    def __init__(self, sketches: _Sketches, threshold: float, num_perm: int) -> None:
        from datasketch import MinHashLSH

        bands, rows = _lsh_params(threshold, num_perm)
        self.sketches = sketches
        self.lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows))
        sigma = math.sqrt(threshold * (1.0 - threshold) / num_perm)
        self.floor = threshold - 3.1 * sigma - 1.0 / num_perm

    def insert(self, key: int) -> None:
        self.lsh.insert(key, self.sketches.minhashes[key], check_duplication=False)

    def insert_all(self) -> None:
        with self.lsh.insertion_session() as session:
            for key in self.sketches.nonempty:
                session.insert(key, self.sketches.minhashes[key], check_duplication=False)

    def candidates(self, minhash: MinHash) -> list[int]:
        import numpy as np

        found = self.lsh.query(minhash)
        if not found:
            return []
        keys = np.fromiter(found, dtype=np.int64, count=len(found))
        keys.sort()
        estimate = (self.sketches.matrix[keys] == minhash.hashvalues).mean(axis=1)
        kept: list[int] = keys[estimate >= self.floor].tolist()
        return kept


def _exact_groups(texts: Sequence[str]) -> tuple[list[int], dict[int, int]]:
    """(indices of first occurrences, {duplicate index: first occurrence})."""
    first: dict[str, int] = {}
    dup_of: dict[int, int] = {}
    for i, text in enumerate(texts):
        key = normalize_for_match(text)
        if key in first:
            dup_of[i] = first[key]
        else:
            first[key] = i
    return sorted(first.values()), dup_of


def find_duplicates(
    texts: Sequence[str],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[Duplicate]:
    """Duplicates to drop, sorted by index: every text equal (after normalization) to an earlier
    one, or whose shingle Jaccard with an earlier *kept* text is ≥ ``threshold``.

    Texts are visited in order; each is compared with the texts kept so far (the LSH index holds
    only those) and matched to the lowest-index one that is similar enough, so ``kept`` always
    names a text that stays. ``progress`` is called with the number of texts shingled so far (the
    tokenizing pass is most of the time; the MinHash/LSH pass after it is short).
    """
    _check(threshold, num_perm)
    unique, exact = _exact_groups(texts)
    found = [Duplicate(i, kept, "exact", 1.0) for i, kept in exact.items()]
    sets = _shingle_sets([texts[i] for i in unique], 3, _scaled(progress, len(texts), len(unique)))
    sketches = _Sketches(sets, num_perm, seed)
    index = _Index(sketches, threshold, num_perm)
    for b in sketches.nonempty:
        minhash = sketches.minhashes[b]
        assert minhash is not None
        for a in index.candidates(minhash):
            similarity = jaccard(sets[a], sets[b])
            if similarity >= threshold:
                found.append(Duplicate(unique[b], unique[a], "near", similarity))
                break
        else:
            index.insert(b)
    if progress is not None:
        progress(len(texts))
    return sorted(found, key=lambda d: d.index)


def _scaled(
    progress: Callable[[int], None] | None, total: int, part: int
) -> Callable[[int], None] | None:
    """Report shingling of ``part`` unique texts as progress over all ``total`` texts."""
    if progress is None or part == 0:
        return None
    report = progress
    return lambda done: report(math.floor(done * total / part))


def duplicate_groups(
    texts: Sequence[str], *, threshold: float = 0.8, num_perm: int = 128, seed: int = 1
) -> list[list[int]]:
    """Connected groups of texts linked by exact or near duplication (each sorted; groups ordered
    by their first index; singletons included).

    Unlike :func:`find_duplicates`, a chain A~B~C puts A, B and C in one group even when A and C
    are not similar themselves: what ``split`` needs so that no near-duplicate pair crosses splits.
    """
    _check(threshold, num_perm)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    unique, exact = _exact_groups(texts)
    for i, kept in exact.items():
        union(i, kept)
    sets = _shingle_sets([texts[i] for i in unique], 3)
    sketches = _Sketches(sets, num_perm, seed)
    index = _Index(sketches, threshold, num_perm)
    index.insert_all()
    for b in sketches.nonempty:
        minhash = sketches.minhashes[b]
        assert minhash is not None
        for a in index.candidates(minhash):
            if a >= b:
                break
            # Already joined (through another member): no need to verify this pair.
            if root(unique[a]) != root(unique[b]) and jaccard(sets[a], sets[b]) >= threshold:
                union(unique[a], unique[b])
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def cross_duplicates(
    left: Sequence[str],
    right: Sequence[str],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    seed: int = 1,
) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, similarity)`` where ``left[i]`` and ``right[j]`` are exact or near
    duplicates (true shingle Jaccard ≥ ``threshold``; 1.0 for normalized-equal texts), sorted.

    Used to check that no validation or test example has a near twin in training.
    """
    _check(threshold, num_perm)
    pairs: dict[tuple[int, int], float] = {}
    by_norm: dict[str, list[int]] = {}
    for j, text in enumerate(right):
        by_norm.setdefault(normalize_for_match(text), []).append(j)
    for i, text in enumerate(left):
        for j in by_norm.get(normalize_for_match(text), []):
            pairs[(i, j)] = 1.0
    right_sets = _shingle_sets(right, 3)
    left_sets = _shingle_sets(left, 3)
    index = _Index(_Sketches(right_sets, num_perm, seed), threshold, num_perm)
    index.insert_all()
    left_sketches = _Sketches(left_sets, num_perm, seed)
    for i in left_sketches.nonempty:
        minhash = left_sketches.minhashes[i]
        assert minhash is not None
        for j in index.candidates(minhash):
            if (i, j) in pairs:
                continue
            similarity = jaccard(left_sets[i], right_sets[j])
            if similarity >= threshold:
                pairs[(i, j)] = similarity
    return sorted((i, j, s) for (i, j), s in pairs.items())
