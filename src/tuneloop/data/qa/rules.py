"""Q/A pairs from a document's own structure, without a model: deterministic and grounded.

Travel documents are mostly written the same way: a place as the title (``# 경복궁``), topics as
sections (``## 운영 시간``) and facts as key–value bullets (``- 휴무일: 매주 화요일``). Each rule
turns one such shape into a question a traveller would ask and an answer built only from the
document's words, so the pair is grounded by construction (it still goes through the same
grounding check as LLM pairs):

* ``kv`` — ``- 휴무일: 매주 화요일`` under ``# 경복궁`` → ``경복궁의 휴무일은 언제인가요?`` /
  ``경복궁의 휴무일은 매주 화요일입니다.`` The question word follows the key (시간 → 몇 시 / 언제,
  요금·가격 → 얼마, 위치·주소 → 어디, 휴무 → 언제, otherwise 무엇); a key under a topic
  section is qualified by it (``- 성인: 3,000원`` under ``## 요금`` → 성인 요금), and a list
  item with a description (``- 창덕궁 후원: 오래된 나무와 연못이 …``) is asked about by itself.
* ``section`` — a heading and its paragraph → ``경복궁 운영 시간에 대해 알려 주세요.`` / the
  paragraph, when it is short enough to be one answer.

Mostly-English documents get English templates. Korean particles are chosen by the final consonant
(받침) of the word they attach to — ``(ord(syllable) - 0xAC00) % 28`` is the 종성 index of a
Hangul syllable — so 휴무일은 but 주소는, 주차가 but 입장료가.

Why line-based parsing and not a Markdown library: the rules only need headings and list items
with their line numbers (so every pair's ``source`` is ``file:line`` of its bullet or heading),
and plain ``.txt`` travel notes use the same ``키: 값`` lines.

Rules live in :data:`RULES` (name → function), so ``--rules kv,section`` picks them and a caller
may add its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tuneloop.data.qa.grounding import DEFAULT_THRESHOLD
from tuneloop.data.qa.pairs import QaResult, document_title, make_pair
from tuneloop.data.records import Document, Source
from tuneloop.errors import InvalidRequest
from tuneloop.text.korean import morphemes

__all__ = [
    "RULES",
    "Candidate",
    "Rule",
    "generate_rule_qa",
    "has_batchim",
    "is_korean",
    "kv_rule",
    "particle",
    "section_rule",
]

# ---------------------------------------------------------------- Korean particles (조사)

_DIGIT_BATCHIM = {  # how a final digit is read: 영 일 이 삼 사 오 육 칠 팔 구
    "0": True, "1": True, "2": False, "3": True, "4": False,
    "5": False, "6": True, "7": True, "8": True, "9": False,
}  # fmt: skip
_TRAILING_NOISE = re.compile(r"(\s*(\([^()]*\)|\[[^\[\]]*\]|[\s*_\"'”’.,!?]))+$")


def _final_syllable(word: str) -> str:
    """The last character that decides the particle (trailing brackets, quotes, marks dropped)."""
    stripped = _TRAILING_NOISE.sub("", word.strip())
    return stripped[-1] if stripped else ""


def _jongseong(syllable: str) -> int:
    """종성 index (0 = no final consonant, 8 = ㄹ) of a precomposed Hangul syllable."""
    return (ord(syllable) - 0xAC00) % 28


def has_batchim(word: str) -> bool:
    """Whether ``word`` ends in a final consonant (받침), as read aloud.

    Hangul syllables by arithmetic; digits by their Korean reading (3 → 삼: yes, 2 → 이: no);
    Latin words ending in l, m, n (Seoul → 서울) count as closed, other endings as open.
    """
    last = _final_syllable(word)
    if not last:
        return False
    if "\uac00" <= last <= "\ud7a3":
        return _jongseong(last) != 0
    if last in _DIGIT_BATCHIM:
        return _DIGIT_BATCHIM[last]
    return last.lower() in "lmn"


def particle(word: str, closed: str, open_: str) -> str:
    """``word`` + the right form of a two-form particle: ``particle("휴무일", "은", "는")`` →
    ``휴무일은``. For 으로/로 a word ending in ㄹ takes 로 (지하철로)."""
    last = _final_syllable(word)
    if closed == "으로" and "\uac00" <= last <= "\ud7a3" and _jongseong(last) == 8:
        return word + open_
    return word + (closed if has_batchim(word) else open_)


# ---------------------------------------------------------------- document outline

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_KV = re.compile(
    r"^\s*(?P<bullet>[-*+•]\s+)?(?:\*\*|__)?(?P<key>[^:：*_]{1,30}?)(?:\*\*|__)?\s*[:：]"
    r"(?:\*\*|__)?\s*(?P<value>\S.*?)\s*$"
)
_SENTENCE_MARK = re.compile(r"[.?!。]")
_LETTER = re.compile(r"[A-Za-z\uac00-\ud7a3]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class _Line:
    index: int  # 0-based line in the document text
    offset: int  # character offset of the line in the document text
    text: str


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str
    line: _Line


@dataclass(frozen=True)
class _KeyValue:
    key: str
    value: str
    line: _Line


def _lines(text: str) -> list[_Line]:
    out, offset = [], 0
    for index, raw in enumerate(text.split("\n")):
        out.append(_Line(index, offset, raw.rstrip("\r")))
        offset += len(raw) + 1
    return out


def _heading(line: _Line) -> _Heading | None:
    match = _HEADING.match(line.text)
    if not match:
        return None
    text = match.group(2).strip().strip("*_").strip()
    return _Heading(len(match.group(1)), text, line) if text else None


def _key_value(line: _Line) -> _KeyValue | None:
    """``- 키: 값`` (or a bare ``키: 값`` line with a short key); not URLs, times or sentences."""
    match = _KV.match(line.text)
    if not match:
        return None
    key, value = match.group("key").strip(), match.group("value").strip()
    words = key.split()
    limit = 4 if match.group("bullet") else 3
    if (
        not words
        or len(words) > limit
        or not _LETTER.search(key)
        or _SENTENCE_MARK.search(key)
        or key.startswith("#")
        or value.startswith("//")
        or (key[-1].isdigit() and value[:1].isdigit())  # a time like 보통 10:00
        or not value.strip("*_ ")
    ):
        return None
    return _KeyValue(key, value.strip("*_ ").strip(), line)


@dataclass(frozen=True)
class _Category:
    name: str
    korean: tuple[str, ...]
    english: tuple[str, ...]


_CATEGORIES = (
    _Category("duration", ("소요", "걸리는"), ("duration", "how long")),
    _Category(
        "closed",
        ("휴무", "휴관", "휴일", "휴장", "쉬는 날"),
        ("closed", "closing day", "holiday", "day off", "days off"),
    ),
    _Category(
        "price",
        ("요금", "가격", "입장료", "관람료", "이용료", "비용", "금액", "티켓", "값"),
        ("price", "fee", "admission", "cost", "ticket", "fare"),
    ),
    _Category(
        "time",
        ("시간", "시각", "개장", "폐장", "마감", "영업", "오픈"),
        ("hours", "time", "opening", "open"),
    ),
    _Category("location", ("위치", "주소", "장소"), ("address", "location")),
    _Category(
        "transport",
        ("교통", "가는 길", "가는 방법", "오시는 길", "찾아가는 길", "지하철", "버스", "택시"),
        ("getting there", "transport", "subway", "bus", "directions"),
    ),
    _Category("date", ("날짜", "기간", "일정", "개최"), ("date", "dates", "period", "season")),
    _Category(
        "availability",
        ("주차", "예약", "반려동물", "휠체어", "유모차", "와이파이"),
        ("parking", "reservation", "wheelchair", "wifi", "pets"),
    ),
)


def _english_has(text: str, keyword: str) -> bool:
    return f" {keyword} " in f" {' '.join(re.findall(r'[a-z]+', text.lower()))} "


def _category(phrase: str, korean: bool) -> str | None:
    for category in _CATEGORIES:
        if korean and any(k in phrase for k in category.korean):
            return category.name
        if not korean and any(_english_has(phrase, k) for k in category.english):
            return category.name
    return None


@dataclass(frozen=True)
class _Context:
    """Where a line sits: the place it is about (the ``#`` heading above it, else the document's
    title) and the section it is in (the innermost ``##``… heading, if any)."""

    subject: str | None
    topic: str | None


def _outline(document: Document) -> list[tuple[_Line, _Context]]:
    """Every line of the document with its context."""
    title = document_title(document)
    subject, topic = title, None
    out: list[tuple[_Line, _Context]] = []
    for line in _lines(document.text):
        heading = _heading(line)
        if heading is not None and heading.level == 1:
            subject, topic = heading.text, None
        elif heading is not None:
            topic = heading.text
        out.append((line, _Context(subject, topic)))
    return out


def is_korean(text: str) -> bool:
    """Korean templates for mostly-Korean text: an English guide that glosses a few names in
    Hangul (Express train (직통열차)) still gets English questions."""
    hangul = len(_HANGUL.findall(text))
    return hangul > 0 and hangul * 2 >= len(_LATIN_LETTER.findall(text))


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Candidate:
    """A pair a rule proposes, and the line (0-based, in the document text) it came from."""

    question: str
    answer: str
    line: int
    offset: int


Rule = Callable[[Document], list[Candidate]]


def _is_sentence(value: str) -> bool:
    """The value already ends like a Korean sentence (가능합니다, 열어요): no copula to add."""
    last = [m for m in morphemes(value) if not m.tag.startswith(("SF", "SP", "SS", "SE"))][-1:]
    # 없음/가능함 (note style, tagged EF by Kiwi) are fragments, not sentences
    return bool(last) and last[0].tag.startswith("EF") and last[0].form not in ("음", "ᆷ")


def _korean_kv(subject: str, phrase: str, value: str) -> tuple[str, str]:
    category = _category(phrase, korean=True)
    s, topic = subject, particle(phrase, "은", "는")
    clock = re.search(r"\d{1,2}:\d{2}|\d+시", value)
    if category == "duration":
        question = f"{s}의 {particle(phrase, '이', '가')} 얼마나 되나요?"
    elif category in ("closed", "date"):
        question = f"{s}의 {topic} 언제인가요?"
    elif category == "price":
        question = f"{s}의 {topic} 얼마인가요?"
    elif category == "time" and clock and re.search(r"[~–—-]|부터", value):
        question = f"{s}의 {topic} 몇 시부터 몇 시까지인가요?"
    elif category == "time" and clock:
        question = f"{s}의 {topic} 몇 시인가요?"
    elif category == "time":
        question = f"{s}의 {topic} 언제인가요?"
    elif category == "location":
        question = f"{s}의 {topic} 어디인가요?"
    elif category == "transport":
        mode = next((m for m in ("지하철", "버스", "택시") if m in phrase), None)
        via = f"{particle(mode, '으로', '로')} " if mode else ""
        question = f"{s}에 {via}어떻게 가나요?"
    elif category == "availability":
        question = f"{s}에서 {particle(phrase, '이', '가')} 가능한가요?"
    else:
        question = f"{s}의 {topic} 무엇인가요?"
    value = value.rstrip(". ")
    answer = f"{s}의 {topic} {value}." if _is_sentence(value) else f"{s}의 {topic} {value}입니다."
    return question, answer


def _english_kv(subject: str, phrase: str, value: str) -> tuple[str, str]:
    category = _category(phrase, korean=False)
    p = phrase if phrase[:2].isupper() else phrase[:1].lower() + phrase[1:]
    verb = "are" if p.endswith("s") and not p.endswith("ss") else "is"
    value = value.rstrip(". ")
    answer = f"The {p} of {subject} {verb} {value}."
    if category == "closed":
        on = "" if re.match(r"(?i)(on|every|from|in|at|during)\b", value) else "on "
        return f"When is {subject} closed?", f"{subject} is closed {on}{value}."
    if category == "price":
        return f"How much is the {p} of {subject}?", answer
    if category == "time" and verb == "is":
        return f"When is the {p} of {subject}?", answer
    if category == "location":
        return f"Where is {subject}?", answer
    if category == "transport":
        return f"How do I get to {subject}?", answer
    return f"What {verb} the {p} of {subject}?", answer


def _is_description(value: str, korean: bool) -> bool:
    """A value that describes rather than states one fact (a sentence, or long)."""
    if korean:
        return len(value) >= 40 or (len(value) >= 12 and _is_sentence(value.rstrip(". ")))
    return len(value.split()) >= 8 or value.rstrip().endswith((".", "!"))


def _description(key: str, value: str, korean: bool) -> tuple[str, str]:
    """``- 노약자석: 각 칸 끝에 있는 …`` → ask about the key, answer with the description."""
    if korean:
        answer = value if key in value else f"{particle(key, '은', '는')} {value}"
        return f"{key}에 대해 알려 주세요.", answer
    answer = value if key.lower() in value.lower() else f"{key}: {value}"
    return f"Tell me about {key}.", answer


def kv_rule(document: Document) -> list[Candidate]:
    """``- 키: 값`` lines → a question about the key and a one-sentence answer with the value.

    The place asked about is the ``#`` heading above the line, else the document's title; lines
    without one are skipped (휴무일은 언제인가요? — of what?). A key that names no topic of its
    own (``성인``) is qualified by a section heading that does (``## 요금`` → 성인 요금). A key
    with no topic whose value is a description (``- 창덕궁 후원: 오래된 나무와 연못이 …``) is an
    item of a list, not a fact of the place: it is asked about by itself.
    """
    korean = is_korean(document.text)
    out: list[Candidate] = []
    for line, context in _outline(document):
        kv = _key_value(line)
        if kv is None or _heading(line) is not None:
            continue
        phrase, topic = kv.key, context.topic
        if (
            topic
            and _category(kv.key, korean) is None
            and _category(topic, korean) is not None
            and topic not in kv.key
            and not _is_description(kv.value, korean)
        ):
            phrase = f"{kv.key} {topic if korean else topic.lower()}"
        if _category(phrase, korean) is None and _is_description(kv.value, korean):
            question, answer = _description(kv.key, kv.value, korean)
        elif context.subject is None:
            continue
        else:
            make = _korean_kv if korean else _english_kv
            question, answer = make(context.subject, phrase, kv.value)
        out.append(Candidate(question, answer, line.index, line.offset))
    return out


def section_rule(document: Document, *, max_chars: int = 600) -> list[Candidate]:
    """A heading and its body → ``<place> <section>에 대해 알려 주세요.`` / the body.

    Only bodies with some prose count (a list of ``키: 값`` bullets is the ``kv`` rule's), and only
    when at most ``max_chars`` long: a longer body is several answers, not one. Text before the
    first heading counts as the section of the document's title — except in a later chunk of a
    long file (``meta.chunk`` > 0), where it is the end of a section cut by chunking.
    """
    korean = is_korean(document.text)
    title = document_title(document)
    chunk = document.meta.get("chunk")
    continues = isinstance(chunk, int) and chunk > 0  # text before a heading ends a section
    sections: list[tuple[str, str | None, _Line, list[_Line]]] = []
    for line, context in _outline(document):
        heading = _heading(line)
        if heading is not None:
            subject = context.subject if heading.level > 1 else None
            sections.append((heading.text, subject, line, []))
        elif sections:
            sections[-1][3].append(line)
        elif title is not None and not continues:
            sections.append((title, None, line, [line]))
    out: list[Candidate] = []
    for heading_text, subject, start, body in sections:
        lines = [b for b in body if b.text.strip()]
        if lines and lines[0].text.strip() == heading_text and start.index == body[0].index:
            lines = lines[1:]  # a plain-text title line repeated as the first line
        prose = [b for b in lines if _key_value(b) is None]
        answer = "\n".join(b.text for b in body if lines and lines[0].index <= b.index).strip()
        if not prose or len(answer) > max_chars or len(answer) < 10:
            continue
        if start.index == body[0].index:  # preamble: point at its first line
            start = lines[0]
        about = subject is not None and subject not in heading_text
        if korean:
            topic = f"{subject} {heading_text}" if about else heading_text
            question = f"{topic}에 대해 알려 주세요."
        elif about:
            question = f"Tell me about the {heading_text.lower()} of {subject}."
        else:
            question = f"Tell me about {heading_text}."
        out.append(Candidate(question, answer, start.index, start.offset))
    return out


RULES: dict[str, Rule] = {"kv": kv_rule, "section": section_rule}


def _source(document: Document, candidate: Candidate) -> Source:
    """``file:line`` of the candidate's line (the document's ``source.line`` is the line its text
    starts on). PDF documents count pages, not lines (``source.line`` is the page, see ingest), so
    they keep the page and point at the candidate with the character offset instead."""
    src = document.source
    if src.path.lower().endswith(".pdf") or (src.line is None and src.offset is not None):
        return Source(src.path, src.line, (src.offset or 0) + candidate.offset)
    return Source(src.path, (src.line or 1) + candidate.line)


def generate_rule_qa(
    documents: Iterable[Document],
    *,
    rules: Sequence[str] = ("kv", "section"),
    system: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> QaResult:
    """Apply the named rules to every document; pairs below ``threshold`` are flagged.

    ``meta.generator`` is ``rules:<rule name>``; ``source`` is the document's file and the line of
    the bullet or heading (the document's ``source.line`` is the line its text starts on).
    """
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise InvalidRequest(
            f"Unknown Q/A rule(s): {', '.join(unknown)}.",
            hint=f"Known rules: {', '.join(RULES)} (e.g. --rules kv,section).",
            param="rules",
        )
    result = QaResult()
    for document in documents:
        result.documents += 1
        for name in rules:
            for candidate in RULES[name](document):
                example, grounded = make_pair(
                    candidate.question,
                    candidate.answer,
                    document=document,
                    source=_source(document, candidate),
                    generator=f"rules:{name}",
                    threshold=threshold,
                    system=system,
                )
                result.add(example, "kept" if grounded else "flagged")
    return result
