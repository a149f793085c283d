"""Street addresses (``ADDRESS``): Korean road-name and lot-number addresses, and English ones.

Korean (도로명주소 and 지번주소): ``서울특별시 종로구 세종대로 175``,
``서울 마포구 양화로7길 12``, ``종로구 관철동 123-4``, optionally followed by an apartment
(``○○아파트 101동 1203호``). A match needs a province/city (시/도) or a district (시/군/구)
in front, a road (…로, …길) or a neighbourhood (…동, …리, …가), and a building or lot number:
public landmarks named without a number ("종로구 세종대로에 있는 광화문") are places, not
someone's address. A number followed by a unit (``7016번``, ``2026년``, ``15,000원``,
``3시간``) is not a building number.

English: ``221B Baker Street``, ``1600 Amphitheatre Pkwy, Mountain View, CA``, and romanised
Korean ones such as ``175 Sejong-daero, Jongno-gu, Seoul``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.recognizers.context import cue_pattern, near, word_set
from tuneloop.safety.pii.types import PiiFinding

__all__ = ["AddressRecognizer"]

_SIDO = (
    "서울특별시|서울시|서울|부산광역시|부산시|부산|대구광역시|대구시|대구|인천광역시|인천시|인천|"
    "광주광역시|광주시|광주|대전광역시|대전시|대전|울산광역시|울산시|울산|세종특별자치시|세종시|세종|"
    "경기도|경기|강원특별자치도|강원도|강원|충청북도|충북|충청남도|충남|전북특별자치도|전라북도|전북|"
    "전라남도|전남|경상북도|경북|경상남도|경남|제주특별자치도|제주도|제주"
)
# A number followed by one of these is a count, a price, a time or a bus, not a building.
_NOT_BUILDING = (
    r"(?![\d])(?![,.]\d)"
    r"(?!(?:번(?!지)|년|원|분|명|개|호선|km|m(?![A-Za-z])|미터|시|일|월|세|살|위|%|달러|층|킬로|가|"
    r"박|인|회|차|대|편|호(?!\s?\d)|달|주|곳|군데|정거장|코스|종|가지|번째))"
    # after a space only whole unit words: "양화로 45 명동" is an address, "45 명" is not
    r"(?!\s(?:정거장|코스|km|미터|번째|군데|개월|달러|시간|(?:번|년|원|분|명|개|층|곳|박)(?![가-힣])))"
)
_KR = re.compile(
    r"(?<![가-힣A-Za-z0-9])"
    rf"(?:(?P<sido>{_SIDO})\s+)?"
    r"(?P<sgg>(?:[가-힣]{1,5}(?:시|군|구)\s+){0,2})"
    r"(?:[가-힣]{1,4}(?:읍|면)\s+)?"
    r"(?:(?P<road>[가-힣]{1,10}(?:로|길)(?:\s?\d{1,4}(?:번|[가-하])?길)?)"
    r"|(?P<dong>[가-힣]{1,6}(?:\d{0,2}(?:동|리)|\d{1,2}가)))"
    r"\s?(?:산\s?)?\d{1,5}(?:-\d{1,5})?(?:번지)?"
    + _NOT_BUILDING
    + r"(?P<tail>(?:,?\s?[가-힣A-Za-z0-9]{1,15}(?:아파트|빌라|오피스텔|맨션))?"
    r"(?:,?\s?\d{1,4}동)?(?:,?\s?\d{1,5}호)?)"
)
_KR_HINT = re.compile(r"[로길동리가]\s?\d")
# Words that end in 시/군/구 but are not districts (입구 "entrance", 출구 "exit", 당시 "then" …).
_NOT_DISTRICT = word_set(
    "입구 출구 가구 도시 당시 동시 역시 즉시 표시 항시 전시 개시 무시 연구 요구 친구 도구 지구 "
    "항구 창구 공구 인구 야구 축구 농구 배구 탁구 기구 출시 게시 지시 수시 상시 평시 교시 매시 "
    "정시 제시 감시 잠시 다시 혹시 마시 시구 입시 근무시 관광도시 대도시 소도시 신도시 해군 "
    "공군 육군 국군 장군 대군 아군 적군 미군 구군"
)
# Words ending in 로/길/동/리 that are not roads or neighbourhoods (…으로 "towards", 바로 "right",
# 이동 "moving", 거리 "street/distance" …).
_NOT_PLACE = word_set(
    "바로 새로 서로 주로 별로 따로 홀로 스스로 그대로 이대로 저대로 마음대로 멋대로 실로 도로 "
    "경로 통로 진로 항로 선로 활주로 고속도로 산책로 둘레길 지름길 골목길 가는길 오는길 귀갓길 "
    "밤길 이동 행동 활동 운동 자동 공동 감동 작동 출동 연동 변동 노동 충동 진동 발동 가동 파동 "
    "부동 거리 우리 요리 처리 관리 정리 자리 머리 소리 다리 무리 유리 수리 논리 편리 조리 마리"
)
_EN = re.compile(
    r"(?<![0-9A-Za-z])\d{1,5}[A-Za-z]?\s+(?:[A-Z][A-Za-z'.-]*\s+){1,3}"
    r"(?:(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Parkway|Terrace|Square|"
    r"Highway|Circle)\b|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Pkwy|Ter|Sq|Hwy|Cir)\b\.?)"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[0-9A-Za-z-]+)?"
    r"(?:,\s+[A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+){0,2})?"
    r"(?:,\s+[A-Z]{2}\b(?:\s+\d{5}(?:-\d{4})?)?)?"
    r"|(?<![0-9A-Za-z])\d{1,5}(?:-\d{1,4})?,?\s+[A-Z][a-z]+(?:-[a-z0-9]+)*-(?:daero|ro|gil)\b"
    r"(?:,\s+[A-Z][a-z]+-(?:gu|si|gun)\b)?(?:,\s+Seoul\b)?"
)
_EN_HINT = re.compile(r"\d[A-Za-z]?,?\s+[A-Z]")
_CUES = cue_pattern(
    [
        "주소",
        "배송",
        "거주",
        "자택",
        "사는",
        "살고",
        "우편",
        "address",
        "ship to",
        "deliver",
        "live at",
    ]
)


class AddressRecognizer:
    """Korean and English street addresses with a building (or lot) number."""

    name = "address"
    entities: tuple[str, ...] = ("ADDRESS",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _KR_HINT.search(text) is not None:
            yield from self._korean(text)
        if _EN_HINT.search(text) is not None:
            for match in _EN.finditer(text):
                yield self._finding(text, match.start(), match.end(), 0.7)

    def _korean(self, text: str) -> Iterator[PiiFinding]:
        for match in _KR.finditer(text):
            districts = match.group("sgg").split()
            if any(d in _NOT_DISTRICT for d in districts):
                continue
            place = match.group("road") or match.group("dong")
            if place in _NOT_PLACE or place.endswith("으로"):
                continue
            if match.group("sido"):
                score = 0.8
            elif districts:
                score = 0.65
            else:
                continue
            end = match.end()
            if match.group("tail"):
                score += 0.1
            else:
                end = match.start("tail")
            yield self._finding(text, match.start(), end, score)

    def _finding(self, text: str, start: int, end: int, score: float) -> PiiFinding:
        if near(text, start, end, _CUES, before=30, after=10):
            score += 0.1
        value = text[start:end]
        return PiiFinding("ADDRESS", start, end, min(score, 1.0), self.name, value)
