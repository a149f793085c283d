"""Each built-in recognizer: what it must find and, as much, what it must leave alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tuneloop.safety.pii import PiiScanner
from tuneloop.safety.pii.recognizers.card import luhn_ok
from tuneloop.safety.pii.recognizers.rrn import rrn_checksum_ok, valid_birth_date

Entities = Callable[[str], list[tuple[str, str]]]

# 900101-123456X: the pre-2020 check digit of 900101-123456 is 8.
RRN_VALID = "900101-1234568"
RRN_BAD_CHECKSUM = "900101-1234567"


def test_rrn_checksum_helper_matches_the_published_formula() -> None:
    assert rrn_checksum_ok(RRN_VALID.replace("-", ""))
    assert not rrn_checksum_ok(RRN_BAD_CHECKSUM.replace("-", ""))


def test_rrn_with_valid_checksum_scores_higher_than_without(scanner: PiiScanner) -> None:
    valid = scanner.analyze(f"번호 {RRN_VALID}")
    post_2020 = scanner.analyze(f"번호 {RRN_BAD_CHECKSUM}")
    assert [f.entity for f in valid] == ["KR_RRN"]
    # Numbers issued since October 2020 have no check digit: still found, with less confidence.
    assert [f.entity for f in post_2020] == ["KR_RRN"]
    assert valid[0].score > post_2020[0].score


@pytest.mark.parametrize(
    "text",
    [
        "주민등록번호는 900101-1234568입니다",
        "Korean RRN: 021231-3123456.",
        "번호 9001011234568 확인",  # no hyphen, clearly delimited
    ],
)
def test_rrn_is_found_in_korean_and_english_text(
    entities: Entities, scanner: PiiScanner, text: str
) -> None:
    assert [e for e, _ in entities(text)] == ["KR_RRN"]


@pytest.mark.parametrize(
    "text",
    [
        "901301-1234567",  # month 13
        "900230-1234567",  # 30 February
        "900101-9234567",  # gender digit 9
        "900101-0234567",  # gender digit 0
        "991231-3234567",  # 2099: a birth date in the future
        "A9001011234568",  # glued to a letter: part of a code
        "19001011234568",  # 14 digits
    ],
)
def test_rrn_with_impossible_date_or_gender_is_not_reported(scanner: PiiScanner, text: str) -> None:
    assert not any(f.entity in ("KR_RRN", "KR_FRN") for f in scanner.analyze(text))


def test_birth_date_rules_follow_the_century_of_the_gender_digit() -> None:
    assert valid_birth_date("000229", "3")  # 2000 was a leap year
    assert not valid_birth_date("010229", "3")
    assert valid_birth_date("991231", "1")  # 1999
    assert not valid_birth_date("991231", "3")  # 2099


def test_foreigner_registration_number_is_its_own_entity(scanner: PiiScanner) -> None:
    found = scanner.analyze("외국인등록번호 900101-5234567로 등록")
    assert [f.entity for f in found] == ["KR_FRN"]
    assert found[0].text == "900101-5234567"


@pytest.mark.parametrize(
    "text,value",
    [
        ("연락처 010-1234-5678로 문자 주세요", "010-1234-5678"),
        ("전화 01012345678", "01012345678"),
        ("+82 10-1234-5678 으로 연락", "+82 10-1234-5678"),
        ("call +82-10-1234-5678", "+82-10-1234-5678"),
        ("문의 02-123-4567", "02-123-4567"),
        ("031-1234-5678번으로", "031-1234-5678"),
        ("Call me at (555) 123-4567 tonight", "(555) 123-4567"),
        ("US cell +1 555 123 4567", "+1 555 123 4567"),
    ],
)
def test_phone_numbers_korean_and_north_american(entities: Entities, text: str, value: str) -> None:
    assert entities(text) == [("PHONE", value)]


@pytest.mark.parametrize(
    "text",
    ["고객센터 1588-1234", "1577-1234로 전화", "대표번호 1644-5678", "Hotline 1330 for help"],
)
def test_business_numbers_are_not_personal_phones(scanner: PiiScanner, text: str) -> None:
    assert scanner.analyze(text) == []


def test_card_requires_luhn(entities: Entities, scanner: PiiScanner) -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert entities("카드 4111 1111 1111 1111 결제") == [("CARD", "4111 1111 1111 1111")]
    assert entities("card 4111-1111-1111-1111") == [("CARD", "4111-1111-1111-1111")]
    assert scanner.analyze("카드 4111 1111 1111 1112 결제") == []
    assert scanner.analyze("order 4111-1111-1111-1112") == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("국민은행 123-45-678901 으로 입금해 주세요", "123-45-678901"),
        ("신한 1101-234-567890 계좌", "1101-234-567890"),
        ("예금주 확인 후 302-123456-12-123 송금", "302-123456-12-123"),
        ("Please wire it to account 123-456-789012", "123-456-789012"),
    ],
)
def test_bank_account_with_context(
    entities: Entities, scanner: PiiScanner, text: str, value: str
) -> None:
    assert ("BANK_ACCOUNT", value) in entities(text)


def test_bank_account_shape_without_banking_words_is_ignored(scanner: PiiScanner) -> None:
    assert scanner.analyze("주문번호 123-45-678901 배송 시작") == []
    assert scanner.analyze("Tracking 1101-234-567890") == []


def test_email(entities: Entities, scanner: PiiScanner) -> None:
    assert entities("hong@example.com으로 보내주세요") == [("EMAIL", "hong@example.com")]
    assert entities("Mail sarah.lee+trip@mail.co.kr.") == [("EMAIL", "sarah.lee+trip@mail.co.kr")]
    assert scanner.analyze("@seoul_travel 계정을 팔로우하세요") == []


def test_passport_context_raises_the_score(scanner: PiiScanner) -> None:
    bare = scanner.analyze("M12345678")
    with_cue = scanner.analyze("여권번호 M12345678")
    english = scanner.analyze("Passport No. M123A4567")
    assert [f.entity for f in bare + with_cue + english] == ["PASSPORT"] * 3
    assert with_cue[0].score > bare[0].score
    assert scanner.analyze("모델명 X12345678") == []


def test_driver_license_numeric_and_region_forms(entities: Entities, scanner: PiiScanner) -> None:
    assert entities("운전면허 11-12-345678-90") == [("KR_DRIVER_LICENSE", "11-12-345678-90")]
    assert entities("면허번호 서울 12-345678-90") == [("KR_DRIVER_LICENSE", "서울 12-345678-90")]


def test_us_ssn_rules(entities: Entities, scanner: PiiScanner) -> None:
    assert entities("My SSN is 123-45-6789.") == [("US_SSN", "123-45-6789")]
    for invalid in ("000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000"):
        assert scanner.analyze(f"SSN {invalid}") == [], invalid


def test_ip_address(entities: Entities, scanner: PiiScanner) -> None:
    assert entities("접속 IP 192.168.0.12 기록") == [("IP_ADDRESS", "192.168.0.12")]
    assert scanner.analyze("version 1.2.3.4.5") == []
    assert scanner.analyze("999.1.1.1") == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("서울특별시 종로구 세종대로 175", "서울특별시 종로구 세종대로 175"),
        ("주소는 서울 마포구 양화로 45입니다", "서울 마포구 양화로 45"),
        ("마포구 양화로7길 12에 있어요", "마포구 양화로7길 12"),
        ("종로구 관철동 123-4 번지", "종로구 관철동 123-4"),
        (
            "배송지: 서울 강남구 테헤란로 152 래미안아파트 101동 1203호",
            "서울 강남구 테헤란로 152 래미안아파트 101동 1203호",
        ),
        ("I live at 221B Baker Street.", "221B Baker Street"),
        (
            "Ship to 1600 Amphitheatre Pkwy, Mountain View, CA",
            "1600 Amphitheatre Pkwy, Mountain View, CA",
        ),
        ("Office: 175 Sejong-daero, Jongno-gu, Seoul", "175 Sejong-daero, Jongno-gu, Seoul"),
    ],
)
def test_street_addresses(entities: Entities, scanner: PiiScanner, text: str, value: str) -> None:
    assert entities(text) == [("ADDRESS", value)]


@pytest.mark.parametrize(
    "text",
    [
        "종로구 세종대로에 있는 광화문은 서울의 대표 명소입니다",  # landmark, no building number
        "마포구 방향으로 2 정거장 가세요",
        "강남구 테헤란로 7016번 버스",
        "종로구 관철동 2026년 축제",
        "Take the subway to Main Street station",
    ],
)
def test_places_without_a_building_number_are_not_addresses(scanner: PiiScanner, text: str) -> None:
    assert scanner.analyze(text) == []


@pytest.mark.parametrize(
    "text,name",
    [
        ("김민수 님, 안녕하세요", "김민수"),
        ("박지성 씨가 오셨어요", "박지성"),
        ("이서연 고객님 예약 확인되었습니다", "이서연"),
        ("예약자는 김민수입니다", "김민수"),
        ("성함: 최유리", "최유리"),
        ("예금주 정하늘", "정하늘"),
        ("신한은행 예금주 박하늘 맞나요?", "박하늘"),
        ("남궁민수 씨 체크인", "남궁민수"),
        ("My name is John Smith.", "John Smith"),
        ("Mr. Kim will meet you at the gate", "Kim"),
        ("Guest name: Emily Clark", "Emily Clark"),
    ],
)
def test_person_names_after_cues(
    entities: Entities, scanner: PiiScanner, text: str, name: str
) -> None:
    assert entities(text) == [("PERSON", name)]


@pytest.mark.parametrize(
    "text",
    [
        "세종대왕 동상 앞에서 사진을 찍었어요",
        "이순신 장군 동상이 광화문에 있습니다",
        "유관순 열사님의 생가",
        "고객님 감사합니다",
        "선생님께 여쭤보세요",
        "담당자가 안내해 드립니다",
        "담당자가 명동 가는 길을 안내해 드립니다",
        "예약자 정보를 확인해 주세요",
        "담당자 연락처는 아래에 있습니다",
        "투숙객 안내문을 확인하세요",
        "김치찌개가 맛있어요",  # a surname syllable, no cue
        "This is Gyeongbokgung Palace",
    ],
)
def test_historical_names_and_ordinary_words_are_not_persons(
    scanner: PiiScanner, text: str
) -> None:
    assert [f for f in scanner.analyze(text) if f.entity == "PERSON"] == []


@pytest.mark.parametrize(
    "text",
    [
        "입장료는 15,000원이고 2026년 5월에 개장합니다",
        "운영시간 09:00-18:00, 월요일 휴무",
        "7016번 버스를 타고 3번 출구에서 내리세요",
        "명동역 6번 출구에서 도보 5분, 해발 243m",
        "Tickets cost 3,000 won; open 09:00-18:00 in 2026.",
        "Take bus 7016 and get off at exit 3.",
        "Flight KE123 leaves at 10:30 from gate 45.",
        "지하철 2호선 을지로입구역에서 환승",
    ],
)
def test_travel_numbers_are_not_pii(scanner: PiiScanner, text: str) -> None:
    assert scanner.analyze(text) == []
