"""faithfulness and context_recall: hand-computed verdicts on Korean and English answers against
retrieved passages, negation-aware, skipped without sources, registered through the plugin hook."""

from __future__ import annotations

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics import EvalCase, build_metric
from tuneloop.evaluate.metrics.grounding import check_sentences
from tuneloop.text.retrieval import Hit, Passage

GYEONGBOKGUNG = (
    "운영 시간: 11~2월 09:00~17:00. 휴무일: 매주 화요일. 관람료: 성인 3,000원, "
    "한복 착용자는 무료입니다. 3호선 경복궁역 5번 출구에서 걸어서 약 5분."
)
DEOKSUGUNG = "덕수궁 관람 시간은 09:00~21:00입니다. 휴무일: 매주 월요일. 관람료: 성인 1,000원."
TIPPING = (
    "Tipping is not part of everyday life in Korea. Prices in restaurants are final. "
    "Some upscale hotels add a service charge of around 10% to the bill."
)


def hit(text: str, source: str, rank: int = 0, title: str | None = None) -> Hit:
    return Hit(Passage(text, source, 0, len(text), line=3, title=title), 1.0 - rank / 10, rank)


def grounded(*hits: Hit, **fields) -> EvalCase:
    return EvalCase("c1", [{"role": "user", "content": "질문"}], sources=hits, **fields)


KOREAN = grounded(
    hit(GYEONGBOKGUNG, "docs/gyeongbokgung.md", 0, title="경복궁"),
    hit(DEOKSUGUNG, "docs/deoksugung.md", 1),
)


def faithfulness(case: EvalCase, answer: str):
    return build_metric("faithfulness").score(case, answer)


def test_every_supported_sentence_names_its_source():
    score = faithfulness(KOREAN, "경복궁 입장료는 3,000원이에요. 덕수궁은 월요일에 쉬어요.")
    assert score.value == 1.0
    assert [s["sources"] for s in score.details["supported"]] == [[1], [2]]
    assert score.details["unsupported"] == []


def test_a_wrong_number_or_day_is_unsupported_and_listed():
    # 2 checkable sentences, the second has a price no source states: 1 / 2
    score = faithfulness(KOREAN, "경복궁은 화요일에 쉽니다. 입장료는 5000원이에요.")
    assert score.value == 0.5
    unsupported = {"sentence": "입장료는 5000원이에요.", "missing": ["5000원"]}
    assert score.details["unsupported"] == [unsupported]
    assert faithfulness(KOREAN, "경복궁은 월요일에 쉽니다.").value == 0.0


def test_negation_flips_support_both_ways():
    assert faithfulness(KOREAN, "한복을 입으면 무료예요.").value == 1.0
    assert faithfulness(KOREAN, "한복을 입어도 무료가 아닙니다.").value == 0.0
    denied = grounded(hit("창경궁은 한복을 입어도 무료가 아닙니다.", "docs/changgyeonggung.md"))
    assert faithfulness(denied, "한복을 입으면 무료예요.").value == 0.0
    assert faithfulness(denied, "한복을 입어도 무료는 아니에요.").value == 1.0


def test_numbers_are_compared_by_value_and_with_their_unit():
    assert faithfulness(KOREAN, "경복궁 입장료는 3천 원입니다.").value == 1.0
    assert faithfulness(KOREAN, "겨울에는 오후 5시에 문을 닫아요.").value == 1.0  # 17:00
    # "3번" is not in "3호선 경복궁역 5번 출구"
    assert faithfulness(KOREAN, "경복궁역 3번 출구로 나오세요.").value == 0.0
    assert faithfulness(KOREAN, "3호선 경복궁역 5번 출구로 나오세요.").value == 1.0


def test_a_sentence_must_be_supported_by_one_passage():
    # 덕수궁 is in passage 2, 화요일 in passage 1: recombined, not supported
    assert faithfulness(KOREAN, "덕수궁은 화요일에 쉽니다.").value == 0.0
    # but each comma-separated part may come from its own passage
    score = faithfulness(KOREAN, "경복궁은 화요일에, 덕수궁은 월요일에 쉬어요.")
    assert score.value == 1.0
    assert score.details["supported"][0]["sources"] == [1, 2]


