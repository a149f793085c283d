"""Scanning and redacting files (``tuneloop safety scan`` / ``redact``): text and record files,
masked output, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.data.pii_files import expand_paths, redact_file, scan_file
from tuneloop.data.records import Document, Example, Source, read_records, write_records
from tuneloop.errors import DataError, InvalidRecord
from tuneloop.safety.pii import PiiScanner


@pytest.fixture(scope="module")
def scanner() -> PiiScanner:
    return PiiScanner.default()


def _records(path: Path) -> Path:
    write_records(
        path,
        [
            Document(
                text="숙소 주소는 서울 마포구 양화로 45입니다.",
                source=Source("docs/a.md", 1),
                title="김민수 님 숙소",
            ),
            Example(
                messages=[
                    {"role": "user", "content": "경복궁 입장료가 얼마예요?"},
                    {"role": "assistant", "content": "3,000원입니다. 문의 010-1234-5678"},
                ],
                source=Source("chats/b.txt", 7),
            ),
        ],
    )
    return path


def test_scan_text_file_reports_lines_and_masks_values(tmp_path: Path, scanner: PiiScanner) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("안녕하세요\n연락처 010-1234-5678\nhong@example.com\n", encoding="utf-8")
    found = list(scan_file(path, scanner))
    assert [(f.line, f.finding.entity) for f in found] == [(2, "PHONE"), (3, "EMAIL")]
    assert found[0].preview == "010-****-****"
    assert "1234" not in found[0].context and "010-****-****" in found[0].context
    assert "hong" not in json.dumps([f.to_dict() for f in found])


def test_scan_record_file_points_at_jsonl_line_and_field(
    tmp_path: Path, scanner: PiiScanner
) -> None:
    path = _records(tmp_path / "data.jsonl")
    found = list(scan_file(path, scanner))
    assert [(f.line, f.field, f.finding.entity) for f in found] == [
        (1, "title", "PERSON"),
        (1, "text", "ADDRESS"),
        (2, "messages[1].content", "PHONE"),
    ]


def test_redact_record_file_stays_a_record_file(tmp_path: Path, scanner: PiiScanner) -> None:
    source = _records(tmp_path / "data.jsonl")
    before = list(read_records(source))
    report = redact_file(source, tmp_path / "out" / "clean.jsonl", scanner)
    after = list(read_records(tmp_path / "out" / "clean.jsonl"))
    assert report.format == "records" and report.units == 2
    assert dict(report.replaced) == {"PERSON": 1, "ADDRESS": 1, "PHONE": 1}
    assert [r.id for r in after] == [r.id for r in before]
    doc, example = after
    assert isinstance(doc, Document) and isinstance(example, Example)
    assert doc.title == "<PERSON> 님 숙소"
    assert doc.text == "숙소 주소는 <ADDRESS>입니다."
    assert example.messages[1]["content"] == "3,000원입니다. 문의 <PHONE>"
    assert example.messages[0]["content"] == "경복궁 입장료가 얼마예요?"


def test_redact_text_file_in_place_keeps_line_endings(tmp_path: Path, scanner: PiiScanner) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes("전화 010-1234-5678\r\n입장료 15,000원\r\n".encode())
    report = redact_file(path, path, scanner, "mask")
    assert path.read_bytes() == "전화 010-****-****\r\n입장료 15,000원\r\n".encode()
    assert report.format == "text" and report.total == 1


def test_plain_jsonl_that_is_not_records_is_scanned_as_text(
    tmp_path: Path, scanner: PiiScanner
) -> None:
    path = tmp_path / "chat.jsonl"
    line = {"messages": [{"role": "user", "content": "제 번호는 010-1234-5678"}]}
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    assert [f.finding.entity for f in scan_file(path, scanner)] == ["PHONE"]


def test_broken_record_file_names_the_line(tmp_path: Path, scanner: PiiScanner) -> None:
    path = _records(tmp_path / "data.jsonl")
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"kind": "document"}\n')
    with pytest.raises(InvalidRecord) as info:
        list(scan_file(path, scanner))
    assert info.value.line == 3


def test_legacy_cp949_text_is_read(tmp_path: Path, scanner: PiiScanner) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("연락처 010-1234-5678".encode("cp949"))
    assert [f.finding.entity for f in scan_file(path, scanner)] == ["PHONE"]


def test_binary_and_missing_files_are_data_errors(tmp_path: Path, scanner: PiiScanner) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\x00\x10JFIF\x00")
    with pytest.raises(DataError, match="binary") as info:
        list(scan_file(binary, scanner))
    assert str(binary) in info.value.message and info.value.hint
    with pytest.raises(DataError, match="no such file"):
        expand_paths([tmp_path / "missing.txt"])


def test_folders_expand_to_their_text_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.jsonl").write_text("x", encoding="utf-8")
    (tmp_path / "sub" / "c.png").write_bytes(b"\x89PNG")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.txt").write_text("x", encoding="utf-8")
    assert [p.name for p in expand_paths([tmp_path])] == ["a.txt", "b.jsonl"]
