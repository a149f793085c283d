"""Split examples into train / validation / test without leaking near-duplicates across splits.

Why not ``random.shuffle`` and slice: paraphrases are common in Q&A data ("경복궁 휴무일이
언제예요?" / "경복궁은 언제 쉬어요?" generated from the same paragraph, or the same chat
question asked twice). Split at random, one lands in training and its twin in test, and the test
score measures memory, not skill. So:

1. Near-duplicate groups (:func:`tuneloop.data.dedupe.duplicate_groups` over each example's
   conversation text, system prompt left out) are assigned as **one unit**.
2. Units are stratified by the first tag of their first example (untagged examples form their own
   stratum), shuffled with a seeded RNG per stratum, and dealt so every split gets its share of
   every topic.
3. A final **leakage check** runs :func:`~tuneloop.data.dedupe.cross_duplicates` between every pair
   of splits with a *different* MinHash seed from the grouping (an independent second look) and
   reports any pair it finds (normally none).

Rounding rule (per stratum of ``n`` examples): each split's target is ``n × ratio`` rounded by the
largest-remainder method (floors first, then +1 to the largest fractional parts, ties in the order
the ratios were given). If ``n`` is at least the number of splits with a ratio > 0, a split whose
target rounded to 0 gets 1, taken from the split with the largest target. Units are then dealt
largest first, each to the split furthest below its target; finally, if a split with ratio > 0 is
still empty while another holds two or more units, the smallest unit moves to it. So every split
with ratio > 0 gets examples of a stratum as soon as the stratum has at least as many units as
there are such splits.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

from tuneloop.data.dedupe import cross_duplicates, duplicate_groups
from tuneloop.data.records import Example
from tuneloop.errors import DataError, InvalidRequest

__all__ = [
    "DEFAULT_RATIOS",
    "UNTAGGED",
    "Leak",
    "SplitResult",
    "find_leakage",
    "match_text",
    "parse_ratios",
    "split_examples",
    "stratum_of",
    "target_counts",
]

DEFAULT_RATIOS: Mapping[str, float] = {"train": 0.8, "validation": 0.1, "test": 0.1}
UNTAGGED = "(untagged)"
_RATIO_TOLERANCE = 1e-6
_NAME = re.compile(r"[A-Za-z0-9_-]+")
# The leakage check hashes with another seed than the grouping, so it is an independent look.
_CHECK_SEED_OFFSET = 7919


@dataclass(frozen=True)
class Leak:
    """A near-duplicate pair that ended up in two different splits."""

    left_split: str
    left_id: str
    right_split: str
    right_id: str
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "left_split": self.left_split,
            "left_id": self.left_id,
            "right_split": self.right_split,
            "right_id": self.right_id,
            "similarity": round(self.similarity, 4),
        }


@dataclass
class SplitResult:
    """The splits (in the order of the ratios), and what the split did.

    ``groups_merged`` counts near-duplicate groups of two or more examples kept together;
    ``counts[split][tag]`` counts examples by first tag (:data:`UNTAGGED` for none).
    """

    splits: dict[str, list[Example]]
    groups_merged: int
    leakage: list[Leak]
    counts: dict[str, dict[str, int]]
    seed: int
    ratios: dict[str, float]
    stratify: str
    leakage_threshold: float
    examples_in_groups: int = 0
    sizes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "ratios": self.ratios,
            "stratify": self.stratify,
            "sizes": self.sizes,
            "counts": self.counts,
            "groups_merged": self.groups_merged,
            "examples_in_groups": self.examples_in_groups,
            "leakage_threshold": self.leakage_threshold,
            "leakage": [leak.as_dict() for leak in self.leakage],
        }


def match_text(example: Example) -> str:
    """The text compared for near-duplicates: every non-system message (question and answer).

    The system prompt is left out: it is usually shared by all examples and would make unrelated
    questions look alike.
    """
    return "\n".join(
        m["content"]
        for m in example.messages
        if m.get("role") not in ("system", "developer") and isinstance(m.get("content"), str)
    )


def stratum_of(example: Example) -> str:
    """The first tag, or :data:`UNTAGGED`."""
    return example.tags[0] if example.tags else UNTAGGED


def parse_ratios(text: str) -> dict[str, float]:
    """``"train=0.8,validation=0.1,test=0.1"`` → ``{"train": 0.8, ...}`` (order kept; the sum is
    checked by :func:`split_examples`)."""
    ratios: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not _NAME.fullmatch(name) or math.isnan(number) or name in ratios:
            raise InvalidRequest(
                f"Cannot read the split ratio {part.strip()!r} in {text!r}.",
                hint="Write NAME=FRACTION pairs separated by commas, each name once and made of "
                "letters, digits, '-' or '_' (it becomes the file name), e.g. "
                "train=0.8,validation=0.1,test=0.1.",
            )
        ratios[name] = number
    return ratios


def _check_ratios(ratios: Mapping[str, float]) -> dict[str, float]:
    if not ratios:
        raise DataError(
            "No split ratios given.", hint="Give e.g. train=0.8,validation=0.1,test=0.1."
        )
    bad = {name: r for name, r in ratios.items() if not (r >= 0 and math.isfinite(r))}
    if bad:
        raise DataError(
            f"Split ratios must be numbers ≥ 0; got {bad}.",
            hint="Give e.g. train=0.8,validation=0.1,test=0.1.",
        )
    total = sum(ratios.values())
    if abs(total - 1.0) > _RATIO_TOLERANCE:
        shown = ", ".join(f"{k}={v:g}" for k, v in ratios.items())
        raise DataError(
            f"Split ratios must sum to 1; {shown} sums to {total:g}.",
            hint="Adjust the ratios so they add up to 1 (e.g. train=0.8,validation=0.1,test=0.1).",
        )
    return dict(ratios)


def target_counts(n: int, ratios: Mapping[str, float]) -> dict[str, int]:
    """How many of ``n`` examples each split should get (the rounding rule in the module
    docstring: largest remainder, then at least one per split with ratio > 0 when n allows)."""
    names = list(ratios)
    exact = [n * ratios[name] for name in names]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    positive = [i for i, name in enumerate(names) if ratios[name] > 0]
    if n >= len(positive):
        for i in positive:
            if counts[i] == 0:
                donor = max(range(len(names)), key=lambda j: (counts[j], -j))
                counts[donor] -= 1
                counts[i] += 1
    return dict(zip(names, counts, strict=True))


def _deal(
    units: list[list[int]], ratios: Mapping[str, float], rng: random.Random
) -> dict[str, list[list[int]]]:
    """Assign the units of one stratum to splits (see the module docstring)."""
    names = list(ratios)
    n = sum(len(u) for u in units)
    targets = target_counts(n, ratios)
    rng.shuffle(units)
    units.sort(key=len, reverse=True)  # stable: equal sizes stay in shuffled order
    dealt: dict[str, list[list[int]]] = {name: [] for name in names}
    filled = dict.fromkeys(names, 0)
    for unit in units:
        name = max(names, key=lambda s: (targets[s] - filled[s], ratios[s], -names.index(s)))
        dealt[name].append(unit)
        filled[name] += len(unit)
    for name in names:
        if ratios[name] > 0 and not dealt[name]:
            donors = [s for s in names if len(dealt[s]) >= 2]
            if donors:
                donor = max(donors, key=lambda s: (len(dealt[s]), filled[s]))
                smallest = min(dealt[donor], key=len)
                dealt[donor].remove(smallest)
                dealt[name].append(smallest)
                filled[donor] -= len(smallest)
                filled[name] += len(smallest)
    return dealt


def split_examples(
    examples: Sequence[Example],
    *,
    ratios: Mapping[str, float] = DEFAULT_RATIOS,
    seed: int = 0,
    stratify: Literal["tag", "none"] = "tag",
    leakage_threshold: float = 0.8,
) -> SplitResult:
    """Split ``examples`` by ``ratios`` (names → fractions summing to 1), seeded and deterministic.

    Near-duplicates (shingle Jaccard ≥ ``leakage_threshold``) always share a split; the result's
    ``leakage`` lists any cross-split pair the final check still finds. Within a split, examples
    keep their input order. Raises :class:`DataError` when the ratios do not sum to 1 (± 1e-6).
    """
    ratio_map = _check_ratios(ratios)
    if stratify not in ("tag", "none"):
        raise DataError(f"Unknown stratify mode {stratify!r}.", hint="Use 'tag' or 'none'.")
    if not 0.0 < leakage_threshold <= 1.0:
        raise DataError(
            f"The leakage threshold must be in (0, 1], got {leakage_threshold}.",
            hint="0.8 is a good default.",
        )
    texts = [match_text(e) for e in examples]
    groups = duplicate_groups(texts, threshold=leakage_threshold, seed=seed + 1)
    strata: dict[str, list[list[int]]] = {}
    for group in groups:
        key = stratum_of(examples[group[0]]) if stratify == "tag" else ""
        strata.setdefault(key, []).append(group)
    assigned: dict[str, list[int]] = {name: [] for name in ratio_map}
    for key in sorted(strata):
        rng = random.Random(f"{seed}:{key}")
        for name, units in _deal(strata[key], ratio_map, rng).items():
            for unit in units:
                assigned[name].extend(unit)
    splits = {name: [examples[i] for i in sorted(idx)] for name, idx in assigned.items()}
    counts: dict[str, dict[str, int]] = {}
    for name, members in splits.items():
        per_tag: dict[str, int] = {}
        for example in members:
            tag = stratum_of(example)
            per_tag[tag] = per_tag.get(tag, 0) + 1
        counts[name] = dict(sorted(per_tag.items()))
    merged = [g for g in groups if len(g) > 1]
    return SplitResult(
        splits=splits,
        groups_merged=len(merged),
        examples_in_groups=sum(len(g) for g in merged),
        leakage=find_leakage(splits, threshold=leakage_threshold, seed=seed),
        counts=counts,
        seed=seed,
        ratios=ratio_map,
        stratify=stratify,
        leakage_threshold=leakage_threshold,
        sizes={name: len(members) for name, members in splits.items()},
    )


def find_leakage(
    splits: Mapping[str, Sequence[Example]], *, threshold: float = 0.8, seed: int = 0
) -> list[Leak]:
    """Near-duplicate pairs between every two splits (checked with an independent MinHash seed)."""
    leaks: list[Leak] = []
    texts = {name: [match_text(e) for e in members] for name, members in splits.items()}
    for left, right in combinations(splits, 2):
        if not texts[left] or not texts[right]:
            continue
        for i, j, similarity in cross_duplicates(
            texts[left], texts[right], threshold=threshold, seed=seed + _CHECK_SEED_OFFSET
        ):
            leaks.append(Leak(left, splits[left][i].id, right, splits[right][j].id, similarity))
    return leaks
