"""KakaoTalk chat exports (``.txt``, ``.csv``): each conversation becomes one multi-turn example.

KakaoTalk's "대화 내보내기" writes a text file that starts with ``<이름> 님과 카카오톡 대화`` and
``저장한 날짜 : …``. Two text layouts are read:

- PC: a date header line ``--------------- 2026년 5월 3일 토요일 ---------------`` and messages
  ``[민지] [오후 3:15] 경복궁 몇 시에 열어요?``;
- mobile: ``2026년 5월 3일 오후 3:15, 민지 : 경복궁 몇 시에 열어요?`` (also ``2026. 5. 3. 오후 3:15,
  …``), with date lines ``2026년 5월 3일 토요일``.

Newer exports are CSV with the header ``Date,User,Message`` (dates like ``2026-05-03 15:15:00``);
they are told apart from Q/A sheets by that header. In the text layouts, a line that is none of
these continues the message above it (a message with line breaks).
오전/오후 times are read as a 12-hour clock (오전 12:05 is 00:05, 오후 12:05 is 12:05). A date
header or a silence longer than ``conversation_gap_minutes`` starts a new conversation. Media and
system lines (``사진``, ``사진 3장``, ``이모티콘``, ``동영상``, ``삭제된 메시지입니다.``, mobile
"…님이 들어왔습니다." events) are dropped.

Who is the assistant: the speakers named with ``--assistant``; without it, the name in the header
line (``서울가이드 님과 카카오톡 대화`` → 서울가이드), which is the other side of the chat for the
person who exported it — so export from the customer's side, or name the assistant explicitly.
CSV exports have no header line, so name the assistant with ``--assistant``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from tuneloop.data.ingest.base import IngestOptions
from tuneloop.data.ingest.chatlog import ChatMessage, conversation_example, split_by_gap
from tuneloop.data.ingest.encoding import read_text
from tuneloop.data.records import Record, SkipReport

__all__ = ["KakaoTalkReader", "ParsedChat", "clock", "parse_kakaotalk", "parse_kakaotalk_csv"]

_DATE = r"(?P<y>\d{4})(?:년|\.)\s*(?P<mo>\d{1,2})(?:월|\.)\s*(?P<d>\d{1,2})(?:일|\.)?"
_TIME = r"(?P<ampm>오전|오후)\s*(?P<h>\d{1,2}):(?P<mi>\d{2})"
_HEADER = re.compile(r"^\ufeff?\s*(?P<name>.+?)\s*님과 카카오톡 대화\s*$")
_SAVED = re.compile(r"^저장한 날짜\s*:")
_PC_DATE = re.compile(rf"^-+\s*{_DATE}(?:\s*\S+요일)?\s*-+\s*$")
_PC_MESSAGE = re.compile(rf"^\[(?P<speaker>[^\]]+)\] \[{_TIME}\] ?(?P<text>.*)$")
_MOBILE_DATE = re.compile(rf"^{_DATE}\s*\S+요일\s*$")
_MOBILE_MESSAGE = re.compile(rf"^{_DATE}\s*{_TIME},\s*(?P<speaker>.+?) : (?P<text>.*)$")
_MOBILE_EVENT = re.compile(rf"^{_DATE}\s*{_TIME},?\s*[^:]*$")
_CSV_HEADER = ("date", "user", "message")
_MEDIA = re.compile(r"^(?:사진(?: \d+장)?|이모티콘|동영상|삭제된 메시지입니다\.?)$")


def clock(ampm: str, hour: int, minute: int) -> tuple[int, int]:
    """24-hour ``(hour, minute)`` for KakaoTalk's 오전/오후 12-hour time."""
    if not (1 <= hour <= 12 and 0 <= minute <= 59):
        raise ValueError(f"{ampm} {hour}:{minute:02d} is not a 12-hour time")
    hour %= 12
    return (hour + 12 if ampm == "오후" else hour), minute


@dataclass
class _Pending:
    speaker: str
    time: datetime | None
    line: int
    lines: list[str]


@dataclass
class ParsedChat:
    """The header name and the messages of an export, in blocks separated by date headers."""

    header_name: str | None = None
    blocks: list[list[_Pending]] = field(default_factory=list)


