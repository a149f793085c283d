"""KakaoTalk chat exports (``.txt``, ``.csv``): each conversation becomes one multi-turn example.

KakaoTalk's "대화 내보내기" writes a text file that starts with ``<이름> 님과 카카오톡 대화`` and
``저장한 날짜 : …`` (English locale: ``KakaoTalk Chats with <Name>`` and ``Date Saved : …``). The
text layouts read (Korean or English locale):

- PC: a date line ``--------------- 2026년 5월 3일 토요일 ---------------``
  (``--------------- Sunday, May 3, 2026 ---------------``) and messages
  ``[민지] [오후 3:15] 경복궁 몇 시에 열어요?`` (``[Minji] [3:15 PM] …``);
- mobile with time-only lines: ``오후 3:15, 민지 : …`` under a date line, which may sit between
  dashes on its own line or on separate lines of dashes;
- mobile with dated lines: Android ``2026년 5월 3일 오후 3:15, 민지 : …``, iOS ``2026. 5. 3. 오후
  3:15, 민지 : …``, English ``May 3, 2026, 3:15 PM, Minji : …``, with date lines
  ``2026년 5월 3일 토요일`` / ``2026. 5. 3. 토요일``.

Newer exports are CSV with the header ``Date,User,Message`` (dates like ``2026-05-03 15:15:00``);
they are told apart from Q/A sheets by that header. In the text layouts, a line that is none of
these continues the message above it (a message with line breaks).
오전/오후 (AM/PM) times are read as a 12-hour clock (오전 12:05 is 00:05, 오후 12:05 is 12:05). A
date line or a silence longer than ``conversation_gap_minutes`` starts a new conversation. Media
and system lines (``사진``, ``사진 3장``, ``이모티콘``, ``동영상``, ``삭제된 메시지입니다.``,
``Photo``, mobile "…님이 들어왔습니다." events) are dropped. An export in which no line is a
message, or whose messages are all media, is reported as skipped (an error under ``--strict``),
never silently empty.

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
from tuneloop.data.records import Record, SkipReport, Source

__all__ = [
    "KakaoTalkReader",
    "ParsedChat",
    "clock",
    "header_name",
    "parse_kakaotalk",
    "parse_kakaotalk_csv",
]

_KO_DATE = r"(?P<y>\d{4})(?:년|\.)\s*(?P<mo>\d{1,2})(?:월|\.)\s*(?P<d>\d{1,2})(?:일|\.)?"
_KO_TIME = r"(?P<ampm>오전|오후)\s*(?P<h>\d{1,2}):(?P<mi>\d{2})"
_EN_DATE = r"(?P<mon>[A-Z][a-z]{2,8})\.?\s+(?P<d>\d{1,2}),\s*(?P<y>\d{4})"
_EN_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2})\s*(?P<ampm>[AaPp][Mm])"
_WEEKDAY = r"(?:[A-Z][a-z]+day),\s*"
_HEADERS = (
    re.compile(r"^\ufeff?\s*(?P<name>.+?)\s*님과 카카오톡 대화\s*$"),
    re.compile(r"^\ufeff?\s*KakaoTalk Chats? with (?P<name>.+?)\s*$"),
    re.compile(r"^\ufeff?\s*(?P<name>.+?) with KakaoTalk Chats?\s*$"),
)
_SAVED = re.compile(r"^(?:저장한 날짜|Date Saved)\s*:")
_RULE = re.compile(r"^-{5,}$")
# A date line starts a block: between dashes (PC, and newer mobile exports) or bare (mobile).
_DATE_LINES = (
    re.compile(rf"^-+\s*{_KO_DATE}(?:\s*\S+요일)?\s*-+$"),
    re.compile(rf"^-+\s*(?:{_WEEKDAY})?{_EN_DATE}\s*-+$"),
    re.compile(rf"^{_KO_DATE}\s*\S+요일$"),
    re.compile(rf"^{_WEEKDAY}{_EN_DATE}$"),
)
# Messages under a date line carry only their time; mobile lines carry the date as well.
_TIMED_MESSAGES = (
    re.compile(rf"^\[(?P<speaker>[^\]]+)\] \[{_KO_TIME}\] ?(?P<text>.*)$"),
    re.compile(rf"^\[(?P<speaker>[^\]]+)\] \[{_EN_TIME}\] ?(?P<text>.*)$"),
    re.compile(rf"^{_KO_TIME},\s*(?P<speaker>[^:]+?) : (?P<text>.*)$"),
    re.compile(rf"^{_EN_TIME},\s*(?P<speaker>[^:]+?) : (?P<text>.*)$"),
)
_DATED_MESSAGES = (
    re.compile(rf"^{_KO_DATE}\s*{_KO_TIME},\s*(?P<speaker>.+?) : (?P<text>.*)$"),
    re.compile(rf"^{_EN_DATE},?\s*{_EN_TIME},\s*(?P<speaker>.+?) : (?P<text>.*)$"),
)
# "…님이 들어왔습니다." and other events, and the bare timestamp lines of English mobile exports.
_EVENTS = (
    re.compile(rf"^{_KO_DATE}\s*{_KO_TIME},?\s*[^:]*$"),
    re.compile(rf"^{_EN_DATE},?\s*{_EN_TIME},?\s*[^:]*$"),
    re.compile(rf"^{_KO_TIME},\s*[^:]*$"),
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_CSV_HEADER = ("date", "user", "message")
_MEDIA = re.compile(
    r"^(?:사진(?: \d+장)?|이모티콘|동영상|삭제된 메시지입니다\.?"
    r"|Photo(?:s)?(?: \d+)?|Emoticons?|Videos?|This message has been deleted\.?|Deleted message)$"
)


def clock(ampm: str, hour: int, minute: int) -> tuple[int, int]:
    """24-hour ``(hour, minute)`` for a 12-hour time: 오전/오후 (Korean) or AM/PM (English)."""
    if not (1 <= hour <= 12 and 0 <= minute <= 59):
        raise ValueError(f"{ampm} {hour}:{minute:02d} is not a 12-hour time")
    hour %= 12
    return (hour + 12 if ampm in ("오후", "PM", "pm", "Pm", "pM") else hour), minute


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

    @property
    def n_messages(self) -> int:
        return sum(len(block) for block in self.blocks)


def _first(patterns: tuple[re.Pattern[str], ...], line: str) -> re.Match[str] | None:
    for pattern in patterns:
        match = pattern.match(line)
        if match:
            return match
    return None


def _date(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    month = _MONTHS.get(groups["mon"].lower()) if groups.get("mon") else groups.get("mo")
    try:
        return date(int(match["y"]), int(month or 0), int(match["d"]))
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


def header_name(line: str) -> str | None:
    """The other side's name in an export's first line (Korean or English locale), else None."""
    match = _first(_HEADERS, line.strip())
    return match["name"] if match else None


def parse_kakaotalk(text: str) -> ParsedChat:
    """Messages of a KakaoTalk export (pure; see the module docstring for the layouts)."""
    chat = ParsedChat()
    day: date | None = None
    current: _Pending | None = None
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if chat.header_name is None and not chat.blocks:
            name = header_name(line)
            if name is not None:
                chat.header_name = name
                continue
        if _SAVED.match(stripped) and not chat.blocks:
            continue
        if _RULE.match(stripped):
            # The dashes around a mobile date line; anything else of dashes is message text.
            before = lines[number - 2].strip() if number > 1 else ""
            after = lines[number].strip() if number < len(lines) else ""
            if _first(_DATE_LINES, after) or _first(_DATE_LINES, before):
                continue
        date_line = _first(_DATE_LINES, stripped)
        if date_line:
            day, current = _date(date_line), None
            chat.blocks.append([])
            continue
        when: datetime | None = None
        message = _first(_TIMED_MESSAGES, line)
        if message:
            when = _when(day, message)
        else:
            message = _first(_DATED_MESSAGES, line)
            if message:
                when = _when(_date(message), message)
        if message:
            current = _Pending(message["speaker"].strip(), when, number, [message["text"]])
            if not chat.blocks:
                chat.blocks.append([])
            chat.blocks[-1].append(current)
        elif _first(_EVENTS, stripped):
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
        "recognised by the '… 님과 카카오톡 대화' / 'KakaoTalk Chats with …' header and its "
        "saved-date line, or a Date,User,Message CSV header."
    )
    binary = False

    def sniff(self, path: Path, head: bytes) -> bool:
        for codec in ("utf-8", "cp949"):
            text = head.decode(codec, errors="ignore").lstrip("\ufeff")
            if path.suffix.lower() == ".csv":
                return _is_csv_export(text)
            lines = [line.strip() for line in text.split("\n", 10)[:10] if line.strip()]
            saved = [i for i, line in enumerate(lines) if _SAVED.match(line)]
            if not saved:
                continue
            if header_name(lines[0]) is not None:
                return True
            # No header line we know (another locale's wording): the saved-date line followed
            # by a date line is still unmistakably an export.
            if any(_first(_DATE_LINES, line) for line in lines[saved[0] + 1 :]):
                return True
        return False

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        text = read_text(path, options.encoding).text
        csv_export = path.suffix.lower() == ".csv" or _is_csv_export(text[:1000])
        chat = parse_kakaotalk_csv(text) if csv_export else parse_kakaotalk(text)
        assistants = options.assistant_names or ((chat.header_name,) if chat.header_name else ())
        if chat.n_messages == 0:
            skips.skip(
                Source(str(path)),
                "no message found in this KakaoTalk export: no line is a message in a known layout "
                "([이름] [오후 3:15] …, [Name] [3:15 PM] …, 오후 3:15, 이름 : …, "
                "2026년 5월 3일 오후 3:15, 이름 : …)",
                hint="Check that the file is a complete export; a layout tuneloop does not read "
                "yet can be converted to the chat-log JSONL format (docs/data.md).",
            )
            return
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
        if number == 0:
            skips.skip(
                Source(str(path)),
                f"no conversation found in this KakaoTalk export: its {chat.n_messages} "
                "message(s) are all media or deleted-message lines",
            )
