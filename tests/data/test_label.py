"""The review CSV: an exact round trip, edits and rejects by id, errors at physical lines."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest

from tuneloop.data.label import COLUMNS, export_label_csv, import_label_csv
from tuneloop.data.records import Document, Example, Source, read_records, write_records
from tuneloop.errors import DataError, InvalidRecord

TRICKY = [
    '경복궁, 창덕궁, 그리고 "덕수궁"을 하루에 볼 수 있나요?',
    "네, 가능합니다.\n아침 9시에 경복궁에서 시작하세요 🏯\r\n점심은 광장시장에서!",
    "  앞뒤 공백이 있는 답  ",
    '=HYPERLINK("http://evil.example", "클릭")',
    "+82 10-1234-5678로 문의하세요",
    "-5도까지 내려갑니다",
    "@seoul_travel 계정을 보세요",
    "'따옴표로 시작하는 답",
    "\t탭으로 시작",
]


def qa(q: str, a: str, *, system: str | None = None, line: int = 1, tags=("palace",)) -> Example:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    return Example(
        messages, Source("docs/palace.md", line), tags=list(tags), meta={"generator": "rules:kv"}
    )


def records() -> list:
    items: list = [
        qa(TRICKY[0], TRICKY[1], system="당신은 서울 안내사입니다.", tags=("궁궐", "하루 코스"))
    ]
    items += [qa(q, a, line=i + 2) for i, (q, a) in enumerate(itertools.pairwise(TRICKY[2:]))]
    items.append(
        Example(
            [
                {"role": "user", "content": "명동에서 남산 가는 법?"},
                {"role": "assistant", "content": "케이블카를 타세요.", "weight": 1},
                {"role": "user", "content": "얼마예요?"},
                {"role": "assistant", "content": "=왕복 15,000원입니다."},
            ],
            Source("chats/kakao.txt", 12),
            tags=["chat"],
        )
    )
    items.append(
        Document(
            '# 경복궁\n\n- 휴무일: 매주 화요일, "설날" 제외\n',
            Source("docs/palace.md", 1),
            title="경복궁",
        )
    )
    items.append(qa("이미 검토된 질문?", "이미 검토된 답.", line=30))
    items[-1].meta["label"] = {"status": "accept", "notes": "1차 검토 완료"}
    return items


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    write_records(path, records())
    return path


def export(record_file: Path, tmp_path: Path) -> Path:
    csv_path = tmp_path / "review.csv"
    export_label_csv(list(read_records(record_file)), csv_path)
    return csv_path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def reimport(csv_path: Path, record_file: Path, out: Path, **kw):
    result = import_label_csv(csv_path, list(read_records(record_file)), **kw)
    write_records(out, result.records)
    return result


def test_export_then_import_without_edits_is_byte_identical(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    out = tmp_path / "back.jsonl"
    result = reimport(csv_path, record_file, out)
    assert out.read_bytes() == record_file.read_bytes()
    assert result.changes == []
    assert result.unchanged == len(records()) - 1 and result.accepted == 1


def test_csv_is_utf8_with_bom_and_neutralizes_formula_cells(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "경복궁".encode() in raw
    rows = read_rows(csv_path)
    cells = [v for row in rows for v in row.values()]
    assert all(not c.startswith(("=", "+", "-", "@", "\t")) for c in cells)
    assert "'=HYPERLINK" in "".join(cells)
    assert "''따옴표로 시작하는 답" in cells  # an apostrophe of its own gets one more
    assert rows[0]["question"] == TRICKY[0]
    assert rows[0]["answer"] == TRICKY[1]  # newlines inside a quoted cell


def test_rows_have_a_kind_and_their_own_columns(record_file, tmp_path):
    rows: dict[str, dict[str, str]] = {}
    for row in read_rows(export(record_file, tmp_path)):
        rows.setdefault(row["kind"], row)
    assert rows["qa"]["system"] == "당신은 서울 안내사입니다."
    assert rows["qa"]["tags"] == "궁궐, 하루 코스"
    assert rows["qa"]["messages_json"] == ""
    conversation = rows["conversation"]
    assert conversation["question"] == conversation["answer"] == ""
    assert json.loads(conversation["messages_json"].removeprefix("'"))[1]["weight"] == 1
    assert rows["document"]["text"].startswith("# 경복궁")
    assert rows["document"]["source"] == "docs/palace.md:1"


def test_a_previous_label_is_filled_in_for_the_next_round(record_file, tmp_path):
    last = read_rows(export(record_file, tmp_path))[-1]
    assert (last["status"], last["notes"]) == ("accept", "1차 검토 완료")


def test_edits_are_applied_by_id_and_keep_the_id(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    rows[0].update(
        answer="경복궁은 매주 화요일에 쉽니다.",
        tags="궁궐",
        system="",
        status="edit",
        notes="답을 짧게",
    )
    rows[1]["status"] = "Accept "
    document = next(r for r in rows if r["kind"] == "document")
    document["text"] = "# 경복궁\n휴무일: 화요일"
    write_rows(csv_path, list(reversed(rows)))  # order in the CSV does not matter
    result = reimport(csv_path, record_file, tmp_path / "out.jsonl")
    original = records()
    assert [r.id for r in result.records] == [r.id for r in original]
    first = result.records[0]
    assert first.messages == [
        {"role": "user", "content": TRICKY[0]},
        {"role": "assistant", "content": "경복궁은 매주 화요일에 쉽니다."},
    ]
    assert first.tags == ["궁궐"]
    assert first.meta["label"] == {
        "status": "edit",
        "notes": "답을 짧게",
        "edited": ["answer", "tags", "system"],
    }
    assert first.meta["generator"] == "rules:kv"
    assert result.records[1].meta["label"] == {"status": "accept", "notes": ""}
    edited_doc = next(r for r in result.records if isinstance(r, Document))
    assert edited_doc.text == "# 경복궁\n휴무일: 화요일" and edited_doc.title == "경복궁"
    assert (result.edited, result.accepted, result.rejected) == (2, 2, 0)
    assert {c.id for c in result.changes} == {original[0].id, original[1].id, edited_doc.id}


def test_an_edit_without_a_status_is_still_applied_and_marked(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    rows[2]["question"] = "공백 없는 질문"
    write_rows(csv_path, rows)
    result = reimport(csv_path, record_file, tmp_path / "out.jsonl")
    assert result.records[2].first("user") == "공백 없는 질문"
    assert result.records[2].meta["label"]["status"] == "edit"


def test_editing_messages_json_edits_a_conversation(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    row = next(r for r in rows if r["kind"] == "conversation")
    messages = json.loads(row["messages_json"].removeprefix("'"))
    messages[-1]["content"] = "왕복 15,000원입니다."
    row["messages_json"] = json.dumps(messages, ensure_ascii=False)
    write_rows(csv_path, rows)
    result = reimport(csv_path, record_file, tmp_path / "out.jsonl")
    conversation = next(r for r in result.records if r.id == row["id"])
    assert conversation.messages[-1] == {"role": "assistant", "content": "왕복 15,000원입니다."}
    assert conversation.messages[1]["weight"] == 1


def test_rejected_rows_are_dropped_or_kept_marked(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    rows[3].update(status="reject", notes="사실 확인 불가")
    write_rows(csv_path, rows)
    dropped = reimport(csv_path, record_file, tmp_path / "a.jsonl")
    assert rows[3]["id"] not in {r.id for r in dropped.records}
    assert len(dropped.records) == len(rows) - 1 and dropped.rejected == 1
    kept = reimport(csv_path, record_file, tmp_path / "b.jsonl", keep_rejected=True)
    marked = next(r for r in kept.records if r.id == rows[3]["id"])
    assert marked.meta["label"] == {"status": "reject", "notes": "사실 확인 불가"}


def test_missing_ids_are_an_error_unless_allowed(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    write_rows(csv_path, rows[1:])
    with pytest.raises(InvalidRecord, match="1 record") as info:
        reimport(csv_path, record_file, tmp_path / "out.jsonl")
    assert "--allow-missing" in (info.value.hint or "")
    result = reimport(csv_path, record_file, tmp_path / "out.jsonl", allow_missing=True)
    assert result.missing == 1
    assert (tmp_path / "out.jsonl").read_bytes() == record_file.read_bytes()


def physical_line(path: Path, needle: str, *, last: bool = False) -> int:
    """1-based line where ``needle`` occurs (CRLF, CR and LF each end one line)."""
    text = path.read_text(encoding="utf-8-sig")
    return text[: text.rindex(needle) if last else text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "0000deadbeef0000"}, "not in the record file"),
        ({"status": "maybe"}, "status 'maybe'"),
        ({"messages_json": '[{"role": "user"'}, "not valid JSON"),
        ({"kind": "qa"}, "does not match"),
    ],
)
def test_bad_rows_name_the_csv_file_and_physical_line(record_file, tmp_path, change, message):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    target = next(i for i, r in enumerate(rows) if r["kind"] == "conversation")
    rows[target].update(change)
    write_rows(csv_path, rows)
    with pytest.raises(InvalidRecord, match=message) as info:
        reimport(csv_path, record_file, tmp_path / "out.jsonl")
    # the row starts on the line of its id, several physical lines after the rows above
    row_start = physical_line(csv_path, f"{rows[target]['id']},")
    assert info.value.path == csv_path
    assert info.value.line == row_start
    assert row_start > target + 2  # earlier rows span several lines each
    assert str(csv_path) in str(info.value) and info.value.hint


def test_a_duplicated_row_names_both_lines(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    write_rows(csv_path, [*rows, rows[0]])
    with pytest.raises(InvalidRecord, match="first on line 2") as info:
        reimport(csv_path, record_file, tmp_path / "out.jsonl")
    assert info.value.line == physical_line(csv_path, rows[0]["id"], last=True) > 2


def test_text_in_a_cell_of_another_kind_is_refused(record_file, tmp_path):
    csv_path = export(record_file, tmp_path)
    rows = read_rows(csv_path)
    next(r for r in rows if r["kind"] == "document")["question"] = "문서에 질문?"
    write_rows(csv_path, rows)
    with pytest.raises(InvalidRecord, match="document row has text in question"):
        reimport(csv_path, record_file, tmp_path / "out.jsonl")


def test_a_csv_saved_by_korean_excel_in_cp949_is_read(tmp_path):
    records_path = tmp_path / "r.jsonl"
    write_records(records_path, [qa("경복궁 휴무일은?", "화요일입니다.")])
    csv_path = tmp_path / "review.csv"
    export_label_csv(list(read_records(records_path)), csv_path)
    text = csv_path.read_text(encoding="utf-8-sig").replace("화요일입니다.", "매주 화요일입니다.")
    csv_path.write_bytes(text.encode("cp949"))
    result = import_label_csv(csv_path, list(read_records(records_path)))
    assert result.records[0].first("assistant") == "매주 화요일입니다."


def test_duplicate_record_ids_cannot_be_exported(tmp_path):
    same = qa("질문?", "답.")
    with pytest.raises(DataError, match="share the id"):
        export_label_csv([same, same], tmp_path / "x.csv")


def test_a_header_without_our_columns_is_refused(record_file, tmp_path):
    csv_path = tmp_path / "other.csv"
    csv_path.write_text("question,answer\n질문,답\n", encoding="utf-8")
    with pytest.raises(InvalidRecord, match="lacks the column") as info:
        import_label_csv(csv_path, list(read_records(record_file)))
    assert info.value.line == 1
