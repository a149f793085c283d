"""Every KakaoTalk export layout is read as a chat (fixtures in tests/data/kakaotalk/), and an
export that yields no messages is always reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneloop.data.ingest import IngestOptions, ingest
from tuneloop.data.ingest.kakaotalk import KakaoTalkReader
from tuneloop.data.records import SkipReport
from tuneloop.errors import InvalidRecord

FIXTURES = Path(__file__).parent / "kakaotalk"


def run(name: str, **options):
    skips = SkipReport()
    return ingest([FIXTURES / name], IngestOptions(**options), skips), skips


def turns(example):
    return [(m["role"], m["content"]) for m in example.messages]


def test_english_locale_pc_export_is_a_chat():
    path = FIXTURES / "pc_en.txt"
    assert KakaoTalkReader().sniff(path, path.read_bytes()[:4096])

    examples, skips = run("pc_en.txt")

    assert [turns(e) for e in examples] == [
        [
            ("user", "What time does Gyeongbokgung open?"),
            ("assistant", "It opens at 9 AM.\nClosed on Tuesdays."),
            ("user", "Is it free in hanbok?"),
            ("assistant", "Yes, free with a hanbok."),
        ],
        [("user", "야간 개장도 있나요?"), ("assistant", "네, 봄과 가을에 있어요.")],
    ]
    assert examples[0].meta["started"] == "2024-12-09T14:28:00"
    assert examples[0].meta["speakers"] == ["Seoul Guide", "Minji"]
    assert examples[1].meta["started"] == "2024-12-10T00:10:00"  # 12:10 AM
    assert examples[0].source.line == 6
    assert not skips


def test_mobile_export_with_time_only_lines_under_dashed_date_lines():
    examples, skips = run("mobile_time_only.txt")

    assert [turns(e) for e in examples] == [
        [
            ("user", "경복궁 몇 시에 열어요?"),
            ("assistant", "오전 9시에 열어요.\n화요일은 휴궁일이에요."),
        ],
        [("user", "광장시장은 일요일에도 해요?"), ("assistant", "네, 대부분 가게가 열어요.")],
    ]
    assert [e.meta["started"] for e in examples] == ["2024-12-09T09:23:00", "2024-12-10T12:01:00"]
    assert not skips


def test_mobile_date_line_between_lines_of_dashes():
    [example], skips = run("mobile_time_only_rules.txt")

    assert turns(example) == [
        ("user", "남산타워 케이블카 요금이 얼마예요?\n-----\n이 줄도 메시지예요."),
        ("assistant", "왕복 15,000원입니다."),
    ]
    assert example.meta["started"] == "2024-12-09T09:23:00"
    assert not skips


@pytest.mark.parametrize(
    ("name", "started", "question"),
    [
        ("ios.txt", "2025-10-23T11:44:00", "덕수궁 야간 개장 하나요?"),
        ("android.txt", "2025-10-10T10:09:00", "창덕궁 후원은 예약해야 해요?"),
        ("android_en.txt", "2020-11-02T14:33:00", "Is Bukchon open at night?"),
    ],
)
def test_mobile_exports_with_dated_lines(name, started, question):
    [example], skips = run(name)

    assert example.first("user") == question
    assert [m["role"] for m in example.messages] == ["user", "assistant"]
    assert example.meta["started"] == started
    assert not skips


def test_an_export_without_a_single_message_is_reported():
    examples, skips = run("no_messages.txt")

    assert examples == []
    [skip] = skips
    assert skip.source.path.endswith("no_messages.txt")
    assert "no message found" in skip.reason


def test_an_export_of_only_media_is_reported():
    examples, skips = run("media_only.txt")

    assert examples == []
    assert [s.reason for s in skips] == [
        "no conversation found in this KakaoTalk export: its 2 message(s) are all media or "
        "deleted-message lines"
    ]


@pytest.mark.parametrize("name", ["no_messages.txt", "media_only.txt"])
def test_an_empty_export_is_an_error_under_strict(name):
    with pytest.raises(InvalidRecord, match=name):
        ingest([FIXTURES / name], IngestOptions(), SkipReport(strict=True))
