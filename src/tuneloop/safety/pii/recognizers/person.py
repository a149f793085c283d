"""Names of people (``PERSON``), only where the text says a name is there.

Korean names are 2–4 syllables starting with a common surname (김 이 박 최 정 …), but so
are thousands of ordinary words (고객, 이사, 선생, 정부, 연락처). So a candidate counts only
after a cue:

* followed by an honorific — ``김민수 님``, ``박지성 씨``, ``이서연 고객님``, ``최유리 선생님``;
* after a label — ``예약자``, ``성함``, ``예금주``, ``담당자``, ``고객명``, ``수령인``, ``이름:`` …;
* in English, after ``my name is``, ``Name:``, ``Mr.``/``Ms.``/``Mrs.``/``Dr.`` and the like.

Kiwi's morphemes then confirm the candidate and decide where it ends (``성함은 박지성입니다`` →
박지성 + 이다). Kiwi knows many names as proper nouns (NNP); a name it does not know comes out
either as one unknown three-syllable noun or as odd one- and two-syllable pieces (허나/MAJ 경/NNG),
while a real word comes out as itself (고객/NNG, 신규/NNG) or as a word plus a suffix
(이용/NNG 자/XSN). Kiwi runs only on a short window around a candidate that survived the cheap
checks, so most records never reach it.

Famous historical figures named in travel text (세종대왕, 이순신 장군, 유관순 열사) are public, not
personal information, and are never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import word_set
from tuneloop.safety.pii.types import PiiFinding
from tuneloop.text.korean import Morpheme

__all__ = ["SURNAMES", "PersonRecognizer"]

SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지"
    "엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉태"
)
_COMPOUND = ("남궁", "제갈", "선우", "황보", "독고", "사공", "서문", "동방")
_SURNAME = "(?:" + "|".join(_COMPOUND) + "|[" + SURNAMES + "])"
# Public figures a travel text names (statues, museums, streets): never personal information.
FAMOUS = word_set(
    "이순신 세종 김구 유관순 안중근 윤봉길 정약용 장영실 신사임당 이황 이이 김정호 을지문덕 "
    "강감찬 김유신 허준 한석봉 김홍도 신윤복 정조 이성계 이방원 연산군 광해군 최영 계백 김춘추 "
    "박혁거세 주몽 왕건 안창호 이봉창 김좌진 홍범도 윤동주 이육사 한용운 김소월 박정희 김대중 "
    "노무현 이승만 전봉준 정몽주 황희 이순 방정환 김만덕 허난설헌"
)
# Words that start with a surname syllable and come before 님/씨 or after a label.
_NOT_NAMES = word_set(
    "고객 선생 이사 주임 차장 반장 원장 소장 국장 기장 신부 하나 하느 공주 왕자 임금 부장 과장 "
    "대리 실장 팀장 회장 사장 사모 도련 어머 아버 형 누 손 교수 박사 기사 간호사 의사 수녀 목사 "
    "조교 조장 전무 상무 안내원 승무원 직원 점장 매니저 주인 지배인 장로 선배 후배 시장 도지사 "
    "대표 위원 의원 장관 총장 학장 교장 감독 코치 선수 작가 기자 여사 남편 아내 부인 가이드 "
    "이모 고모 삼촌 형수 제수 성도 구독자 여러분 방문객 관광객 여행객 회원 주민 부모 고객센터 "
    "이용자 구매자 주문자 예약자 신청자 가입자 참가자 사용자 수강생 조합원 임차인 보호자 운영자 "
    "관리자 작성자 수령인 판매자 신규 기존 우수 단체 일반 해외 모든 개인 전체 연락처 정보 "
    "이름 명단 성함 확인 변경 안내 문의 정정 본인 동반자 동행자 대리인 담당 당신 여러분들 "
    "안내문 안내서 신분증 정보란 명세서 동의서 확인서 신청서 전화번호 주민번호 여권번호"
)
_HONORIFIC = re.compile(
    rf"(?<![가-힣])(?P<name>{_SURNAME}[가-힣]{{1,3}}?)\s?(?P<cue>고객님|선생님|님|씨(?![앗름족줄알눈]))"
)
_LABEL_CUES = (
    "예약자명|예약자|성함|제 이름|저의 이름|고객 이름|이름(?=\\s*[:：])|예금주|담당자|고객명|"
    "수령인|받는 분|받는분|보내는 분|보내는분|신청자|투숙객|보호자|대표자|작성자|가입자|"
    "주문자|탑승자"
)
_LABEL = re.compile(
    rf"(?:{_LABEL_CUES})(?P<sep>\s*[:：]\s*|(?:은|는|이|가|명은|분은)\s*|\s+)"
    rf"(?P<name>{_SURNAME}[가-힣]{{1,7}}|[A-Z][a-z]+(?:[ -][A-Z][a-z]+){{0,2}})"
)
_ENGLISH = re.compile(
    r"(?:\b(?:[Mm]y name is|[Mm]y name's|[Ff]ull name\s*:|[Gg]uest name\s*:?|Name\s*:|"
    r"[Bb]ooked under|[Aa]ccount holder\s*:?|[Cc]ontact person\s*:?)"
    r"|\b(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?)\s+"
    r"(?P<name>[A-Z][a-z]+(?:[-'][A-Za-z]+)?(?:\s[A-Z][a-z]+(?:-[a-z]+)?){0,2}"
    rf"|{_SURNAME}[가-힣]{{1,7}})"
)
# Cheap prefilters: plain literals let the regex engine skip ahead (lookaheads and classes don't).
_LABEL_HINT = re.compile(
    "예약자|성함|이름|예금주|담당자|고객명|수령인|받는|보내는|신청자|투숙객|보호자|대표자|작성자|"
    "가입자|주문자|탑승자"
)
_ENGLISH_HINT = re.compile("ame|Mr|Ms|Mx|Dr|Prof|ooked under|ccount holder|ontact person")
# What may follow a name after a label: a copula or an ending, an honorific, punctuation, the end.
_ENDING = re.compile(r"(?:입니다|이에요|예요|이고|이며|이세요|세요|이요|님|씨|고객님|께서|에게)$")
_AFTER_NAME = re.compile(r"\s*(?:$|[.,!?;)\]」』\n]|님|씨|고객님|선생님)")
# English words a capitalised cue may be followed by that are not names.
_NOT_ENGLISH = word_set(
    "The A An This That It He She We They You I Seoul Korea Busan Jeju Here There"
)
_NOUNS = ("NNP", "NNG")
_PARTICLES = ("J", "E", "VCP")  # Kiwi tags of particles, endings and the copula
_WORD_END = re.compile(r"[\s.,!?;:)\]]")


class PersonRecognizer:
    """Korean and English personal names next to an honorific, a label or an English cue."""

    name = "person"
    entities: tuple[str, ...] = ("PERSON",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if "님" in text or "씨" in text:
            for match in _HONORIFIC.finditer(text):
                start, end = match.span("name")
                if text[start:end] in _NOT_NAMES or _is_famous(text[start:end]):
                    continue
                _, score = _name_score(text, start, end)
                if score:
                    yield self._finding(text, start, end, score)
        for hint, pattern in ((_LABEL_HINT, _LABEL), (_ENGLISH_HINT, _ENGLISH)):
            if hint.search(text) is None:
                continue
            for match in pattern.finditer(text):
                start, end = match.span("name")
                value = match.group("name")
                if value[0].isascii():
                    if value.split()[0] not in _NOT_ENGLISH and not _is_famous(value):
                        yield PiiFinding("PERSON", start, end, 0.75, self.name, value)
                    continue
                found = self._after_label(text, start, end, match.groupdict().get("sep"))
                if found is not None:
                    yield found

    def _after_label(self, text: str, start: int, end: int, sep: str | None) -> PiiFinding | None:
        """A Korean name right after a label; ``end`` is the end of the Hangul run."""
        name_end = start + len(_ENDING.sub("", text[start:end]))
        if not 2 <= name_end - start <= 4:
            return None
        value = text[start:name_end]
        if value in _NOT_NAMES or _is_famous(value):
            return None
        # After "예약자는 …" a name ends the clause (…입니다, …님); "담당자가 명동 가는" is a place.
        closed = name_end < end or _AFTER_NAME.match(text, name_end) is not None
        colon = sep is not None and sep.strip() in (":", "：")
        if not closed and not (colon or (sep is not None and not sep.strip())):
            return None
        name_end, score = _name_score(text, start, name_end, trim=True)
        value = text[start:name_end]
        if not score or value in _NOT_NAMES or _is_famous(value):
            return None
        return self._finding(text, start, name_end, score)

    def _finding(self, text: str, start: int, end: int, score: float) -> PiiFinding:
        return PiiFinding("PERSON", start, end, score, self.name, text[start:end])


def _is_famous(value: str) -> bool:
    return any(value[:n] in FAMOUS for n in range(2, len(value) + 1))


def _name_score(text: str, start: int, end: int, *, trim: bool = False) -> tuple[int, float]:
    """Where the name ``text[start:end]`` ends and how sure Kiwi's morphemes make us that it is
    one (0 = not a name).

    With ``trim`` (after a label, where the end is a guess) trailing particles and endings Kiwi
    finds are cut off: 정보를 → 정보, then judged as a word.
    """
    from tuneloop.text.korean import morphemes

    # Kiwi reads the candidate's whole word (…입니다 included) and a little of what precedes it.
    left = max(0, start - 6)
    right = _WORD_END.search(text, end)
    window = text[left : right.start() if right else len(text)]
    offset, length = start - left, end - start
    pieces: list[Morpheme] = []
    for morpheme in morphemes(window):
        if morpheme.end <= offset:
            continue
        if morpheme.start >= offset + length:
            break
        pieces.append(
            Morpheme(morpheme.form, morpheme.tag, morpheme.start - offset, morpheme.end - offset)
        )
    if not pieces or pieces[0].start != 0 or pieces[-1].end != length:
        return end, 0.0  # a morpheme runs past the candidate: 하나님, 고객센터 …
    while trim and len(pieces) > 1 and pieces[-1].tag.startswith(_PARTICLES):
        pieces.pop()
    end = start + pieces[-1].end
    return end, _judge(pieces, compound=text[start : start + 2] in _COMPOUND)


def _judge(pieces: list[Morpheme], *, compound: bool) -> float:
    """The score for a candidate Kiwi split into ``pieces`` (offsets from its start)."""
    length = pieces[-1].end
    if not 2 <= length <= 4:
        return 0.0
    if len(pieces) == 1:
        if pieces[0].tag == "NNP":
            return 0.85
        # Kiwi's guess for a name it does not know: one noun, three syllables (남궁/제갈… four).
        return 0.6 if pieces[0].tag == "NNG" and length == (4 if compound else 3) else 0.0
    if pieces[-1].tag.startswith("XS") and pieces[-2].end - pieces[-2].start >= 2:
        return 0.0  # a word plus a suffix: 이용+자, 방문+객
    if pieces[0].tag == "NNP" and all(p.tag in _NOUNS or len(p.form) == 1 for p in pieces):
        return 0.7
    if all(p.tag in _NOUNS for p in pieces) and any(p.end - p.start == 1 for p in pieces):
        return 0.7  # 한지/NNG 민/NNG
    if all(p.end - p.start <= 2 for p in pieces):
        return 0.6  # 허나/MAJ 경/NNG, 이/MM 아/NNG: Kiwi guessing at a name it does not know
    return 0.0
