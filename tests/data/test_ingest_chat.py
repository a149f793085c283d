"""Chat logs become multi-turn examples: JSONL message logs and KakaoTalk exports (PC, mobile)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tuneloop.data.ingest import IngestOptions, ingest
from tuneloop.data.ingest.kakaotalk import clock, parse_kakaotalk
from tuneloop.data.records import SkipReport


def run(path, **options):
    skips = SkipReport()
    return ingest([path], IngestOptions(**options), skips), skips


def turns(example):
    return [(m["role"], m["content"]) for m in example.messages]


# --- JSONL chat logs ----------------------------------------------------------------------------


def _log(path, rows):
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def msg(conversation, time, speaker, text, role=None):
    row = {"conversation": conversation, "time": f"2026-05-03T{time}:00+09:00"}
    row |= {"speaker": speaker, "text": text}
    if role is not None:
        row["role"] = role
    return row


def test_chat_log_lines_group_by_conversation_merge_turns_and_map_roles(tmp_path):
    path = _log(
        tmp_path / "chats.jsonl",
        [
            msg("c-1", "15:14", "가이드", "안녕하세요, 서울가이드입니다!", "agent"),
            msg("c-1", "15:15", "민지", "경복궁 몇 시에 열어요?", "customer"),
            msg("c-2", "09:00", "Tom", "Is Namsan Tower open late?", "user"),
            msg("c-1", "15:15", "민지", "화요일에도 여나요?", "user"),
            msg("c-1", "15:16", "가이드", "오전 9시에 열어요.", "guide"),
            msg("c-1", "15:16", "가이드", "화요일은 휴궁일이에요.", "bot"),
            msg("c-2", "09:01", "Guide", "Yes, until 11 p.m.", "assistant"),
            msg("c-1", "15:20", "민지", "감사합니다!", "user"),
        ],
    )

    (first, second), skips = run(path)

    assert turns(first) == [
        ("user", "경복궁 몇 시에 열어요?\n화요일에도 여나요?"),
        ("assistant", "오전 9시에 열어요.\n화요일은 휴궁일이에요."),
    ]  # the greeting before the customer spoke and the unanswered thanks are dropped
    assert first.tags == ["chatlog"]
    assert first.meta["conversation"] == "c-1"
    assert first.meta["speakers"] == ["가이드", "민지"]
    assert datetime.fromisoformat(first.meta["started"]).hour == 15
    assert first.source.line == 2
    assert turns(second) == [
        ("user", "Is Namsan Tower open late?"),
        ("assistant", "Yes, until 11 p.m."),
    ]
    assert not skips


def test_chat_log_without_roles_uses_assistant_names(tmp_path):
    rows = [
        msg("c-9", "10:00", "민지", "명동 맛집 추천해 주세요"),
        msg("c-9", "10:02", "서울가이드", "명동교자 칼국수를 추천해요."),
    ]
    path = _log(tmp_path / "noroles.jsonl", rows)

    [example], _ = run(path, assistant_names=("서울가이드",))
    nothing, skips = run(path)

    assert turns(example) == [
        ("user", "명동 맛집 추천해 주세요"),
        ("assistant", "명동교자 칼국수를 추천해요."),
    ]
    assert nothing == []
    [skipped] = list(skips)
    assert "c-9" in skipped.reason and "--assistant" in skipped.reason


def test_chat_log_is_sorted_by_time_and_bad_lines_are_skipped(tmp_path):
    path = _log(
        tmp_path / "chats.jsonl",
        [
            msg("c-3", "12:05", "가이드", "창경궁은 야간 개장도 해요.", "agent"),
            msg("c-3", "12:00", "Tom", "Any palace open at night?", "customer"),
            msg("c-3", "12:06", "Tom", "hmm", "manager"),
            {"conversation": "c-3", "speaker": "Tom", "role": "user"},
            {"conversation": "c-3", "time": "yesterday", "text": "?", "role": "user"},
            msg("c-4", "13:00", "가이드", "아무도 없나요?", "agent"),
        ],
    )

    [example], skips = run(path)

    assert turns(example)[0] == ("user", "Any palace open at night?")
    found = {s.source.line: s.reason for s in skips}
    assert "unknown role 'manager'" in found[3]
    assert 'without "text"' in found[4]
    assert "ISO 8601" in found[5]
    assert "c-4" in found[6] and "no user message" in found[6]


# --- KakaoTalk ----------------------------------------------------------------------------------

PC_EXPORT = """\ufeff서울가이드 님과 카카오톡 대화
저장한 날짜 : 2026-05-04 10:12:33

