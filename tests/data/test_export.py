"""Export: OpenAI JSONL the API accepts byte for byte, CSV for Excel, Parquet and HF datasets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tuneloop.data.export import export_examples, format_for_path, single_turn
from tuneloop.data.records import Example, Source
from tuneloop.data.validate import validate_file
from tuneloop.errors import DataError

SINGLE = Example(
    messages=[
        {"role": "system", "content": "당신은 서울 여행 도우미입니다."},
        {"role": "user", "content": "경복궁은 언제 쉬나요?"},
        {
            "role": "assistant",
            "content": "경복궁은 매주 화요일에 쉽니다.\n관람 시간은 09:00–18:00입니다.",
        },
    ],
    tags=["palace", "hours"],
    source=Source("docs/gyeongbokgung.md", 12),
    meta={"grounding": 0.93, "generator": "rules"},
)
MULTI = Example(
    messages=[
        {"role": "developer", "content": "Answer briefly."},
        {"role": "user", "content": "How do I get to N Seoul Tower?"},
        {"role": "assistant", "content": "Take the cable car.", "weight": 0},
        {"role": "user", "content": "그리고 입장료는요?"},
        {"role": "assistant", "content": "전망대는 26,000원입니다.", "weight": 1},
    ],
    tags=[],
    source=None,
    meta={"label": "ok"},
)
NO_SYSTEM = Example(
    messages=[
        {"role": "user", "content": "Line\u2028separator?"},
        {"role": "assistant", "content": 'Yes, "quoted" and  spaced  '},
    ],
    tags=["misc"],
    source=Source("chat.txt", 3),
)
EXAMPLES = [SINGLE, MULTI, NO_SYSTEM]


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_openai_export_is_plain_utf8_jsonl_with_only_api_keys(tmp_path: Path) -> None:
    path = export_examples(EXAMPLES, tmp_path / "train.jsonl", "openai")
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data and data.endswith(b"\n")
    lines = data.decode("utf-8").split("\n")[:-1]
    assert len(lines) == 3
    assert all(line == line.rstrip() for line in lines)
    assert "경복궁" in lines[0]  # not \uXXXX-escaped
    assert "\u2028" not in data.decode("utf-8")  # escaped, so no splitter breaks the line
    assert len(data.decode("utf-8").splitlines()) == 3
    parsed = [json.loads(line) for line in lines]
    assert all(set(obj) == {"messages"} for obj in parsed)
    assert parsed[0]["messages"] == SINGLE.messages
    assert parsed[1]["messages"][0] == {"role": "system", "content": "Answer briefly."}
    assert parsed[1]["messages"][2]["weight"] == 0
    assert parsed[2]["messages"][0]["content"] == "Line\u2028separator?"
    assert "grounding" not in data.decode() and "palace" not in data.decode()


def test_openai_export_passes_validation_with_zero_errors(tmp_path: Path) -> None:
    path = export_examples(EXAMPLES, tmp_path / "train.jsonl", "openai")
    report = validate_file(path)
    assert report.errors == []
    assert report.format == "openai"
    assert report.stats is not None and report.stats.n_examples == 3


def test_openai_export_refuses_an_example_the_api_would_reject(tmp_path: Path) -> None:
    bad = Example(messages=[{"role": "user", "content": "질문만"}], source=Source("q.md", 4))
    with pytest.raises(DataError, match=f"example {bad.id} \\(from q.md:4\\).*assistant"):
        export_examples([SINGLE, bad], tmp_path / "train.jsonl", "openai")
    assert not (tmp_path / "train.jsonl").exists()


def test_csv_export_round_trips_through_the_csv_module(tmp_path: Path) -> None:
    path = export_examples(EXAMPLES, tmp_path / "examples.csv", "csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # utf-8-sig: Excel shows Hangul
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "question", "answer", "system", "tags", "source", "messages"]
    first, second, third = rows
    assert first["id"] == SINGLE.id
    assert first["question"] == "경복궁은 언제 쉬나요?"
    assert first["answer"] == SINGLE.messages[2]["content"]  # newline kept inside the cell
    assert first["system"] == "당신은 서울 여행 도우미입니다."
    assert first["tags"].split("|") == ["palace", "hours"]
    assert first["source"] == "docs/gyeongbokgung.md:12"
    assert first["messages"] == ""
    assert second["question"] == "" and json.loads(second["messages"]) == MULTI.messages
    assert second["tags"] == "" and second["source"] == ""
    assert third["system"] == "" and third["answer"] == 'Yes, "quoted" and  spaced  '


def test_single_turn_only_for_plain_question_answer_pairs() -> None:
    assert single_turn(SINGLE) == (
        SINGLE.messages[1]["content"],
        SINGLE.messages[2]["content"],
        SINGLE.messages[0]["content"],
    )
    assert single_turn(MULTI) is None
    weighted = Example(
        messages=[
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a", "weight": 1},
        ]
    )
    assert single_turn(weighted) is None


def test_parquet_export_reads_back_with_typed_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = export_examples(EXAMPLES, tmp_path / "examples.parquet", "parquet")
    table = pq.read_table(path)
    assert table.schema.field("messages").type == pa.list_(
        pa.struct([("role", pa.string()), ("content", pa.string())])
    )
    assert table.schema.field("tags").type == pa.list_(pa.string())
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [e.id for e in EXAMPLES]
    assert rows[0]["messages"] == SINGLE.messages
    assert rows[1]["messages"][4] == {"role": "assistant", "content": "전망대는 26,000원입니다."}
    assert rows[0]["tags"] == ["palace", "hours"] and rows[1]["tags"] == []
    assert rows[0]["source"] == "docs/gyeongbokgung.md:12" and rows[1]["source"] is None
    assert no_temp_files(tmp_path)


def test_hf_export_saves_a_dataset_folder_and_replaces_an_old_one(tmp_path: Path) -> None:
    from datasets import load_from_disk

    target = tmp_path / "seoul-ds"
    export_examples(EXAMPLES, target, "hf")
    dataset = load_from_disk(str(target))
    assert dataset.num_rows == 3
    assert dataset[0]["messages"] == SINGLE.messages
    assert dataset[2]["tags"] == ["misc"]
    export_examples([SINGLE], target, "hf")
    assert load_from_disk(str(target)).num_rows == 1
    assert no_temp_files(tmp_path)


def test_hf_export_refuses_to_replace_a_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("not a dataset", encoding="utf-8")
    with pytest.raises(DataError, match="not a folder"):
        export_examples([SINGLE], target, "hf")
    assert target.read_text(encoding="utf-8") == "not a dataset"
    assert no_temp_files(tmp_path)


def test_export_overwrites_atomically_and_rejects_unknown_formats(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    export_examples(EXAMPLES, path, "openai")
    export_examples([SINGLE], path, "openai")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1
    assert no_temp_files(tmp_path)
    with pytest.raises(DataError, match="Unknown export format"):
        export_examples([SINGLE], tmp_path / "x.txt", "xml")  # type: ignore[arg-type]


def test_format_for_path_infers_from_the_suffix() -> None:
    assert format_for_path(Path("a.jsonl")) == "openai"
    assert format_for_path(Path("a.CSV")) == "csv"
    assert format_for_path(Path("a.parquet")) == "parquet"
    assert format_for_path(Path("folder")) is None
