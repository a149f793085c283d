"""Natural question forms: several ways to ask one fact, short answers, a seeded choice, and
the question-form mix the dataset card reports."""

from __future__ import annotations

import pytest

from tuneloop.data.card import dataset_card
from tuneloop.data.qa import RULES, generate_rule_qa
from tuneloop.data.qa.forms import FORMS, form_mix, natural_rule, question_form
from tuneloop.data.records import Document, Example, Source

KO = """# 경복궁

## 운영 시간
- 3~5월: 09:00~18:00
- 입장 마감: 17:00
- 휴무일: 매주 화요일

## 관람료
- 성인: 3,000원

## 가는 방법
- 지하철: 3호선 경복궁역 5번 출구에서 걸어서 약 5분
- 근정전: 왕이 즉위식과 큰 의식을 치르던 가장 큰 건물입니다.
"""

EN = """# N Seoul Tower

- Hours: 10:00 to 23:00
- Closed: Mondays
- Getting there: Namsan shuttle bus 01A from Myeongdong Station exit 3
"""


def pairs(text: str, **kw) -> list[tuple[str, str, int]]:
    document = Document(text, Source("docs/x.md", 1))
    return [(c.question, c.answer, c.line) for c in natural_rule(document, **kw)]


def test_korean_facts_get_two_natural_forms_each_with_a_one_sentence_answer():
    assert pairs(KO) == [
        ("경복궁 3~5월에는 몇 시에 열어요?", "경복궁 3~5월 운영 시간은 09:00~18:00이에요.", 3),
        ("경복궁 3~5월에는 몇 시까지 해요?", "경복궁 3~5월 운영 시간은 09:00~18:00이에요.", 3),
        ("경복궁 입장 마감이 몇 시예요?", "경복궁 입장 마감은 17:00이에요.", 4),
        ("경복궁 몇 시까지 들어가야 해요?", "경복궁 입장 마감은 17:00이에요.", 4),
        ("경복궁 쉬는 날이 언제예요?", "경복궁은 매주 화요일에 쉬어요.", 5),
        ("경복궁 매일 열어요?", "경복궁은 매주 화요일에 쉬어요.", 5),
        ("경복궁 성인 관람료 얼마예요?", "경복궁 성인 관람료는 3,000원이에요.", 8),
        ("경복궁 성인 관람료가 어떻게 돼요?", "경복궁 성인 관람료는 3,000원이에요.", 8),
        (
            "경복궁 가려면 어느 역에서 내려요?",
            "경복궁은 3호선 경복궁역 5번 출구에서 걸어서 약 5분이에요.",
            11,
        ),
        (
            "경복궁 몇 번 출구로 나가요?",
            "경복궁은 3호선 경복궁역 5번 출구에서 걸어서 약 5분이에요.",
            11,
        ),
        ("근정전은 뭐예요?", "왕이 즉위식과 큰 의식을 치르던 가장 큰 건물입니다.", 12),
        (
            "근정전 관련해서 알아 둘 게 있어요?",
            "왕이 즉위식과 큰 의식을 치르던 가장 큰 건물입니다.",
            12,
        ),
    ]


def test_english_documents_get_english_forms():
    assert pairs(EN) == [
        ("What time does N Seoul Tower open?", "For N Seoul Tower, the hours: 10:00 to 23:00.", 2),
        ("What are N Seoul Tower's hours?", "For N Seoul Tower, the hours: 10:00 to 23:00.", 2),
        ("When is N Seoul Tower closed?", "N Seoul Tower is closed on Mondays.", 3),
        ("Which day is N Seoul Tower closed?", "N Seoul Tower is closed on Mondays.", 3),
        (
            "How do I get to N Seoul Tower?",
            "To get to N Seoul Tower: Namsan shuttle bus 01A from Myeongdong Station exit 3.",
            4,
        ),
        (
            "Which exit do I take for N Seoul Tower?",
            "To get to N Seoul Tower: Namsan shuttle bus 01A from Myeongdong Station exit 3.",
            4,
        ),
    ]


