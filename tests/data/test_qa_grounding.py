"""The lexical grounding check: shares of supported content units, exact numbers."""

from __future__ import annotations

import pytest

from tuneloop.data.qa.grounding import assess, content_units, grounding_score, is_grounded

GYEONGBOKGUNG = """# 경복궁
## 운영 시간
- 관람 시간: 09:00~18:00
- 휴무일: 매주 화요일
- 입장료: 3,000원
"""


def test_korean_answer_built_from_the_source_scores_one():
    # units: 경복궁, 휴무일, 매주, 화요일 — all in the source (particles and 입니다 do not count)
    assert content_units("경복궁의 휴무일은 매주 화요일입니다.") == [
        "경복궁",
        "휴무일",
        "매주",
        "화요일",
    ]
    assert grounding_score("경복궁의 휴무일은 매주 화요일입니다.", GYEONGBOKGUNG) == 1.0


def test_korean_compound_split_differently_in_the_source_still_counts():
    # Kiwi reads the source's 휴무일 as 휴무 + 일 in this context; the literal text still matches.
    assert "휴무일" not in content_units(GYEONGBOKGUNG)
    assert grounding_score("휴무일은 매주 화요일입니다.", GYEONGBOKGUNG) == 1.0


def test_korean_answer_with_a_wrong_day_scores_the_supported_share():
    # units: 경복궁 ✓, 매주 ✓, 월요일 ✗, 쉬 ✗ → 2/4
    verdict = assess("경복궁은 매주 월요일에 쉽니다.", "경복궁 휴무일: 매주 화요일")
    assert verdict.score == 0.5
    assert set(verdict.missing) == {"월요일", "쉬"}
    assert not is_grounded("경복궁은 매주 월요일에 쉽니다.", "경복궁 휴무일: 매주 화요일")
    assert is_grounded(
        "경복궁은 매주 월요일에 쉽니다.", "경복궁 휴무일: 매주 화요일", threshold=0.5
    )


def test_a_wrong_hour_lowers_the_score_and_fails_whatever_the_threshold():
    right = assess("관람 시간은 09:00~18:00입니다.", GYEONGBOKGUNG)
    wrong = assess("관람 시간은 10:00~18:00입니다.", GYEONGBOKGUNG)
    assert right.score == 1.0
    assert wrong.score == 0.75  # 관람 ✓ 시간 ✓ 10:00 ✗ 18:00 ✓
    assert wrong.missing_numbers == ("10:00",)
    assert not wrong.grounded(threshold=0.5)
    assert right.grounded(threshold=1.0)


def test_a_wrong_price_is_not_grounded():
    assert grounding_score("경복궁의 입장료는 3,000원입니다.", GYEONGBOKGUNG) == 1.0
    assert grounding_score("경복궁의 입장료는 5,000원입니다.", GYEONGBOKGUNG) == 0.75
    assert not is_grounded("경복궁의 입장료는 5,000원입니다.", GYEONGBOKGUNG)


def test_numbers_compare_whole_not_as_prefixes_and_ignore_thousands_commas():
    assert grounding_score("Admission is 3,000 won.", "Admission: 3000 won") == 1.0
    # units: take ✓, bus ✓, 18 ✗ (the source says 180)
    assert grounding_score("Take bus 18.", "Take bus 180 from the station.") == pytest.approx(2 / 3)
    assert not is_grounded("Take bus 18.", "Take bus 180 from the station.")


def test_english_answers_use_lower_cased_content_words():
    source = "Gyeongbokgung\n- Closed: Tuesdays\n- Admission: 3,000 won"
    # units: gyeongbokgung, closed, tuesdays ("is", "on" are function words)
    assert content_units("Gyeongbokgung is closed on Tuesdays.") == [
        "gyeongbokgung",
        "closed",
        "tuesdays",
    ]
    assert grounding_score("Gyeongbokgung is closed on Tuesdays.", source) == 1.0
    assert grounding_score("Gyeongbokgung is closed on Mondays.", source) == pytest.approx(2 / 3)


def test_an_answer_without_content_is_not_grounded():
    assert grounding_score("네.", GYEONGBOKGUNG) == 0.0
    assert not is_grounded("", GYEONGBOKGUNG)
