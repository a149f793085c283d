"""Agreement with another model's answer: key terms (numbers with units, names), meaning, and
form (JSON, length, language), each read from the case's reference."""

from __future__ import annotations

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics import EvalCase, build_metric, score_all
from tuneloop.evaluate.metrics.agreement import key_terms


def _case(reference: str, question: str = "질문") -> EvalCase:
    return EvalCase("c", [{"role": "user", "content": question}], references=(reference,))


def test_key_terms_are_numbers_with_their_unit_and_names():
    assert key_terms("경복궁은 화요일에 쉬며 입장료는 3,000원, 오전 9시에 엽니다.") == [
        "경복궁",
        "3000원",
        "9시",
    ]
    assert key_terms("인천공항에서 AREX를 타고 4호선으로 명동역에 내리세요.") == [
        "인천공항",
        "AREX",
        "4호선",
        "명동역",
    ]
    assert key_terms("Take AREX to Seoul Station. It costs 9,500 won.") == [
        "AREX",
        "Seoul Station",
        "9500",
    ]


def test_key_terms_finds_the_references_facts_in_other_words_and_misses_changed_numbers():
    metric = build_metric("key_terms")
    case = _case("경복궁 입장료는 성인 3,000원입니다.")
    same = metric.score(case, "어른은 3000원을 내면 경복궁에 들어갈 수 있어요.")
    wrong = metric.score(case, "경복궁 입장료는 5,000원입니다.")
    assert same.value == 1.0
    assert wrong.value == pytest.approx(0.5) and wrong.details["missing"] == ["3000원"]


def test_key_terms_skips_a_reference_without_numbers_or_names():
    score = build_metric("key_terms").score(_case("맛있게 드세요."), "네")
    assert score.value == 1.0 and "skipped" in score.details


def test_same_format_wants_json_exactly_where_the_reference_is_json():
    metric = build_metric("same_format")
    json_case = _case('{"fee": 3000}')
    assert metric.score(json_case, '```json\n{"fee": 3000}\n```').passed is True
    assert metric.score(json_case, "입장료는 3000원입니다.").passed is False
    assert metric.score(_case("입장료는 3000원입니다."), '{"fee": 3000}').passed is False


def test_length_ratio_passes_within_bounds_and_scores_closeness():
    metric = build_metric("length_ratio", {"min": 0.5, "max": 2.0})
    case = _case("가" * 20)
    assert metric.score(case, "나" * 20).value == 1.0
    short = metric.score(case, "나" * 5)
    assert short.passed is False and short.value == pytest.approx(0.25)
    assert metric.score(case, "나" * 30).passed is True
    with pytest.raises(InvalidRequest):
        build_metric("length_ratio", {"max": 0.5})


def test_same_language_compares_with_the_reference_not_the_question():
    metric = build_metric("same_language")
    case = _case("Take the Namsan cable car.", question="남산타워 어떻게 가요?")
    assert metric.score(case, "Ride the cable car from Myeongdong.").passed is True
    assert metric.score(case, "케이블카를 타세요.").passed is False


def test_answer_similarity_ranks_a_paraphrase_above_an_unrelated_answer():
    metric = build_metric("answer_similarity")
    case = _case("성인 기준 3,000원입니다. 한복을 입으면 무료입니다.")
    close, far = score_all(
        metric, [case, case], ["어른은 3000원이고 한복 착용 시 무료예요.", "빈대떡을 꼭 드세요."]
    )
    assert close.value > 0.7 > far.value
    assert close.details["model"] in ("multilingual", "minilm")
