"""Accuracy metrics against hand-computed values, Korean and English."""

from __future__ import annotations

import unicodedata

import pytest

from tuneloop.evaluate.metrics import EvalCase, build_metric


def case(*references: str, question: str = "경복궁은 언제 쉬나요?") -> EvalCase:
    return EvalCase("c1", [{"role": "user", "content": question}], references=references)


GYEONGBOKGUNG = "경복궁은 매주 화요일에 쉽니다"


# --- exact_match -----------------------------------------------------------------------------


def test_exact_match_ignores_case_spacing_and_trailing_punctuation():
    metric = build_metric("exact_match")
    assert metric.score(case("경복궁은  매주 화요일에 쉽니다"), GYEONGBOKGUNG + ".").value == 1.0
    assert metric.score(case("gyeongbokgung"), "  Gyeongbokgung!  ").value == 1.0


def test_exact_match_treats_decomposed_hangul_as_equal():
    decomposed = unicodedata.normalize("NFD", GYEONGBOKGUNG)
    assert decomposed != GYEONGBOKGUNG
    assert build_metric("exact_match").score(case(GYEONGBOKGUNG), decomposed).value == 1.0


def test_exact_match_keeps_korean_sentence_endings_distinct():
    # 쉽니다 (formal) and 쉬어요 (polite informal) say the same thing but are not the same string.
    assert (
        build_metric("exact_match")
        .score(case(GYEONGBOKGUNG), "경복궁은 매주 화요일에 쉬어요")
        .value
        == 0.0
    )


def test_exact_match_takes_any_matching_reference():
    score = build_metric("exact_match").score(case("월요일", "화요일"), "화요일")
    assert score.value == 1.0
    assert score.details["reference"] == 1


# --- token_f1 --------------------------------------------------------------------------------


def test_token_f1_on_korean_morphemes():
    # output    경복궁 은 화요일 에 쉬 ᆸ니다          (6 morphemes)
    # reference 경복궁 은 매주 화요일 에 쉬 ᆸ니다     (7 morphemes)
    # overlap 6: P = 6/6, R = 6/7, F1 = 2·1·(6/7) / (1 + 6/7) = 12/13
    score = build_metric("token_f1").score(case(GYEONGBOKGUNG), "경복궁은 화요일에 쉽니다")
    assert score.value == pytest.approx(12 / 13)
    assert score.details["precision"] == pytest.approx(1.0)
    assert score.details["recall"] == pytest.approx(6 / 7)


def test_token_f1_matches_words_whatever_particle_they_carry():
    # 경복궁이 vs 경복궁은: morphemes 경복궁 이 화요일 에 쉬 ᆸ니다 vs 경복궁 은 화요일 에 쉬 ᆸ니다,
    # overlap 5 of 6 on both sides: F1 = 5/6 (whitespace words would share only 2 of 3: 2/3).
    score = build_metric("token_f1").score(
        case("경복궁은 화요일에 쉽니다"), "경복궁이 화요일에 쉽니다"
    )
    assert score.value == pytest.approx(5 / 6)


def test_token_f1_content_only_ignores_particles_and_endings():
    # wrong day. All morphemes: 경복궁 은 월요일 에 쉬 ᆸ니다 vs the 7 of the reference, overlap 5:
    #   P = 5/6, R = 5/7, F1 = 2·(25/42) / (65/42) = 10/13 — particles prop up a wrong answer.
    # content only: 경복궁 월요일 쉬 vs 경복궁 매주 화요일 쉬, overlap 2:
    #   P = 2/3, R = 2/4, F1 = 2·(1/3) / (7/6) = 4/7
    wrong = "경복궁은 월요일에 쉽니다"
    assert build_metric("token_f1").score(case(GYEONGBOKGUNG), wrong).value == pytest.approx(
        10 / 13
    )
    content = build_metric("token_f1", {"content_only": True})
    assert content.score(case(GYEONGBOKGUNG), wrong).value == pytest.approx(4 / 7)
    # right day, content only: 경복궁 화요일 쉬 vs 경복궁 매주 화요일 쉬: P = 1, R = 3/4, F1 = 6/7
    assert content.score(case(GYEONGBOKGUNG), "경복궁은 화요일에 쉽니다").value == pytest.approx(
        6 / 7
    )


def test_token_f1_on_english_words():
    # gyeongbokgung closes on tuesdays  vs  gyeongbokgung is closed on tuesdays
    # overlap {gyeongbokgung, on, tuesdays} = 3: P = 3/4, R = 3/5, F1 = 2·(9/20) / (27/20) = 2/3
    score = build_metric("token_f1").score(
        case("Gyeongbokgung is closed on Tuesdays."), "Gyeongbokgung closes on Tuesdays"
    )
    assert score.value == pytest.approx(2 / 3)


def test_token_f1_splits_english_words_inside_korean_text_as_words():
    # Kiwi alone splits "Tuesdays." into Tue + sdays.; the metric keeps it one word, so
    # 경복궁 은 tuesdays (output) matches 경복궁 은 tuesdays 에 (reference):
    # P = 1, R = 3/4, F1 = 6/7
    score = build_metric("token_f1").score(case("경복궁은 Tuesdays에"), "경복궁은 Tuesdays.")
    assert score.value == pytest.approx(6 / 7)


