"""Splitting: ratios, rounding, stratification by tag, seeds, and no near-duplicate leakage."""

from __future__ import annotations

import random

import pytest

from tuneloop.data.dedupe import cross_duplicates
from tuneloop.data.records import Example, Source
from tuneloop.data.split import (
    UNTAGGED,
    match_text,
    parse_ratios,
    split_examples,
    target_counts,
)
from tuneloop.errors import DataError, InvalidRequest

PLACES = ["경복궁", "창덕궁", "덕수궁", "남산타워", "북촌한옥마을", "광장시장", "명동", "인사동"]
DAYS = ["월", "화", "수", "목", "금", "토", "일"]


def qa(question: str, answer: str, tags: list[str] | None = None, n: int = 0) -> Example:
    return Example(
        messages=[
            {"role": "system", "content": "당신은 서울 여행 도우미입니다."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ],
        tags=tags or [],
        source=Source("qa.jsonl", n + 1),
    )


def distinct_examples(n: int, tag: str | None, offset: int = 0) -> list[Example]:
    """Examples that are clearly not near-duplicates of each other."""
    rng = random.Random(f"{tag}{offset}")
    out = []
    for i in range(n):
        words = " ".join(f"{tag or 'x'}{rng.randrange(10**6)}" for _ in range(8))
        out.append(qa(f"질문 {words}", f"답 {words[::-1]}", [tag] if tag else [], offset + i))
    return out


def paraphrase_clusters(n_clusters: int) -> list[Example]:
    """Three near-identical Q/A pairs per cluster (spacing, punctuation, one word)."""
    examples = []
    for c in range(n_clusters):
        place, day = PLACES[c % len(PLACES)], DAYS[c % len(DAYS)]
        price = 1000 + 37 * c
        answer = (
            f"{place}의 입장료는 {price}원이고 매주 {day}요일에 쉽니다. 관람 시간은 "
            f"오전 {c % 5 + 8}시부터 오후 {c % 4 + 5}시까지이며 {c}번 버스로 갈 수 있습니다."
        )
        question = f"{place} 입장료와 휴무일 알려주세요 ({c})"
        examples += [
            qa(question, answer, ["palace"], 3 * c),
            qa(question + "!", answer.replace(" 쉽니다", "쉽니다"), ["palace"], 3 * c + 1),
            qa(question + "?", answer + " 감사합니다.", ["palace"], 3 * c + 2),
        ]
    return examples


def test_split_rejects_ratios_that_do_not_sum_to_one() -> None:
    with pytest.raises(DataError, match="sum to 1"):
        split_examples(distinct_examples(5, "a"), ratios={"train": 0.8, "test": 0.1})
    with pytest.raises(DataError):
        split_examples(distinct_examples(5, "a"), ratios={"train": 1.2, "test": -0.2})
    result = split_examples(distinct_examples(5, "a"), ratios={"train": 0.9 + 5e-7, "test": 0.1})
    assert sum(result.sizes.values()) == 5


def test_parse_ratios_reads_pairs_and_rejects_garbage() -> None:
    assert parse_ratios("train=0.7, dev=0.2,test=0.1") == {"train": 0.7, "dev": 0.2, "test": 0.1}
    for bad in ("train:0.8", "train=abc", "=0.5", "a/b=1", "train=0.5,train=0.5"):
        with pytest.raises(InvalidRequest):
            parse_ratios(bad)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (10, {"train": 8, "validation": 1, "test": 1}),
        (11, {"train": 9, "validation": 1, "test": 1}),  # 8.8/1.1/1.1 → 8,1,1 + largest rest
        (5, {"train": 3, "validation": 1, "test": 1}),  # 4/0.5/0.5 → 4,1,0 → test takes 1
        (3, {"train": 1, "validation": 1, "test": 1}),
        (2, {"train": 2, "validation": 0, "test": 0}),  # too small to give every split one
        (0, {"train": 0, "validation": 0, "test": 0}),
    ],
)
def test_target_counts_follow_the_documented_rounding_rule(n: int, expected: dict) -> None:
    got = target_counts(n, {"train": 0.8, "validation": 0.1, "test": 0.1})
    assert got == expected
    assert sum(got.values()) == n