def _date(match: re.Match[str]) -> date | None:
    try:
        return date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError:
        return None


def _when(day: date | None, match: re.Match[str]) -> datetime | None:
    if day is None:
        return None
    try:
        hour, minute = clock(match["ampm"], int(match["h"]), int(match["mi"]))
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, hour, minute)


def parse_kakaotalk(text: str) -> ParsedChat:
    """Messages of a KakaoTalk export (pure; see the module docstring for the layouts)."""
    chat = ParsedChat()
    day: date | None = None
    current: _Pending | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        header = _HEADER.match(line) if chat.header_name is None and not chat.blocks else None
        if header:
            chat.header_name = header["name"]
            continue
        if _SAVED.match(stripped) and not chat.blocks:
            continue
        date_header = _PC_DATE.match(stripped) or _MOBILE_DATE.match(stripped)
        if date_header:
            day, current = _date(date_header), None
            chat.blocks.append([])
            continue
        message = _PC_MESSAGE.match(line)
        when: datetime | None = None
        if message:
            when = _when(day, message)
        else:
            message = _MOBILE_MESSAGE.match(line)
            if message:
                when = _when(_date(message), message)
        if message:
            current = _Pending(message["speaker"].strip(), when, number, [message["text"]])
            if not chat.blocks:
                chat.blocks.append([])
            chat.blocks[-1].append(current)
        elif _MOBILE_EVENT.match(stripped):
            current = None
        elif current is not None:
            current.lines.append(line)
    return chat


def _csv_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_kakaotalk_csv(text: str) -> ParsedChat:
    """Messages of a CSV export (``Date,User,Message``), in blocks of one calendar day."""
    chat = ParsedChat()
    rows = csv.reader(io.StringIO(text, newline=""))
    next(rows, None)
    previous, day = rows.line_num, None
    for row in rows:
        line, previous = previous + 1, rows.line_num
        if len(row) < 3:
            continue
        when = _csv_time(row[0])
        if not chat.blocks or (when is not None and when.date() != day):
            chat.blocks.append([])
            day = when.date() if when else day
        chat.blocks[-1].append(_Pending(row[1].strip(), when, line, [",".join(row[2:])]))
    return chat


def _is_csv_export(head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return tuple(cell.strip().strip('"').lower() for cell in first.split(",")) == _CSV_HEADER


class KakaoTalkReader:
    name = "kakaotalk"
    suffixes: tuple[str, ...] = (".txt", ".csv")
    description = (
        "KakaoTalk chat exports (PC, mobile, CSV) → one multi-turn example per conversation; "
        "recognised by the '… 님과 카카오톡 대화' header or a Date,User,Message CSV header."
    )
    binary = False

    def sniff(self, path: Path, head: bytes) -> bool:
        for codec in ("utf-8", "cp949"):
            text = head.decode(codec, errors="ignore").lstrip("\ufeff")
            if path.suffix.lower() == ".csv":
                return _is_csv_export(text)
            lines = [line for line in text.split("\n", 10)[:10] if line.strip()]
            if lines and _HEADER.match(lines[0].strip()) and any(_SAVED.match(x) for x in lines):
                return True
        return False

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        text = read_text(path, options.encoding).text
        csv_export = path.suffix.lower() == ".csv" or _is_csv_export(text[:1000])
        chat = parse_kakaotalk_csv(text) if csv_export else parse_kakaotalk(text)
        assistants = options.assistant_names or ((chat.header_name,) if chat.header_name else ())
        number = 0
        for block in chat.blocks:
            messages = [
                ChatMessage(
                    "assistant" if pending.speaker in assistants else "user",
                    text,
                    pending.line,
                    pending.speaker,
                    pending.time,
                )
                for pending in block
                if (text := "\n".join(pending.lines).strip()) and not _MEDIA.match(text)
            ]
            for conversation in split_by_gap(messages, options.conversation_gap_minutes):
                number += 1
                example = conversation_example(
                    f"{path.stem}-{number:04d}", conversation, path=str(path), skips=skips
                )
                if example is not None:
                    yield example
