"""``tuneloop data split``: record files per split, counts per tag, and the leakage check."""

from __future__ import annotations

import json
from pathlib import Path

from tuneloop.data.records import Document, Example, Source, read_records, write_records

PLACES = ["경복궁", "창덕궁", "남산타워", "광장시장", "북촌한옥마을", "명동", "인사동", "홍대"]


def examples(n: int) -> list[Example]:
    out = []
    for i in range(n):
        place = PLACES[i % len(PLACES)]
        tag = "palace" if "궁" in place else "city"
        out.append(
            Example(
                messages=[
                    {"role": "user", "content": f"{place} 추천 코스 {i}번 알려주세요"},
                    {
                        "role": "assistant",
                        "content": f"{place}에서 {i * 7}분 걷는 코스를 추천해요.",
                    },
                ],
                tags=[tag],
                source=Source("qa.jsonl", i + 1),
            )
        )
    return out


def test_split_writes_one_record_file_per_split(invoke, tmp_path: Path) -> None:
    source = tmp_path / "clean.jsonl"
    write_records(source, [*examples(40), Document(text="문서", source=Source("a.md"))])
    out_dir = tmp_path / "splits"
    result = invoke("data", "split", source, "--out-dir", out_dir, "--seed", "3")
    assert result.exit_code == 0, result.output
    sizes = {
        name: len(list(read_records(out_dir / f"{name}.jsonl")))
        for name in ("train", "validation", "test")
    }
    assert sum(sizes.values()) == 40
    assert sizes["train"] > sizes["validation"] > 0 and sizes["test"] > 0
    assert "palace" in result.stdout and "Leakage check passed" in result.stdout


def test_split_json_reports_counts_ratios_and_leakage(invoke, tmp_path: Path) -> None:
    source = tmp_path / "clean.jsonl"
    twin = examples(1)[0]
    copy = Example(messages=twin.messages, tags=twin.tags, source=Source("qa.jsonl", 99))
    write_records(source, [*examples(30), copy])
    result = invoke(
        "data",
        "split",
        source,
        "--out-dir",
        tmp_path / "o",
        "--ratios",
        "train=0.5,test=0.5",
        "--stratify",
        "none",
        "--leakage-threshold",
        "0.9",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ratios"] == {"train": 0.5, "test": 0.5}
    assert data["stratify"] == "none" and data["leakage_threshold"] == 0.9
    assert sum(data["sizes"].values()) == 31
    assert data["groups_merged"] >= 1 and data["leakage"] == []
    assert set(data["files"]) == {"train", "test"}
    assert not (tmp_path / "o" / "validation.jsonl").exists()


def test_split_is_reproducible_with_the_same_seed(invoke, tmp_path: Path) -> None:
    source = tmp_path / "clean.jsonl"
    write_records(source, examples(40))
    for name in ("a", "b"):
        invoke("data", "split", source, "--out-dir", tmp_path / name, "--seed", "11")
    for split in ("train", "validation", "test"):
        a = (tmp_path / "a" / f"{split}.jsonl").read_bytes()
        assert a == (tmp_path / "b" / f"{split}.jsonl").read_bytes()


def test_split_rejects_ratios_that_do_not_sum_to_one(invoke, tmp_path: Path) -> None:
    source = tmp_path / "clean.jsonl"
    write_records(source, examples(5))
    result = invoke(
        "data", "split", source, "--out-dir", tmp_path / "o", "--ratios", "train=0.9,test=0.2"
    )
    assert result.exit_code != 0
    assert "sum to 1" in str(result.exception)
    assert not (tmp_path / "o").exists()