--------------- 2026년 5월 3일 토요일 ---------------
[서울가이드] [오후 3:10] 안녕하세요! 무엇을 도와드릴까요?
[민지] [오후 3:15] 안녕하세요! 경복궁 몇 시에 열어요?
[서울가이드] [오후 3:16] 안녕하세요 😊 경복궁은 보통 오전 9시에 열어요.
화요일은 휴궁일이니 참고하세요.
[민지] [오후 3:17] 사진
[민지] [오후 3:17] 이모티콘
[민지] [오후 3:18] 삭제된 메시지입니다.
[민지] [오후 3:18] 한복 입으면 무료예요?
[서울가이드] [오후 3:20] 네, 한복을 입으면 무료입니다.
[민지] [오후 11:50] 늦게 죄송한데 야간 개장도 있나요?
[서울가이드] [오후 11:58] 네, 봄 가을에 야간 개장을 해요.
--------------- 2026년 5월 4일 일요일 ---------------
[민지] [오전 12:05] 예약은 어디서 하나요?
[서울가이드] [오전 12:10] 티켓링크에서 예약하실 수 있어요.
[Tom] [오전 1:30] Hi! Where can I rent a hanbok?
[서울가이드] [오전 1:31] Many shops near Anguk Station rent them.
"""


def test_kakaotalk_pc_export_becomes_conversations(tmp_path):
    path = tmp_path / "KakaoTalk_서울가이드.txt"
    path.write_text(PC_EXPORT, encoding="utf-8")

    examples, skips = run(path)

    assert [turns(e) for e in examples] == [
        [
            ("user", "안녕하세요! 경복궁 몇 시에 열어요?"),
            (
                "assistant",
                "안녕하세요 😊 경복궁은 보통 오전 9시에 열어요.\n화요일은 휴궁일이니 참고하세요.",
            ),
            ("user", "한복 입으면 무료예요?"),
            ("assistant", "네, 한복을 입으면 무료입니다."),
        ],
        [  # more than 6 hours later
            ("user", "늦게 죄송한데 야간 개장도 있나요?"),
            ("assistant", "네, 봄 가을에 야간 개장을 해요."),
        ],
        [  # a new date header starts a new conversation
            ("user", "예약은 어디서 하나요?"),
            ("assistant", "티켓링크에서 예약하실 수 있어요."),
            ("user", "Hi! Where can I rent a hanbok?"),
            ("assistant", "Many shops near Anguk Station rent them."),
        ],
    ]
    first, _, third = examples
    assert first.meta["started"] == "2026-05-03T15:10:00"
    assert first.meta["speakers"] == ["서울가이드", "민지"]
    assert first.tags == ["chatlog"]
    assert first.source.line == 6
    assert third.meta["started"] == "2026-05-04T00:05:00"
    assert third.meta["speakers"] == ["민지", "서울가이드", "Tom"]
    assert not skips


def test_kakaotalk_gap_option_and_assistant_option(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(PC_EXPORT, encoding="utf-8")

    merged, _ = run(path, conversation_gap_minutes=24 * 60)
    as_minji, _ = run(path, assistant_names=("민지",))

    assert len(merged) == 2  # only the date header splits now
    assert turns(as_minji[0])[0] == ("user", "안녕하세요! 무엇을 도와드릴까요?")
    assert all(m["content"] != "사진" for e in as_minji for m in e.messages)


MOBILE_EXPORT = """서울가이드 님과 카카오톡 대화
저장한 날짜 : 2026년 5월 4일 오전 10:12