def test_a_hallucinated_extra_sentence_lowers_the_share():
    answer = "경복궁은 화요일에 쉽니다. 야간 개장은 밤 10시까지 해요. 한복은 무료예요."
    score = faithfulness(KOREAN, answer)
    assert score.value == pytest.approx(2 / 3)
    assert [u["sentence"] for u in score.details["unsupported"]] == ["야간 개장은 22시까지 해요."]


def test_greetings_and_questions_are_neutral():
    answer = "경복궁은 화요일에 쉽니다. 즐거운 여행 되세요! 또 궁금한 점이 있나요?"
    score = faithfulness(KOREAN, answer)
    assert score.value == 1.0
    assert score.details["checked"] == 1
    assert score.details["neutral"] == ["즐거운 여행 되세요!", "또 궁금한 점이 있나요?"]
    nothing = faithfulness(KOREAN, "도움이 되었길 바랍니다.")
    assert nothing.value == 1.0 and nothing.details["checked"] == 0


def test_english_answers_are_checked_the_same_way():
    case = grounded(hit(TIPPING, "docs/tipping.md"))
    assert faithfulness(case, "Hotels may add a service charge of about 10%.").value == 1.0
    assert faithfulness(case, "Hotels add a service charge of about 20%.").value == 0.0
    assert faithfulness(case, "Tipping is part of everyday life in Korea.").value == 0.0
    assert faithfulness(case, "Have a nice trip!").details["checked"] == 0


def test_an_empty_answer_claims_nothing():
    for answer in ("", "   ", "..."):
        score = faithfulness(KOREAN, answer)
        assert score.value == 1.0 and score.details["checked"] == 0


def test_no_sources_is_skipped_not_zero():
    score = faithfulness(EvalCase("c1", [{"role": "user", "content": "q"}]), "3000원이에요.")
    assert score.value == 1.0 and "skipped" in score.details
    recall = build_metric("context_recall").score(EvalCase("c1", []), "")
    assert recall.value == 1.0 and "skipped" in recall.details


def test_check_sentences_reports_each_verdict():
    verdicts = check_sentences("경복궁은 화요일에 쉽니다. 안녕히 가세요.", KOREAN.sources)
    assert [v.status for v in verdicts] == ["supported", "neutral"]
    assert verdicts[0].terms[:2] == ("경복궁", "화요일")


def context_recall(case: EvalCase):
    return build_metric("context_recall").score(case, "the answer is not read")


def test_context_recall_with_facts_is_the_share_found_with_the_right_polarity():
    score = context_recall(grounded(*KOREAN.sources, facts=(("화요일",), ("2000원",))))
    assert score.value == 0.5
    assert score.details["rule"] == "facts"
    assert score.details["found"] == {"화요일": [1]}
    assert score.details["missing"] == ["2000원"]
    denied = grounded(hit("창경궁은 한복을 입어도 무료가 아닙니다.", "c.md"), facts=(("무료",),))
    assert context_recall(denied).value == 0.0


def test_context_recall_with_a_gold_document_asks_whether_it_was_retrieved():
    found = context_recall(grounded(*KOREAN.sources, meta={"source": "docs/deoksugung.md"}))
    assert found.value == 1.0
    assert found.details["rule"] == "source" and found.details["sources"] == [2]
    missed = context_recall(grounded(*KOREAN.sources, meta={"source": "docs/taxi.md"}))
    assert missed.value == 0.0
    # a gold path relative to another folder still matches the passage's source
    assert context_recall(grounded(*KOREAN.sources, meta={"source": "deoksugung.md"})).value == 1.0


def test_context_recall_falls_back_to_the_references_key_terms():
    case = grounded(*KOREAN.sources, references=("덕수궁 입장료는 1,000원이고 4호선으로 가요.",))
    score = context_recall(case)
    assert score.details["rule"] == "key_terms"
    assert score.value == pytest.approx(2 / 3)  # 덕수궁, 1000원 found; 4호선 missing
    assert score.details["missing"] == ["4호선"]
    bare = context_recall(grounded(*KOREAN.sources, references=("좋은 하루 되세요.",)))
    assert "skipped" in bare.details


def test_both_metrics_take_no_parameters():
    for name in ("faithfulness", "context_recall"):
        with pytest.raises(InvalidRequest, match="unknown parameter"):
            build_metric(name, {"threshold": 0.5})
