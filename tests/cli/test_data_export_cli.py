"""``tuneloop data export``: format from the suffix or --format, documents skipped or --strict."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tuneloop.data.records import Document, Example, Source, write_records
from tuneloop.data.validate import validate_file

EXAMPLE = Example(
    messages=[
        {"role": "system", "content": "서울 여행 도우미"},
        {"role": "user", "content": "광장시장에서 뭘 먹어야 해요?"},
        {"role": "assistant", "content": "빈대떡과 마약김밥을 드셔 보세요."},
    ],
    tags=["food"],
    source=Source("docs/market.md", 4),
    meta={"grounding": 0.9},
)


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "clean.jsonl"
    write_records(path, [EXAMPLE, Document(text="광장시장 안내", source=Source("docs/market.md"))])
    return path


def test_export_infers_openai_from_jsonl_and_skips_documents(invoke, records, tmp_path) -> None:
    out = tmp_path / "train.jsonl"
    result = invoke("data", "export", records, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "openai" and data["examples"] == 1
    assert len(data["skipped"]) == 1 and "docs/market.md" in data["skipped"][0]
    assert json.loads(out.read_text(encoding="utf-8")) == {"messages": EXAMPLE.messages}
    assert validate_file(out).errors == []


def test_export_strict_fails_on_documents(invoke, records, tmp_path) -> None:
    result = invoke("data", "export", records, "-o", tmp_path / "train.jsonl", "--strict")
    assert result.exit_code != 0
    assert "document" in str(result.exception)
    assert not (tmp_path / "train.jsonl").exists()


def test_export_csv_by_suffix_and_hf_by_format(invoke, records, tmp_path) -> None:
    out = tmp_path / "review.csv"
    result = invoke("data", "export", records, "--output", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["question"] == "광장시장에서 뭘 먹어야 해요?" and rows[0]["tags"] == "food"

    folder = tmp_path / "hf-dataset"
    result = invoke("data", "export", records, "-o", folder, "--format", "hf")
    assert result.exit_code == 0, result.output
    from datasets import load_from_disk

    assert load_from_disk(str(folder))[0]["messages"] == EXAMPLE.messages


def test_export_without_a_known_suffix_asks_for_format(invoke, records, tmp_path) -> None:
    result = invoke("data", "export", records, "-o", tmp_path / "dataset")
    assert result.exit_code != 0
    assert "--format" in str(result.exception)
