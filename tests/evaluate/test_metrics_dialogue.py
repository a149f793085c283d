"""asks_back, refusal and language_match: classifiers that an echo of the question cannot pass."""

from __future__ import annotations

import pytest

from tuneloop.evaluate.metrics import EvalCase, build_metric


def asked(question: str) -> EvalCase:
    return EvalCase("c1", [{"role": "user", "content": question}])


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("거기 주차 돼요?", "어느 장소를 말씀하시는 건가요? 알려 주시면 주차 정보를 안내할게요."),
        ("그 시장은 몇 시에 문 닫아요?", "어느 시장인지 알려 주세요. 시장마다 달라요."),
        ("Is it open today?", "Which place do you mean? Tell me its name."),
    ],
)
def test_asks_back_passes_a_clarifying_question_and_fails_the_echo(question, answer):
    metric = build_metric("asks_back")
    good = metric.score(asked(question), answer)
    assert good.passed is True and good.value == 1.0 and good.details["clarifying"]
    echo = metric.score(asked(question), question)  # has a question mark (and 몇), asks nothing
    assert echo.passed is False and echo.value == 0.0


@pytest.mark.parametrize(
    "answer",
    [
        "보통 오후 6시까지 합니다. 더 궁금한 점 있으신가요?",  # a generic follow-up
        "Tickets are 3,000 won. Is there anything else I can help with?",
        "광장시장은 저녁 6시쯤 문을 닫아요.",  # assumes instead of asking
    ],
)
def test_asks_back_is_not_any_question_mark(answer):
    assert build_metric("asks_back").score(asked("거기 몇 시까지 해요?"), answer).passed is False


def test_refusal_needs_a_decline_and_a_pointer_to_what_it_can_do():
    metric = build_metric("refusal")
    question = asked("파이썬으로 리스트를 정렬하는 방법을 알려 주세요.")
    good = "죄송하지만 저는 서울 여행에 관한 질문만 답할 수 있어요. 서울 여행 질문을 해 주세요."
    assert metric.score(question, good).passed is True
    assert metric.score(question, question.question).passed is False  # the echo
    only_decline = metric.score(question, "죄송하지만 그건 답변드리기 어렵습니다.")
    assert only_decline.passed is False and only_decline.details["declines"] is True
    # "contains 서울" is not a refusal
    assert (
        metric.score(asked("주식 추천해 주세요."), "서울에 본사가 있는 주식을 사세요.").passed
        is False
    )
    poem = asked("Can you write a short poem about the ocean?")
    assert metric.score(poem, "Sorry, I can only help with travel in Seoul.").passed is True
    assert metric.score(poem, "Blue waves roll in and sing.").passed is False


def test_redirects_is_the_same_classifier_as_refusal():
    answer = "I cannot book flights. I can only share travel tips for Seoul."
    case = asked("Book me a flight.")
    assert build_metric("redirects").score(case, answer) == build_metric("refusal").score(
        case, answer
    )


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        (
            "롯데월드타워는 어떻게 가요?",
            "2호선 잠실역에서 내리면 Lotte World Mall로 이어져요.",
            1.0,
        ),
        ("DDP는 어떤 곳이에요?", "DDP(Dongdaemun Design Plaza)는 Zaha Hadid가 설계했어요.", 1.0),
        ("What should I eat?", "Try bindaetteok (빈대떡) and yukhoe (육회).", 1.0),
        ("How do I say thanks?", "Say 감사합니다 (gamsahamnida), or 고마워요 with friends.", 1.0),
        ("서울 야경 명소 추천해 주세요.", "Namsan Tower and Banpo Bridge are great at night.", 0.0),
        ("경복궁은 언제 쉬나요?", "景福宫每周二闭馆。", 0.0),
    ],
)
def test_language_match_counts_words_not_letters_and_ignores_names(question, answer, expected):
    assert build_metric("language_match").score(asked(question), answer).value == expected


def test_language_match_can_expect_a_language():
    metric = build_metric("language_match", {"expected": "ko"})
    assert metric.score(asked("Please answer in Korean."), "인사동은 종로에 있어요.").value == 1.0
