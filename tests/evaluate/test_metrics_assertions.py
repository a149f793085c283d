"""Assertion metrics: pass/fail with 1.0/0.0, explained in details; bad params fail at build."""

from __future__ import annotations

import unicodedata

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics import EvalCase, build_metric

CASE = EvalCase("c1", [{"role": "user", "content": "경복궁 입장료는 얼마예요?"}])


def check(name: str, params: dict, output: str):
    return build_metric(name, params).score(CASE, output)


def test_contains_passes_when_every_value_is_present():
    score = check("contains", {"values": ["경복궁", "3,000원"]}, "경복궁 입장료는 3,000원입니다.")
    assert (score.value, score.passed) == (1.0, True)
    failed = check("contains", {"values": ["경복궁", "화요일"]}, "경복궁 입장료는 3,000원입니다.")
    assert (failed.value, failed.passed) == (0.0, False)
    assert failed.details["missing"] == ["화요일"]


def test_contains_any_mode_needs_one_value():
    params = {"values": ["화요일", "Tuesday"], "mode": "any"}
    assert check("contains", params, "It is closed on Tuesdays.").passed is True
    assert check("contains", params, "It is closed on Mondays.").passed is False


def test_contains_is_case_insensitive_unless_asked():
    assert check("contains", {"value": "N Seoul Tower"}, "n seoul tower opens at 10").passed
    strict = {"value": "N Seoul Tower", "case_sensitive": True}
    assert check("contains", strict, "n seoul tower opens at 10").passed is False


def test_contains_matches_decomposed_hangul():
    output = unicodedata.normalize("NFD", "경복궁은 화요일에 쉽니다")
    assert check("contains", {"value": "화요일"}, output).passed is True


def test_contains_needs_exactly_one_of_value_and_values():
    with pytest.raises(InvalidRequest, match=r"contains.*value"):
        build_metric("contains", {})
    with pytest.raises(InvalidRequest, match="exactly one"):
        build_metric("contains", {"value": "a", "values": ["b"]})
    with pytest.raises(InvalidRequest, match="`mode`"):
        build_metric("contains", {"value": "a", "mode": "most"})


def test_not_contains_fails_on_any_forbidden_value():
    params = {"values": ["주민등록번호", "password"]}
    assert check("not_contains", params, "예약은 전화로 하세요.").passed is True
    failed = check("not_contains", params, "Your PASSWORD is 1234")
    assert (failed.value, failed.passed) == (0.0, False)
    assert failed.details["found"] == ["password"]


def test_regex_searches_the_output():
    hours = {"pattern": r"\d{2}:\d{2}"}
    assert check("regex", hours, "운영 시간은 09:00부터입니다.").passed is True
    assert check("regex", hours, "Opens at nine.").passed is False
    assert check("regex", hours, "운영 시간은 09:00부터입니다.").details["match"] == "09:00"


def test_regex_with_a_bad_pattern_fails_at_build_time():
    with pytest.raises(InvalidRequest, match=r"regex.*pattern.*not a valid regular expression"):
        build_metric("regex", {"pattern": "(unclosed"})


SCHEMA = {
    "type": "object",
    "required": ["place", "fee"],
    "properties": {"place": {"type": "string"}, "fee": {"type": "integer", "minimum": 0}},
}


def test_json_schema_accepts_valid_json_bare_or_in_a_code_fence():
    metric = build_metric("json_schema", {"schema": SCHEMA})
    assert metric.score(CASE, '{"place": "경복궁", "fee": 3000}').passed is True
    fenced = 'JSON입니다:\n```json\n{"place": "경복궁", "fee": 3000}\n```\n감사합니다.'
    assert metric.score(CASE, fenced).passed is True


def test_json_schema_reports_schema_violations_and_parse_errors():
    metric = build_metric("json_schema", {"schema": SCHEMA})
    invalid = metric.score(CASE, '{"place": "경복궁", "fee": "삼천원"}')
    assert (invalid.value, invalid.passed) == (0.0, False)
    assert any(e.startswith("fee:") for e in invalid.details["errors"])
    unparsable = metric.score(CASE, "경복궁 입장료는 3,000원입니다.")
    assert unparsable.passed is False
    assert "not JSON" in unparsable.details["error"]
    broken_fence = metric.score(CASE, '```json\n{"place": "경복궁",}\n```')
    assert "code block is not JSON" in broken_fence.details["error"]


def test_json_schema_rejects_an_invalid_schema_at_build_time():
    with pytest.raises(InvalidRequest, match=r"json_schema.*schema.*not a valid JSON Schema"):
        build_metric("json_schema", {"schema": {"type": "thing"}})


def test_max_length_counts_characters_or_tokens():
    text = "경복궁은 매주 화요일에 쉽니다"  # 16 characters; 7 morphemes
    assert check("max_length", {"chars": 16}, text).passed is True
    assert check("max_length", {"chars": 15}, text).passed is False
    assert check("max_length", {"tokens": 7}, text).passed is True
    too_long = check("max_length", {"tokens": 6}, text)
    assert (too_long.passed, too_long.details["tokens"]) == (False, 7)
    # English words: gyeongbokgung is closed on tuesdays = 5 tokens
    assert check("max_length", {"tokens": 5}, "Gyeongbokgung is closed on Tuesdays.").passed
    assert not check("max_length", {"tokens": 4}, "Gyeongbokgung is closed on Tuesdays.").passed


def test_max_length_needs_a_limit():
    with pytest.raises(InvalidRequest, match=r"max_length.*chars"):
        build_metric("max_length", {})
    with pytest.raises(InvalidRequest, match="whole number"):
        build_metric("max_length", {"chars": "long"})


def test_language_checks_the_dominant_script():
    korean = {"expected": "ko"}
    assert check("language", korean, "N서울타워는 밤 11시까지 운영합니다.").passed is True
    english = check("language", korean, "N Seoul Tower is open until 11 pm.")
    assert (english.passed, english.details["language"]) == (False, "en")
    assert check("language", {"expected": "en"}, "N Seoul Tower is open until 11 pm.").passed
    assert check("language", korean, "").passed is False


def test_language_needs_a_known_language():
    with pytest.raises(InvalidRequest, match="expected"):
        build_metric("language", {})
    with pytest.raises(InvalidRequest, match="ko, en"):
        build_metric("language", {"expected": "ja"})
