"""``tuneloop safety scan`` and ``redact``: exit codes, masked output, reports, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from tuneloop.data.records import Document, Example, Source, read_records, write_records
from tuneloop.errors import DataError, InvalidRequest

CLEAN = "경복궁 입장료는 3,000원이고 09:00-18:00에 운영합니다.\n7016번 버스를 타세요.\n"
DIRTY = "예약자 김민수 님\n연락처 010-1234-5678, 주민번호 900101-1234568\n입장료 15,000원\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_scan_exits_0_on_clean_files(invoke, tmp_path: Path) -> None:
    result = invoke("safety", "scan", _write(tmp_path / "clean.txt", CLEAN))
    assert result.exit_code == 0, result.output
    assert "No personal information" in result.output


def test_scan_exits_1_and_never_prints_raw_values(invoke, tmp_path: Path) -> None:
    path = _write(tmp_path / "dirty.txt", DIRTY)
    result = invoke("safety", "scan", path)
    assert result.exit_code == 1
    assert "dirty.txt:2" in result.output and "KR_RRN" in result.output
    for raw in ("김민수", "1234-5678", "900101"):
        assert raw not in result.output


def test_scan_json_lists_findings_with_masked_previews(invoke, tmp_path: Path) -> None:
    path = _write(tmp_path / "dirty.txt", DIRTY)
    result = invoke("safety", "scan", path, _write(tmp_path / "clean.txt", CLEAN), "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["files"] == 2
    assert data["by_entity"] == {"KR_RRN": 1, "PERSON": 1, "PHONE": 1}
    phone = next(f for f in data["findings"] if f["entity"] == "PHONE")
    assert (phone["line"], phone["preview"], phone["recognizer"]) == (2, "010-****-****", "phone")
    assert "5678" not in result.output


def test_scan_entity_and_min_score_filters(invoke, tmp_path: Path) -> None:
    path = _write(tmp_path / "dirty.txt", DIRTY)
    only_phone = json.loads(invoke("safety", "scan", path, "--entity", "phone", "--json").output)
    assert only_phone["by_entity"] == {"PHONE": 1}
    strict = json.loads(invoke("safety", "scan", path, "--min-score", "0.95", "--json").output)
    assert strict["by_entity"] == {"KR_RRN": 1}  # checksum and 주민번호 cue: the surest one


def test_scan_folder_and_record_files(invoke, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    write_records(
        folder / "records.jsonl",
        [Example(messages=[{"role": "user", "content": "메일은 hong@example.com"}])],
    )
    _write(folder / "clean.md", CLEAN)
    result = invoke("safety", "scan", folder, "--json")
    assert result.exit_code == 1
    (finding,) = json.loads(result.output)["findings"]
    assert finding["field"] == "messages[0].content" and finding["line"] == 1


def test_redact_writes_a_copy_and_reports_counts(invoke, tmp_path: Path) -> None:
    source = _write(tmp_path / "dirty.txt", DIRTY)
    target = tmp_path / "clean.txt"
    result = invoke("safety", "redact", source, "-o", target)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == (
        "예약자 <PERSON> 님\n연락처 <PHONE>, 주민번호 <KR_RRN>\n입장료 15,000원\n"
    )
    assert source.read_text(encoding="utf-8") == DIRTY
    assert "3 value(s) replaced" in result.output
    assert invoke("safety", "scan", target).exit_code == 0


def test_redact_record_file_in_hash_mode_with_json_report(invoke, tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    write_records(
        source,
        [Document(text="문의 010-1234-5678 또는 010-1234-5678", source=Source("a.md", 1))],
    )
    target = tmp_path / "out.jsonl"
    result = invoke(
        "safety",
        "redact",
        source,
        "--output",
        target,
        "--mode",
        "hash",
        "--salt",
        "pepper",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "records" and report["replaced"] == {"PHONE": 2}
    (doc,) = read_records(target)
    assert isinstance(doc, Document)
    tokens = doc.text.split()[1::2]
    assert tokens[0] == tokens[1] and tokens[0].startswith("<PHONE:")


def test_redact_entity_option_limits_what_is_replaced(invoke, tmp_path: Path) -> None:
    source = _write(tmp_path / "dirty.txt", DIRTY)
    target = tmp_path / "out.txt"
    result = invoke("safety", "redact", source, "-o", target, "--entity", "KR_RRN,PHONE")
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "김민수" in text and "<PHONE>" in text and "<KR_RRN>" in text


def test_bad_inputs_are_tuneloop_errors(invoke, tmp_path: Path) -> None:
    missing = invoke("safety", "scan", tmp_path / "nope.txt")
    assert isinstance(missing.exception, DataError) and "nope.txt" in str(missing.exception)

    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = invoke("safety", "redact", binary, "-o", tmp_path / "out.png")
    assert isinstance(result.exception, DataError) and "binary" in str(result.exception)
    assert not (tmp_path / "out.png").exists()

    source = _write(tmp_path / "dirty.txt", DIRTY)
    bad_mode = invoke("safety", "redact", source, "-o", tmp_path / "x.txt", "--mode", "shred")
    assert isinstance(bad_mode.exception, InvalidRequest)
    assert "placeholder" in (bad_mode.exception.hint or "")

    bad_entity = invoke("safety", "scan", source, "--entity", "SHOE_SIZE")
    assert isinstance(bad_entity.exception, InvalidRequest)


def test_real_script_exit_codes(run_cli, tmp_path: Path) -> None:
    dirty = run_cli("safety", "scan", _write(tmp_path / "dirty.txt", DIRTY))
    assert dirty.returncode == 1 and "010-****-****" in dirty.stdout
    missing = run_cli("safety", "scan", tmp_path / "missing.txt")
    assert missing.returncode == DataError.exit_code
    assert "missing.txt" in missing.stderr and "Fix:" in missing.stderr
