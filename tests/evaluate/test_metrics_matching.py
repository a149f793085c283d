"""Reference matching metrics: OpenAI ``string_check`` / ``fuzzy_match`` and ``openai/evals``
``Match`` / ``Includes`` / ``FuzzyMatch`` / ``JsonMatch`` semantics, computed by hand."""

from __future__ import annotations

import unicodedata

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics import EvalCase, build_metric
from tuneloop.evaluate.metrics.matching import char_similarity, json_equal, squad_normalize


def case(*references: str) -> EvalCase:
    return EvalCase("c1", [{"role": "user", "content": "질문"}], references=references)


def check(name: str, output: str, *references: str, **params):
    return build_metric(name, params).score(case(*references), output)


def test_equals_is_exact_and_case_sensitive_like_string_check_eq():
    assert check("equals", "화요일", "화요일").passed is True
    assert check("equals", "화요일.", "화요일").passed is False  # exact_match would pass this
    assert check("equals", "Seoul", "seoul").passed is False
    assert check("equals", "Seoul", "seoul", case_sensitive=False).passed is True
    score = check("equals", "Busan", "Seoul", "Busan")
    assert (score.value, score.passed, score.details["matched"]) == (1.0, True, ["Busan"])


def test_equals_matches_decomposed_hangul():
    assert check("equals", unicodedata.normalize("NFD", "경복궁"), "경복궁").passed is True


def test_not_equals_passes_only_when_no_reference_is_equal():
    assert check("not_equals", "월요일", "화요일").passed is True
    failed = check("not_equals", "화요일", "월요일", "화요일")
    assert (failed.value, failed.passed) == (0.0, False)


def test_a_fixed_value_replaces_the_case_references():
    metric = build_metric("equals", {"value": "yes"})
    assert metric.score(case("no"), "yes").passed is True
    assert metric.score(case("yes"), "no").passed is False


def test_includes_is_like_and_ilike():
    assert check("includes", "경복궁은 매주 화요일에 쉽니다.", "화요일").passed is True
    assert check("includes", "Closed on TUESDAY", "Tuesday").passed is False  # like
    assert check("includes", "Closed on TUESDAY", "Tuesday", case_sensitive=False).passed is True
    assert check("includes", "월요일에 쉽니다", "화요일", "수요일").passed is False


def test_starts_with_is_openai_evals_match():
    assert check("starts_with", "B) 경복궁", "B").passed is True
    assert check("starts_with", "정답은 B", "B").passed is False
    assert check("starts_with", " B", "B").passed is False  # no strip, as record_and_check_match
    assert check("starts_with", "yes, it is", "No", "yes").details["matched"] == ["yes"]


def test_squad_normalize_drops_case_punctuation_and_articles_but_keeps_hangul():
    assert squad_normalize("The  N Seoul Tower!") == "n seoul tower"
    assert squad_normalize("경복궁은, 화요일에 쉽니다.") == "경복궁은 화요일에 쉽니다"


def test_fuzzy_contains_checks_containment_both_ways_after_normalising():
    assert check("fuzzy_contains", "It is the Namsan cable car.", "namsan cable car").passed
    assert check("fuzzy_contains", "경복궁", "경복궁 근정전").passed  # reference contains answer
    assert check("fuzzy_contains", "창덕궁", "경복궁").passed is False
    assert check("fuzzy_contains", "...", "답").passed is False  # empty after normalising
    assert check("fuzzy_contains", "!!", "?").passed is True  # both empty


def test_json_equal_compares_structure_and_keeps_booleans_apart_from_numbers():
    assert json_equal({"a": [1, {"b": "서울"}]}, {"a": [1, {"b": "서울"}]})
    assert not json_equal({"a": 1}, {"a": 1, "b": None})
    assert not json_equal([1, 2], [2, 1])
    assert not json_equal(True, 1)
    assert json_equal(1, 1.0)


def test_json_match_reads_fenced_json_and_fails_on_prose():
    ref = '{"역": "경복궁역", "호선": 3}'
    fenced = '```json\n{"호선": 3, "역": "경복궁역"}\n```'
    assert check("json_match", fenced, ref).passed is True
    assert check("json_match", '{"역": "안국역", "호선": 3}', ref).passed is False
    prose = check("json_match", "경복궁역입니다", ref)
    assert prose.passed is False and "not JSON" in prose.details["error"]


def test_json_match_with_a_reference_that_is_not_json_is_an_error_not_a_pass():
    score = check("json_match", "{}", "not json")
    assert score.passed is False and "not JSON" in score.details["error"]
    with pytest.raises(InvalidRequest, match="not JSON"):
        build_metric("json_match", {"value": "{oops"})


def test_char_similarity_is_rapidfuzz_ratio():
    # kitten / sitting: LCS "ittn" = 4 → 2·4 / 13 (rapidfuzz fuzz.ratio gives 61.54)
    assert char_similarity("kitten", "sitting") == pytest.approx(8 / 13)
    # 경복궁 / 경복궁은: LCS 3 → 6 / 7
    assert char_similarity("경복궁", "경복궁은") == pytest.approx(6 / 7)
    assert char_similarity("", "") == 1.0
    assert char_similarity("a", "") == 0.0


def test_fuzzy_match_keeps_the_best_reference_and_is_case_sensitive_by_default():
    score = check("fuzzy_match", "경복궁", "창덕궁", "경복궁은")
    assert score.value == pytest.approx(6 / 7) and score.details["reference"] == 1
    assert score.passed is None  # a score for a threshold, not an assertion
    assert check("fuzzy_match", "SEOUL", "seoul").value == 0.0
    assert check("fuzzy_match", "SEOUL", "seoul", case_sensitive=False).value == 1.0


def test_a_case_without_references_fails_with_an_error():
    for name in ("equals", "includes", "starts_with", "fuzzy_contains", "json_match"):
        score = check(name, "답")
        assert score.passed is False and "no references" in score.details["error"], name


def test_bad_params_are_named():
    with pytest.raises(InvalidRequest, match="both given"):
        build_metric("includes", {"value": "a", "values": ["b"]})
    with pytest.raises(InvalidRequest, match="case_sensitive"):
        build_metric("fuzzy_contains", {"case_sensitive": True})