2026년 5월 3일 토요일
2026년 5월 3일 오후 12:15, 민지 : 남산타워 케이블카는 몇 시까지 해요?
그리고 요금도 알려주세요.
2026년 5월 3일 오후 12:16, 서울가이드 : 밤 11시까지 운행해요.
왕복 15,000원입니다.
2026년 5월 3일 오후 12:17, 민지 : 동영상
2026년 5월 3일 오후 12:18, 민지님이 나갔습니다.
2026. 5. 4. 오전 12:01, Jane : Is the cable car open on Monday?
2026. 5. 4. 오전 12:03, 서울가이드 : Yes, every day.
"""


def test_kakaotalk_mobile_export_with_continuations_and_midnight(tmp_path):
    path = tmp_path / "mobile.txt"
    path.write_text(MOBILE_EXPORT, encoding="utf-8")

    examples, _ = run(path)

    assert [turns(e) for e in examples] == [
        [
            ("user", "남산타워 케이블카는 몇 시까지 해요?\n그리고 요금도 알려주세요."),
            ("assistant", "밤 11시까지 운행해요.\n왕복 15,000원입니다."),
        ],
        [("user", "Is the cable car open on Monday?"), ("assistant", "Yes, every day.")],
    ]
    assert examples[0].meta["started"] == "2026-05-03T12:15:00"
    assert examples[1].meta["started"] == "2026-05-04T00:01:00"


def test_a_txt_without_the_kakaotalk_header_stays_a_document_unless_forced(tmp_path):
    body = "[민지] [오후 3:15] 경복궁 몇 시에 열어요?\n[가이드] [오후 3:16] 9시요.\n"
    path = tmp_path / "snippet.txt"
    path.write_text("--------------- 2026년 5월 3일 토요일 ---------------\n" + body, "utf-8")

    [document], _ = run(path)
    [example], _ = run(path, fmt="kakaotalk", assistant_names=("가이드",))

    assert document.kind == "document"
    assert turns(example) == [("user", "경복궁 몇 시에 열어요?"), ("assistant", "9시요.")]


def test_kakaotalk_export_saved_as_cp949_is_sniffed_and_read(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(PC_EXPORT.removeprefix("\ufeff").encode("cp949", errors="ignore"))

    examples, _ = run(path)

    assert len(examples) == 3
    assert examples[0].first("user") == "안녕하세요! 경복궁 몇 시에 열어요?"


@pytest.mark.parametrize(
    ("ampm", "hour", "expected"),
    [
        ("오전", 12, 0),
        ("오전", 1, 1),
        ("오전", 11, 11),
        ("오후", 12, 12),
        ("오후", 1, 13),
        ("오후", 11, 23),
    ],
)
def test_korean_twelve_hour_clock(ampm, hour, expected):
    assert clock(ampm, hour, 30) == (expected, 30)


def test_impossible_clock_times_are_rejected():
    with pytest.raises(ValueError):
        clock("오후", 13, 0)


def test_parser_reads_the_header_name():
    assert parse_kakaotalk(PC_EXPORT).header_name == "서울가이드"


def test_kakaotalk_csv_export_is_told_apart_from_a_qa_sheet(tmp_path):
    path = tmp_path / "KakaoTalk_Chat.csv"
    path.write_text(
        "Date,User,Message\n"
        '2026-05-03 15:15:00,"민지","경복궁 몇 시에 열어요?"\n'
        '2026-05-03 15:16:00,"서울가이드","오전 9시에 열어요.\n화요일은 쉬어요."\n'
        '2026-05-03 15:17:00,"민지","사진"\n'
        '2026-05-04 09:00:00,"민지","Is Gwangjang Market open on Sunday?"\n'
        '2026-05-04 09:01:00,"서울가이드","Yes, most stalls are."\n',
        encoding="utf-8",
    )

    examples, _ = run(path, assistant_names=("서울가이드",))
    nothing, skips = run(path)

    assert [turns(e) for e in examples] == [
        [("user", "경복궁 몇 시에 열어요?"), ("assistant", "오전 9시에 열어요.\n화요일은 쉬어요.")],
        [("user", "Is Gwangjang Market open on Sunday?"), ("assistant", "Yes, most stalls are.")],
    ]
    assert [e.source.line for e in examples] == [2, 6]
    assert examples[1].meta["started"] == "2026-05-04T09:00:00"
    assert nothing == [] and all("--assistant" in s.reason for s in skips)
