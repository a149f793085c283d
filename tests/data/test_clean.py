"""Cleaning: each rule removes or changes what it should, says so in the report, and keeps the rest
in order."""

from __future__ import annotations

import unicodedata

import pytest

from tuneloop.data.clean import CleanOptions, clean_records
from tuneloop.data.records import Document, Example, Source
from tuneloop.errors import DataError

QUALITY_ONLY = CleanOptions(pii="keep", dedupe=False)


def qa(question: str, answer: str, line: int = 1) -> Example:
    return Example(
        messages=[{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
        source=Source("qa.csv", line),
    )


def rules(report):
    return {change.rule for change in report.changes}


def test_good_records_pass_unchanged_in_order():
    records = [
        qa("경복궁은 언제 쉬나요?", "경복궁은 매주 화요일에 쉽니다.", 2),
        Document("# 명동\n명동은 쇼핑 거리입니다.", Source("docs/myeongdong.md", 1)),
        qa("When does Gyeongbokgung open?", "It opens at 9 a.m.", 3),
    ]

    kept, report = clean_records(records, QUALITY_ONLY)

    assert kept == records
    assert report.changes == []
    assert (report.n_in, report.n_out) == (3, 3)


def test_normalisation_changes_text_but_keeps_the_id():
    record = qa(unicodedata.normalize("NFD", "광장시장 빈대떡"), "  광장시장의  명물입니다. ")

    [kept], report = clean_records([record], QUALITY_ONLY)

    assert kept.id == record.id
    assert kept.first("user") == "광장시장 빈대떡"
    assert kept.first("assistant") == "광장시장의 명물입니다."
    assert rules(report) == {"normalize.nfc", "normalize.whitespace"}
    assert all(c.action == "changed" and c.source == "qa.csv:1" for c in report.changes)


@pytest.mark.parametrize(
    ("record", "rule"),
    [
        (qa("남산타워 입장료는?", ""), "quality.empty"),
        (qa("남산타워 입장료는?", "네"), "quality.too_short"),
        (Example(messages=[{"role": "user", "content": "안녕하세요"}]), "quality.structure"),
        (qa("Hours?", "Опера открыта до 10 вечера каждый день."), "quality.language"),
        (qa("추천해 주세요", "서울 서울 서울 " * 20), "quality.repetition"),
        (Document("   ", Source("docs/empty.md")), "quality.empty"),
        (qa("긴 글", "가" * 9000), "quality.too_long"),
    ],
)
def test_each_quality_rule_removes_its_case_and_reports_why(record, rule):
    kept, report = clean_records([record, qa("인사동은 어디?", "종로구에 있습니다.")], QUALITY_ONLY)

    assert [r.id for r in kept] == [qa("인사동은 어디?", "종로구에 있습니다.").id]
    [change] = [c for c in report.changes if c.action == "removed"]
    assert change.rule == rule
    assert change.record_id == record.id
    assert change.detail


def test_thresholds_are_options():
    short = qa("남산타워 입장료는?", "네")
    kept, _ = clean_records([short], CleanOptions(pii="keep", dedupe=False, min_answer_chars=1))
    assert kept == [short]
    russian = qa("Hours?", "Опера открыта до 10 вечера каждый день.")
    kept, _ = clean_records(
        [russian], CleanOptions(pii="keep", dedupe=False, languages=("ko", "en", "other"))
    )
    assert kept == [russian]


def test_bad_options_are_rejected_with_a_hint():
    with pytest.raises(DataError, match="threshold"):
        CleanOptions(near_threshold=1.5)
    with pytest.raises(DataError, match="language"):
        CleanOptions(languages=("ko", "fr"))


def test_report_counts_by_rule_and_serialises():
    records = [qa("a?", ""), qa("b?", ""), qa("인사동?", "종로구에 있어요.")]
    _, report = clean_records(records, QUALITY_ONLY)

    assert report.by_rule() == {"quality.empty": {"removed": 2, "changed": 0}}
    data = report.to_dict()
    assert data["removed"] == 2 and len(data["changes"]) == 2


def test_pii_is_redacted_and_reported_per_entity():
    record = qa("예약 확인해 주세요", "예약자 연락처 010-1234-5678 로 문자 드렸습니다.")

    [kept], report = clean_records([record], CleanOptions(dedupe=False))

    assert "010-1234-5678" not in kept.first("assistant")
    assert "<PHONE>" in kept.first("assistant")
    assert kept.meta["pii_redacted"] == {"PHONE": 1}
    assert report.by_rule() == {"pii.PHONE": {"removed": 0, "changed": 1}}
    assert "pii_salt" not in report.options


def test_pii_drop_policy_removes_the_record():
    records = [qa("연락처?", "010-1234-5678 입니다."), qa("인사동?", "종로구에 있어요.")]
    kept, report = clean_records(records, CleanOptions(dedupe=False, pii="drop"))
    assert [r.first("user") for r in kept] == ["인사동?"]
    assert report.by_rule()["pii.PHONE"] == {"removed": 1, "changed": 0}


def test_duplicates_are_removed_after_normalisation_keeping_the_first():
    first = qa("경복궁은 무슨 요일에 쉬나요?", "경복궁은 매주 화요일에 쉽니다.", 2)
    spaced = qa("경복궁은  무슨 요일에 쉬나요?", "경복궁은 매주 화요일에 쉽니다. ", 9)
    other = qa("명동에서 뭘 먹을까요?", "명동 교자의 칼국수를 추천합니다.", 4)

    kept, report = clean_records([first, spaced, other], CleanOptions(pii="keep"))

    assert [r.id for r in kept] == [first.id, other.id]
    [dup] = [c for c in report.changes if c.rule.startswith("dedupe.")]
    assert dup.record_id == spaced.id and dup.source == "qa.csv:9"
    assert first.id in dup.detail and "qa.csv:2" in dup.detail
