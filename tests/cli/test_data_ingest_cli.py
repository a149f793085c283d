"""`tuneloop data ingest` and `tuneloop data formats` end to end."""

from __future__ import annotations

import json

from tuneloop.data.records import Document, Example, read_records
from tuneloop.errors import InvalidRecord

KAKAO = """서울가이드 님과 카카오톡 대화
저장한 날짜 : 2026-05-04 10:12:33

--------------- 2026년 5월 3일 토요일 ---------------
[민지] [오후 3:15] 안녕하세요! 경복궁 몇 시에 열어요?
[서울가이드] [오후 3:16] 경복궁은 보통 오전 9시에 열어요.
화요일은 휴궁일이니 참고하세요.
"""


def make_inputs(root):
    docs = root / "inputs"
    (docs / "docs").mkdir(parents=True)
    (docs / "docs" / "gyeongbokgung.md").write_text(
        "# 경복궁\n\n" + "경복궁은 조선의 법궁입니다. 화요일에 쉽니다. " * 60, encoding="utf-8"
    )
    legacy = "인사동 쌈지길 안내\n전통 찻집이 많다.\n"
    (docs / "docs" / "insadong.txt").write_bytes(legacy.encode("cp949"))
    (docs / "qa.csv").write_text(
        "질문,답변\n"  # 1
        '남산타워 케이블카 요금은?,"왕복 15,000원"\n'  # 2
        "명동 가는 법?,4호선,명동역\n"  # 3: an unquoted comma makes three cells
        '"한복 대여는\n어디서?",안국역 근처\n'  # 4-5
        "빈 답변,\n",  # 6
        encoding="utf-8",
    )
    (docs / "chat.txt").write_text(KAKAO, encoding="utf-8")
    (docs / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    return docs


def test_ingest_writes_records_and_prints_a_summary(invoke, tmp_path):
    inputs = make_inputs(tmp_path)
    out = tmp_path / "out" / "records.jsonl"

    result = invoke("data", "ingest", inputs, "-o", out, "--chunk-size", "500", "--overlap", "50")

    assert result.exit_code == 0, result.output
    records = list(read_records(out))
    docs = [r for r in records if isinstance(r, Document)]
    examples = [r for r in records if isinstance(r, Example)]
    assert len(docs) > 3 and all(len(d.text) <= 500 for d in docs)
    assert any("인사동 쌈지길" in d.text for d in docs)
    assert {e.first("user") for e in examples} == {
        "남산타워 케이블카 요금은?",
        "한복 대여는\n어디서?",
        "안녕하세요! 경복궁 몇 시에 열어요?",
    }
    text = result.stdout
    assert "Read 4 of 5 files" in text
    assert "markdown 1" in text and "kakaotalk 1" in text and "csv 1" in text
    assert f"encoding cp949: {inputs / 'docs' / 'insadong.txt'}" in text
    assert f"{inputs / 'qa.csv'}:3: expected 2 columns, found 3" in text
    assert f"{inputs / 'qa.csv'}:6: empty answer" in text
    assert f"{inputs / 'logo.png'}: no reader for .png" in text


def test_ingest_json_summary(invoke, tmp_path):
    inputs = make_inputs(tmp_path)
    out = tmp_path / "records.jsonl"

    result = invoke("data", "ingest", inputs, "-o", out, "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["output"] == str(out)
    assert summary["files"] == 5 and summary["files_read"] == 4
    assert summary["records"] == len(list(read_records(out)))
    assert summary["examples"] == 3
    assert summary["encodings"] == {str(inputs / "docs" / "insadong.txt"): "cp949"}
    assert [s["where"] for s in summary["skipped"]] == [
        f"{inputs / 'logo.png'}",
        f"{inputs / 'qa.csv'}:3",
        f"{inputs / 'qa.csv'}:6",
    ]


def test_strict_fails_naming_file_and_line_and_writes_nothing(invoke, tmp_path):
    inputs = make_inputs(tmp_path)
    (inputs / "logo.png").unlink()
    out = tmp_path / "records.jsonl"

    result = invoke("data", "ingest", inputs, "-o", out, "--strict")

    assert isinstance(result.exception, InvalidRecord)
    assert f"{inputs / 'qa.csv'}:3" in str(result.exception)
    assert not out.exists()


def test_strict_exit_code_from_the_real_script(run_cli, tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text("question,answer\nWhere is Itaewon?,\n", encoding="utf-8")

    result = run_cli("data", "ingest", path, "-o", tmp_path / "o.jsonl", "--strict")

    assert result.returncode == 4
    assert f"{path}:2" in result.stderr and "empty answer" in result.stderr


def test_more_than_twenty_skips_are_summarised(invoke, tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text("question,answer\n" + "질문만 있음,\n" * 25 + "좋은 질문,좋은 답\n", "utf-8")

    result = invoke("data", "ingest", path, "-o", tmp_path / "o.jsonl")

    assert result.exit_code == 0
    assert f"{path}:21: empty answer" in result.stdout
    assert f"{path}:22:" not in result.stdout
    assert "… and 5 more" in result.stdout


def test_format_assistant_gap_and_encoding_options(invoke, tmp_path):
    chat = tmp_path / "nohdr.txt"
    chat.write_bytes(
        (
            "--------------- 2026년 5월 3일 토요일 ---------------\n"
            "[민지] [오전 9:00] 광장시장 몇 시에 열어요?\n"
            "[가이드] [오전 9:01] 보통 오전 9시에 열어요.\n"
            "[민지] [오전 11:00] 빈대떡 맛집은요?\n"
            "[가이드] [오전 11:02] 박가네 빈대떡이 유명해요.\n"
        ).encode("euc-kr")
    )
    out = tmp_path / "o.jsonl"

    result = invoke(
        "data", "ingest", chat, "-o", out, "--format", "kakaotalk", "--assistant", "가이드",
        "--conversation-gap", "60", "--encoding", "euc-kr", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    examples = list(read_records(out))
    assert [e.first("user") for e in examples] == ["광장시장 몇 시에 열어요?", "빈대떡 맛집은요?"]
    assert json.loads(result.stdout)["formats"] == {"kakaotalk": 1}


def test_max_file_mb_skips_large_files(invoke, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("서울숲 " * 60_000, encoding="utf-8")  # about 0.6 MB

    result = invoke("data", "ingest", big, "-o", tmp_path / "o.jsonl", "--max-file-mb", "0.5")

    assert result.exit_code == 0
    assert "over the 512.0 KB limit (raise it with --max-file-mb)" in result.stdout
    assert list(read_records(tmp_path / "o.jsonl")) == []


def test_the_output_file_inside_an_input_folder_is_not_read_back(invoke, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.txt").write_text("Cheonggyecheon stream walk.", encoding="utf-8")
    out = folder / "records.jsonl"

    first = invoke("data", "ingest", folder, "-o", out, "--json")
    second = invoke("data", "ingest", folder, "-o", out, "--json")

    assert json.loads(first.stdout)["records"] == json.loads(second.stdout)["records"] == 1


def test_a_missing_input_is_an_error(invoke, tmp_path):
    result = invoke("data", "ingest", tmp_path / "nope", "-o", tmp_path / "o.jsonl")

    assert result.exception is not None and "nope" in str(result.exception)
    assert not (tmp_path / "o.jsonl").exists()


def test_formats_lists_the_builtin_readers(invoke):
    listed = invoke("data", "formats", "--json")
    table = invoke("data", "formats")

    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert {"text", "markdown", "html", "pdf", "csv", "jsonl", "kakaotalk"} <= set(rows)
    assert ".csv" in rows["csv"]["suffixes"]
    assert "kakaotalk" in table.stdout and ".pdf" in table.stdout