def test_token_f1_takes_the_best_reference():
    score = build_metric("token_f1").score(
        case("명동은 쇼핑 거리입니다", GYEONGBOKGUNG), "경복궁은 화요일에 쉽니다"
    )
    assert score.value == pytest.approx(12 / 13)
    assert score.details["reference"] == 1


def test_token_f1_edge_cases():
    metric = build_metric("token_f1")
    assert metric.score(case(GYEONGBOKGUNG), "").value == 0.0
    assert metric.score(case(""), "").value == 1.0  # both empty: SQuAD counts it a match
    assert metric.score(case(""), GYEONGBOKGUNG).value == 0.0
    missing = metric.score(case(), GYEONGBOKGUNG)
    assert missing.value == 0.0
    assert "no references" in missing.details["error"]


# --- rouge_l ---------------------------------------------------------------------------------


def test_rouge_l_on_korean_morphemes():
    # the output's 6 morphemes are a subsequence of the reference's 7: LCS = 6,
    # P = 1, R = 6/7, F = 12/13 (as token F1, since the order agrees)
    metric = build_metric("rouge_l")
    assert metric.score(case(GYEONGBOKGUNG), "경복궁은 화요일에 쉽니다").value == pytest.approx(
        12 / 13
    )


def test_rouge_l_punishes_word_order_that_token_f1_ignores():
    # 화요일 에 경복궁 은 쉬 ᆸ니다 vs 경복궁 은 매주 화요일 에 쉬 ᆸ니다:
    # LCS = 4 (경복궁 은 쉬 ᆸ니다, or 화요일 에 쉬 ᆸ니다): P = 4/6, R = 4/7,
    # F = 2·(16/42) / (52/42) = 8/13; token F1 sees the same bag: 12/13
    reordered = "화요일에 경복궁은 쉽니다"
    assert build_metric("rouge_l").score(case(GYEONGBOKGUNG), reordered).value == pytest.approx(
        8 / 13
    )
    assert build_metric("token_f1").score(case(GYEONGBOKGUNG), reordered).value == pytest.approx(
        12 / 13
    )


def test_rouge_l_on_english_words():
    # on tuesdays gyeongbokgung closes  vs  gyeongbokgung is closed on tuesdays:
    # LCS = 2 (on tuesdays): P = 2/4, R = 2/5, F = 2·(1/5) / (9/10) = 4/9
    score = build_metric("rouge_l").score(
        case("Gyeongbokgung is closed on Tuesdays."), "On Tuesdays Gyeongbokgung closes"
    )
    assert score.value == pytest.approx(4 / 9)


def test_rouge_l_edge_cases_and_best_reference():
    metric = build_metric("rouge_l")
    assert metric.score(case(GYEONGBOKGUNG), "").value == 0.0
    assert metric.score(case("", GYEONGBOKGUNG), "").value == 1.0
    assert metric.score(case("명동", GYEONGBOKGUNG), GYEONGBOKGUNG).value == pytest.approx(1.0)


# --- chrf ------------------------------------------------------------------------------------


def test_chrf_on_hangul_characters():
    # sacrebleu chrF (β = 2, orders averaged where both sides have n-grams):
    # 서울역 vs 서울: n=1 P = 2/3, R = 2/2; n=2 P = 1/2, R = 1/1; n≥3 the reference has none.
    # avg P = 7/12, avg R = 1; F = 5·(7/12)·1 / (4·(7/12) + 1) = (35/12) / (40/12) = 7/8
    assert build_metric("chrf").score(case("서울"), "서울역").value == pytest.approx(7 / 8)


def test_chrf_on_english_characters():
    # cat vs cats: n=1 P = 1, R = 3/4; n=2 P = 1, R = 2/3; n=3 P = 1, R = 1/2; n=4 no hypothesis
    # avg P = 1, avg R = 23/36; F = 5·(23/36) / (4 + 23/36) = 115/167
    assert build_metric("chrf").score(case("cats"), "cat").value == pytest.approx(115 / 167)


def test_chrf_edge_cases_and_best_reference():
    metric = build_metric("chrf")
    assert metric.score(case(GYEONGBOKGUNG), GYEONGBOKGUNG).value == pytest.approx(1.0)
    assert metric.score(case(GYEONGBOKGUNG), "").value == 0.0
    assert metric.score(case(""), "").value == 1.0
    best = metric.score(case("명동", "서울"), "서울역")
    assert best.value == pytest.approx(7 / 8)
    assert best.details["reference"] == 1


def test_chrf_plus_plus_adds_word_ngrams_that_particles_break():
    # 경복궁 vs 경복궁은, characters: n=1 P = 1, R = 3/4; n=2 P = 1, R = 2/3; n=3 P = 1, R = 1/2
    # (chrF = 115/167 as for cat/cats). chrF++ adds word unigrams: 경복궁 ≠ 경복궁은, P = R = 0
    # (word bigrams: none on either side). avg P = 3/4, avg R = (23/12)/4 = 23/48;
    # F = 5·(3/4)·(23/48) / (4·(3/4) + 23/48) = (345/192) / (167/48) = 345/668
    reference = case("경복궁은")
    assert build_metric("chrf").score(reference, "경복궁").value == pytest.approx(115 / 167)
    plus = build_metric("chrf", {"word_order": 2}).score(reference, "경복궁")
    assert plus.value == pytest.approx(345 / 668)
