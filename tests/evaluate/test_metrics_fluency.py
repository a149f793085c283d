"""Fluency metrics without a model: Korean spacing, repetition, language match."""

from __future__ import annotations

import pytest

from tuneloop.evaluate.metrics import EvalCase, build_metric
from tuneloop.evaluate.metrics.fluency import spaced_gaps


def asked(question: str) -> EvalCase:
    return EvalCase("c1", [{"role": "user", "content": question}])


KO = asked("경복궁은 언제 쉬나요?")
EN = asked("When is Gyeongbokgung closed?")


# --- spacing ---------------------------------------------------------------------------------


def test_spaced_gaps_marks_the_letters_that_follow_whitespace():
    assert spaced_gaps("  경복궁은  매주\n화요일 ") == ("경복궁은매주화요일", {4, 6})


def test_spacing_is_perfect_for_correctly_spaced_korean():
    score = build_metric("spacing").score(KO, "경복궁은 매주 화요일에 쉽니다.")
    assert score.value == 1.0
    assert score.details["missing_spaces"] == score.details["extra_spaces"] == 0


def test_spacing_counts_a_missing_space():
    # letters 경복궁은매주화요일에쉽니다: the output spaces before 화 (6) and 쉽 (10); Kiwi's
    # spacing also before 매 (4). One error over 3 spaced positions: value = 1 − 1/3 = 2/3
    score = build_metric("spacing").score(KO, "경복궁은매주 화요일에 쉽니다")
    assert score.value == pytest.approx(2 / 3)
    assert (score.details["missing_spaces"], score.details["extra_spaces"]) == (1, 0)
    assert score.details["corrected"] == "경복궁은 매주 화요일에 쉽니다"


def test_spacing_counts_extra_spaces():
    # "남산타워는 밤 11시 까지 운영 합니다": spaces before 밤, 11, 까, 운, 합 (5);
    # Kiwi: "남산타워는 밤 11시까지 운영합니다" spaces before 밤, 11, 운 (3).
    # 2 extra spaces over 5 spaced positions: value = 1 − 2/5 = 3/5
    score = build_metric("spacing").score(KO, "남산타워는 밤 11시 까지 운영 합니다")
    assert score.value == pytest.approx(3 / 5)
    assert (score.details["missing_spaces"], score.details["extra_spaces"]) == (0, 2)


def test_spacing_skips_text_without_hangul():
    for output in ("Gyeongbokgung is closed on Tuesdays.", ""):
        score = build_metric("spacing").score(EN, output)
        assert score.value == 1.0
        assert score.details == {"skipped": "no Hangul"}


# --- repetition ------------------------------------------------------------------------------


def test_repetition_of_a_korean_loop():
    # 서울 ×4: trigrams (서울,서울,서울) twice, 1 distinct: repeated share 1 − 1/2 = 1/2.
    # distinct-1 = 1/4, distinct-2 = 1/3 (3 bigrams, 1 distinct)
    score = build_metric("repetition").score(KO, "서울 서울 서울 서울")
    assert score.value == pytest.approx(1 / 2)
    assert score.details["distinct_1"] == pytest.approx(1 / 4)
    assert score.details["distinct_2"] == pytest.approx(1 / 3)


def test_repetition_of_an_english_phrase():
    # i love seoul i love seoul: 4 trigrams, 3 distinct: repeated 1/4, value 3/4
    assert build_metric("repetition").score(
        EN, "I love Seoul. I love Seoul!"
    ).value == pytest.approx(3 / 4)
    # with n = 2: 5 bigrams (i love, love seoul, seoul i, i love, love seoul), 3 distinct: 3/5
    assert build_metric("repetition", {"n": 2}).score(EN, "I love Seoul I love Seoul").value == (
        pytest.approx(3 / 5)
    )


def test_repetition_is_perfect_without_repeats_and_for_short_or_empty_text():
    metric = build_metric("repetition")
    assert metric.score(KO, "경복궁은 매주 화요일에 쉽니다").value == 1.0
    assert metric.score(KO, "네").value == 1.0
    assert metric.score(KO, "").value == 1.0


# --- language_match --------------------------------------------------------------------------


def test_language_match_compares_answer_and_question_languages():
    metric = build_metric("language_match")
    assert metric.score(KO, "경복궁은 매주 화요일에 쉽니다.").value == 1.0
    wrong = metric.score(KO, "Gyeongbokgung is closed on Tuesdays.")
    assert wrong.value == 0.0
    assert wrong.details == {"expected": "ko", "answer": "en"}
    # a Hangul name in an English answer does not make it Korean
    assert metric.score(EN, "Gyeongbokgung (경복궁) is closed on Tuesdays.").value == 1.0
    assert metric.score(EN, "").value == 0.0


def test_language_match_skips_a_question_without_letters():
    score = build_metric("language_match").score(asked("???"), "경복궁")
    assert score.value == 1.0
    assert "skipped" in score.details