def test_split_is_deterministic_for_a_seed_and_changes_with_it() -> None:
    examples = distinct_examples(40, "food") + distinct_examples(40, "palace", 40)
    ids = lambda r: {k: [e.id for e in v] for k, v in r.splits.items()}  # noqa: E731
    first = split_examples(examples, seed=5)
    assert ids(first) == ids(split_examples(examples, seed=5))
    assert ids(first) != ids(split_examples(examples, seed=6))
    assert sorted(e.id for v in first.splits.values() for e in v) == sorted(e.id for e in examples)


def test_split_stratifies_by_first_tag_with_untagged_as_own_stratum() -> None:
    examples = (
        distinct_examples(50, "palace")
        + distinct_examples(30, "food", 50)
        + distinct_examples(20, None, 80)
    )
    random.Random(0).shuffle(examples)
    result = split_examples(examples, seed=1)
    for tag, n in (("palace", 50), ("food", 30), (UNTAGGED, 20)):
        want = target_counts(n, {"train": 0.8, "validation": 0.1, "test": 0.1})
        assert {s: result.counts[s].get(tag, 0) for s in result.splits} == want
    assert result.sizes == {"train": 80, "validation": 10, "test": 10}


def test_split_without_stratification_only_balances_totals() -> None:
    examples = distinct_examples(9, "palace") + distinct_examples(1, "food", 9)
    result = split_examples(examples, stratify="none", seed=2)
    assert result.sizes == {"train": 8, "validation": 1, "test": 1}


def test_split_gives_every_split_examples_of_a_small_stratum() -> None:
    examples = distinct_examples(4, "nightlife") + distinct_examples(100, "palace", 4)
    result = split_examples(examples, seed=3)
    assert all(result.counts[s].get("nightlife", 0) >= 1 for s in result.splits)


def test_split_keeps_input_order_inside_each_split() -> None:
    examples = distinct_examples(30, "palace")
    position = {e.id: i for i, e in enumerate(examples)}
    for members in split_examples(examples, seed=4).splits.values():
        order = [position[e.id] for e in members]
        assert order == sorted(order)


def test_naive_random_split_leaks_near_duplicates_but_ours_does_not() -> None:
    examples = paraphrase_clusters(20) + distinct_examples(40, "palace", 60)
    # naive: shuffle and slice 80/10/10
    shuffled = list(examples)
    random.Random(0).shuffle(shuffled)
    naive = {"train": shuffled[:80], "validation": shuffled[80:90], "test": shuffled[90:]}
    naive_leaks = sum(
        len(cross_duplicates([match_text(e) for e in naive[a]], [match_text(e) for e in naive[b]]))
        for a, b in (("train", "validation"), ("train", "test"), ("validation", "test"))
    )
    assert naive_leaks > 0

    result = split_examples(examples, seed=0)
    assert result.leakage == []
    assert result.groups_merged == 20 and result.examples_in_groups == 60
    where = {e.id: name for name, members in result.splits.items() for e in members}
    for c in range(20):
        cluster = examples[3 * c : 3 * c + 3]
        assert len({where[e.id] for e in cluster}) == 1, f"cluster {c} crosses splits"
    # the ratios still hold approximately with groups dealt as units
    assert abs(result.sizes["train"] - 80) <= 3


def test_split_reports_leakage_when_the_threshold_is_looser_than_grouping_allows() -> None:
    # The final check runs on whatever splits it is given; feed it a leaking pair directly.
    from tuneloop.data.split import find_leakage

    a, b = paraphrase_clusters(1)[:2]
    leaks = find_leakage({"train": [a], "test": [b]})
    assert len(leaks) == 1
    assert (leaks[0].left_split, leaks[0].left_id) == ("train", a.id)
    assert (leaks[0].right_split, leaks[0].right_id) == ("test", b.id)
    assert leaks[0].similarity >= 0.8


def test_split_ignores_the_system_prompt_when_matching() -> None:
    example = qa("명동 맛집?", "명동교자를 추천합니다.")
    assert "도우미" not in match_text(example)
    assert "명동 맛집?" in match_text(example)