def test_the_choice_of_forms_is_seeded_and_covers_every_form_across_seeds():
    assert pairs(KO, seed=5) == pairs(KO, seed=5)
    seen = {q for seed in range(30) for q, _, _ in pairs(KO, seed=seed, per_fact=1)}
    # every usable hours form appears for the 3~5월 line under some seed
    assert {"경복궁 3~5월에는 몇 시에 열어요?", "경복궁 3~5월에는 몇 시까지 해요?"} <= seen
    assert "경복궁 3~5월에는 운영 시간이 어떻게 돼요?" in seen
    assert len(pairs(KO, per_fact=3)) > len(pairs(KO, per_fact=2)) > len(pairs(KO, per_fact=1))


def test_the_natural_rule_is_registered_and_its_pairs_are_grounded():
    assert RULES["natural"] is natural_rule
    result = generate_rule_qa([Document(KO, Source("docs/gyeongbokgung.md", 1))], rules=["natural"])
    assert len(result.kept) == 12 and not result.flagged
    assert {e.meta["generator"] for e in result.kept} == {"rules:natural"}
    assert str(result.kept[0].source) == "docs/gyeongbokgung.md:4"


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("경복궁에 대해 알려 주세요.", "about"),
        ("Tell me about the hours of AREX.", "about"),
        ("경복궁 몇 시에 열어요?", "hours"),
        ("What time does N Seoul Tower open?", "hours"),
        ("창덕궁 언제 쉬어요?", "closed"),
        ("Is N Seoul Tower open every day?", "closed"),
        ("경복궁 입장료 얼마예요?", "price"),
        ("익선동은 어떻게 가요?", "access"),
        ("Which exit do I take for Myeongdong?", "access"),
        ("경복궁 입장 마감이 몇 시예요?", "last_entry"),
        ("경복궁 보려면 시간이 얼마나 걸려요?", "duration"),
        ("Where is Insadong?", "location"),
        ("호떡은 뭐예요?", "describe"),
        ("감사합니다!", "other"),
    ],
)
def test_question_form_names_the_intent(question, form):
    assert question_form(question) == form


PHRASES = {
    "hours": ("운영 시간", "hours"),
    "last_entry": ("입장 마감", "last entry"),
    "closed": ("휴무일", "closing day"),
    "price": ("관람료", "admission"),
    "access": ("지하철", "subway"),
    "location": ("위치", "location"),
    "duration": ("소요 시간", "visit"),
    "availability": ("주차", "parking"),
    "describe": ("근정전", "Geunjeongjeon"),
}


@pytest.mark.parametrize("intent", list(FORMS))
def test_every_generated_form_is_classified_as_its_own_intent(intent):
    korean, english = PHRASES[intent]
    for form in FORMS[intent]:
        ko = {"s": "경복궁", "s_topic": "경복궁은", "p": korean, "p_subj": f"{korean}이"}
        en = {"s": "Gyeongbokgung", "s_topic": "Gyeongbokgung", "p": english, "p_subj": english}
        for template, values in ((form.korean, ko), (form.english, en)):
            question = template.format(**values, q="", when="", en_when="")
            assert question_form(question) == intent, (form.name, question)


def test_dataset_card_reports_the_question_form_mix_and_the_about_share():
    def example(question: str) -> Example:
        return Example(
            [{"role": "user", "content": question}, {"role": "assistant", "content": "네"}]
        )

    questions = ["경복궁에 대해 알려 주세요.", "경복궁 몇 시에 열어요?", "경복궁 몇 시까지 해요?"]
    questions.append("익선동은 어떻게 가요?")
    assert form_mix(questions) == {"hours": 2, "about": 1, "access": 1}
    card = dataset_card("d", {"train": [example(q) for q in questions]})
    assert "## Question forms" in card
    assert "| hours | 2 | 50% |" in card
    assert '"Tell me about X" questions: 1 of 4 (25%).' in card
