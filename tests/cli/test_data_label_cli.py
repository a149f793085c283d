"""`tuneloop data label export|import` end to end."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tuneloop.data.records import Example, Source, read_records, write_records
from tuneloop.errors import InvalidRecord


def pair(q: str, a: str, line: int) -> Example:
    return Example(
        [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
        Source("docs/palace.md", line),
        tags=["경복궁"],
    )


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    write_records(
        path,
        [
            pair("경복궁의 휴무일은 언제인가요?", "경복궁의 휴무일은 매주 화요일입니다.", 6),
            pair("경복궁 입장료는?", '=3,000원, "성인" 기준\n어린이 1,500원', 7),
            pair("경복궁은 몇 시에 여나요?", "매일 07:00에 엽니다.", 8),
        ],
    )
    return path


def edit_csv(path: Path, edit) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    edit(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def test_export_and_import_without_edits_reproduce_the_file(invoke, qa_file, tmp_path):
    review = tmp_path / "review.csv"
    result = invoke("data", "label", "export", qa_file, "-o", review, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 3
    back = tmp_path / "back.jsonl"
    result = invoke("data", "label", "import", review, "--records", qa_file, "--output", back)
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.stdout
    assert back.read_bytes() == qa_file.read_bytes()


def test_import_applies_accepts_edits_and_rejects(invoke, qa_file, tmp_path):
    review = tmp_path / "review.csv"
    assert invoke("data", "label", "export", qa_file, "-o", review).exit_code == 0

    def review_rows(rows):
        rows[0]["status"] = "accept"
        rows[1].update(status="edit", answer="경복궁 입장료는 성인 3,000원입니다.")
        rows[2].update(status="reject", notes="원문에 없는 시간")

    edit_csv(review, review_rows)
    out = tmp_path / "reviewed.jsonl"
    result = invoke("data", "label", "import", review, "--records", qa_file, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["edited"], summary["rejected"]) == (1, 1, 1)
    assert [c["fields"] for c in summary["changes"]] == [[], ["answer"], []]
    reviewed = list(read_records(out))
    assert len(reviewed) == 2
    assert reviewed[1].first("assistant") == "경복궁 입장료는 성인 3,000원입니다."

    kept = tmp_path / "kept.jsonl"
    args = ["data", "label", "import", review, "--records", qa_file, "-o", kept]
    assert invoke(*args, "--keep-rejected").exit_code == 0
    last = list(read_records(kept))[-1]
    assert last.meta["label"] == {"status": "reject", "notes": "원문에 없는 시간"}


def test_allow_missing_keeps_records_without_rows(invoke, run_cli, qa_file, tmp_path):
    review = tmp_path / "review.csv"
    assert invoke("data", "label", "export", qa_file, "-o", review).exit_code == 0
    edit_csv(review, lambda rows: rows.pop(0))
    out = tmp_path / "out.jsonl"
    refused = run_cli("data", "label", "import", review, "--records", qa_file, "-o", out)
    assert refused.returncode == 4  # DataError's exit code, from the real script
    assert "1 record(s) have no row" in refused.stderr and "--allow-missing" in refused.stderr
    assert not out.exists()
    allowed = invoke(
        "data", "label", "import", review, "--records", qa_file, "-o", out, "--allow-missing"
    )
    assert allowed.exit_code == 0, allowed.output
    assert out.read_bytes() == qa_file.read_bytes()


def test_unknown_id_error_names_the_csv_line(invoke, qa_file, tmp_path):
    review = tmp_path / "review.csv"
    assert invoke("data", "label", "export", qa_file, "-o", review).exit_code == 0
    edit_csv(review, lambda rows: rows[2].update(id="ffffffffffffffff"))
    result = invoke("data", "label", "import", review, "--records", qa_file, "-o", tmp_path / "o")
    assert isinstance(result.exception, InvalidRecord)
    # header, row 1, row 2 spanning two lines (a newline in its answer), then row 3
    assert result.exception.line == 5
    assert f"{review}:5" in str(result.exception)
