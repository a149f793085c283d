"""fact_recall: facts found after Korean normalisation, negation-aware, with file:line errors."""

from __future__ import annotations

import json

import pytest

from tuneloop.errors import DataError, InvalidRecord, InvalidRequest
from tuneloop.evaluate.metrics import EvalCase, build_metric
from tuneloop.evaluate.metrics.analysis import normalise
from tuneloop.evaluate.metrics.facts import recall
from tuneloop.evaluate.suite import parse_suite, read_case_file


def case(question: str, *facts: str | tuple[str, ...]) -> EvalCase:
    wanted = tuple((f,) if isinstance(f, str) else f for f in facts)
    return EvalCase("c1", [{"role": "user", "content": question}], facts=wanted)


@pytest.mark.parametrize(
    "answer",
    [
        "무료가 아닙니다.",
        "무료는 아니에요.",
        "화장실은 무료 이용이 불가합니다.",
        "It is not free.",
        "It isn't free.",
    ],
)
def test_a_negated_fact_is_not_found(answer):
    value, details = recall([("무료",), ("free",)], answer)
    assert value == 0.0
    assert details["negated"] and not details["found"]


@pytest.mark.parametrize(
    "answer",
    [
        "아니요, 반찬은 무료이고 더 달라고 하면 채워 줍니다.",
        "상설 전시는 무료이지만 특별전은 유료입니다.",
        "No, it is free.",
    ],
)
def test_a_stated_fact_is_found_whatever_comes_before_or_after_its_clause(answer):
    value, details = recall([("무료", "free")], answer)
    assert value == 1.0 and details["negated"] == []


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("2000원", "2시간권은 2,000원입니다."),
        ("2000원", "두 시간에 2천 원이에요."),
        ("3000원", "３,０００원"),
        ("9시", "9:00에 문을 엽니다."),
        ("17시", "오후 5시까지 관람할 수 있어요."),
        ("21:00", "It is open until 9 p.m."),
        ("2시간", "두 시간 이용권"),
    ],
)
def test_numbers_and_times_compare_by_value(fact, answer):
    assert recall([(fact,)], answer)[0] == 1.0


def test_numbers_do_not_match_inside_other_numbers():
    assert recall([("1시",)], "11시에 닫아요.")[0] == 0.0
    assert recall([("2000원",)], "12000원입니다.")[0] == 0.0


def test_particles_endings_and_compound_splits_do_not_hide_a_fact():
    assert recall([("임산부 배려석",)], "분홍색 좌석은 임산부를 위한 배려석이에요.")[0] == 1.0
    assert recall([("마약김밥",)], "마약 김밥을 꼭 드셔 보세요.")[0] == 1.0
    assert recall([("Jamsil Station",)], "Take Line 2 to Jamsil station.")[0] == 1.0


def test_a_negative_fact_is_found_only_where_the_answer_negates_it_too():
    fact = [("팁을 주지 않아도", "팁은 안 줘도")]
    assert recall(fact, "한국에서는 팁을 주지 않아도 됩니다.")[0] == 1.0
    assert recall(fact, "팁은 안 줘도 돼요.")[0] == 1.0
    wrong, details = recall(fact, "요금의 10% 정도 팁을 줘야 합니다.")
    assert wrong == 0.0 and details["negated"] == ["팁을 주지 않아도 | 팁은 안 줘도"]


def test_a_fact_only_asked_about_is_not_stated():
    assert recall([("무료",)], "식당 반찬은 무료인가요?")[0] == 0.0
    assert recall([("무료",)], "무료냐고요? 네, 무료입니다.")[0] == 1.0


def test_the_score_is_the_share_of_facts_with_details():
    metric = build_metric("fact_recall")
    answer = "빈대떡은 있지만 육회는 없어요."  # 지만 ends the first clause
    score = metric.score(case("광장시장?", "빈대떡", "마약김밥", "육회"), answer)
    assert score.value == pytest.approx(1 / 3)
    assert score.details == {
        "found": ["빈대떡"],
        "missing": ["마약김밥", "육회"],
        "negated": ["육회"],
    }


def test_an_echo_of_the_question_states_no_fact():
    metric = build_metric("fact_recall")
    question = "남산 케이블카는 어느 역에서 내려요?"
    assert metric.score(case(question, "명동역", "3번 출구"), question).value == 0.0


def test_facts_come_from_the_parameter_or_the_case():
    from_params = build_metric("fact_recall", {"facts": ["화요일", ["월요일", "Monday"]]})
    assert from_params.score(case("언제 쉬어요?"), "화요일에 쉬어요.").value == 0.5
    missing = build_metric("fact_recall").score(case("언제 쉬어요?"), "화요일")
    assert missing.value == 0.0 and "no facts" in missing.details["error"]
    with pytest.raises(InvalidRequest, match=r"fact_recall.*facts"):
        build_metric("fact_recall", {"facts": [1, 2]})


def test_normalise_writes_numbers_one_way():
    assert normalise("３,０００원, 2천 원, 9:30") == "3000원, 2000원, 9시 30분"
    assert normalise("It isn't open at 9 a.m.") == "It is not open at 9:00"


def test_suite_facts_are_read_and_bad_facts_are_reported_with_file_and_line(tmp_path):
    good = "name: s\ncases:\n  - input: 경복궁은 언제 쉬어요?\n"
    good += "    facts: [화요일, [휴궁일, 쉬는 날]]\n"
    suite = parse_suite(good, tmp_path / "s.yaml")
    assert suite.cases[0].facts == (("화요일",), ("휴궁일", "쉬는 날"))
    assert suite.eval_cases()[0].facts == suite.cases[0].facts
    bad = "name: s\ncases:\n  - input: 경복궁은 언제 쉬어요?\n    facts: ['']\n"
    with pytest.raises(DataError, match=r"s\.yaml:3"):
        parse_suite(bad, tmp_path / "s.yaml")


def test_jsonl_case_facts_are_validated_with_the_line(tmp_path):
    path = tmp_path / "cases.jsonl"
    rows = [{"question": "q1", "facts": ["a", ["b", "c"]]}, {"question": "q2", "facts": [3]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(InvalidRecord) as error:
        read_case_file(path)
    assert error.value.line == 2
    path.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    assert read_case_file(path)[0].facts == (("a",), ("b", "c"))
    assert "facts" not in read_case_file(path)[0].meta


def test_metric_tags_and_skip_tags_choose_the_cases_scored(tmp_path):
    text = (
        "name: s\nmetrics:\n  - {name: fact_recall, skip_tags: [ambiguous]}\n"
        "  - {name: asks_back, tags: [ambiguous]}\n"
        "cases:\n  - {id: a, input: '거기 어때요?', tags: [ambiguous]}\n"
        "  - {id: b, input: '경복궁은 언제 쉬어요?', facts: [화요일]}\n"
    )
    suite = parse_suite(text, tmp_path / "s.yaml")
    names = {c.id: [u.name for u in suite.metrics_for(c)] for c in suite.cases}
    assert names == {"a": ["asks_back"], "b": ["fact_recall"]}
