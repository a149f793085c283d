"""Rule-made Q/A pairs: particles by 받침, question words by key, sources with line numbers."""

from __future__ import annotations

import pytest

from tuneloop.data.qa.rules import RULES, generate_rule_qa, has_batchim, kv_rule, particle
from tuneloop.data.records import Document, Source
from tuneloop.errors import InvalidRequest

GYEONGBOKGUNG = """# 경복궁

조선 왕조의 법궁으로 1395년에 지어졌습니다. 서울에서 가장 큰 궁궐입니다.

## 운영 시간
- 관람 시간: 09:00~18:00
- 휴무일: 매주 화요일
- 입장 마감: 17:00

## 요금
- 성인: 3,000원
- **어린이**: 1,500원

## 찾아가는 길
- 지하철: 3호선 경복궁역 5번 출구
- 주소: 서울특별시 종로구 사직로 161
- 주차: 유료 주차장을 이용할 수 있습니다.
- 소요 시간: 약 2시간

## 기타
- 대표 음식: 없음 (주변 식당 이용)
- 전화번호: 02-3700-3900
"""


def doc(text: str = GYEONGBOKGUNG, *, path="docs/gyeongbokgung.md", line=1, **kw) -> Document:
    return Document(text=text, source=Source(path, line), **kw)


def pairs(document: Document, rules=("kv", "section"), **kw) -> dict[str, tuple[str, str]]:
    """question → (answer, source) for every pair made (kept or flagged)."""
    result = generate_rule_qa([document], rules=rules, **kw)
    return {e.first("user"): (e.first("assistant"), str(e.source)) for _, e in result.items}


@pytest.mark.parametrize(
    ("word", "closed"),
    [
        ("휴무일", True),  # 일: ㄹ
        ("경복궁", True),
        ("주소", False),
        ("입장료", False),
        ("경복궁(景福宮)", True),  # the bracket does not decide
        ("3", True),  # 삼
        ("2", False),  # 이
        ("Seoul", True),  # 서울
        ("Tower", False),  # 타워
    ],
)
def test_has_batchim_reads_the_final_sound(word, closed):
    assert has_batchim(word) is closed


def test_particles_follow_the_final_consonant():
    assert particle("휴무일", "은", "는") == "휴무일은"
    assert particle("주소", "은", "는") == "주소는"
    assert particle("소요 시간", "이", "가") == "소요 시간이"
    assert particle("주차", "이", "가") == "주차가"
    # 으로/로: ㄹ takes 로 like a vowel
    assert particle("지하철", "으로", "로") == "지하철로"
    assert particle("버스", "으로", "로") == "버스로"
    assert particle("경복궁역", "으로", "로") == "경복궁역으로"


def test_kv_bullets_become_questions_with_the_right_question_word():
    made = pairs(doc(), rules=("kv",))
    assert made["경복궁의 휴무일은 언제인가요?"][0] == "경복궁의 휴무일은 매주 화요일입니다."
    assert made["경복궁의 관람 시간은 몇 시부터 몇 시까지인가요?"][0] == (
        "경복궁의 관람 시간은 09:00~18:00입니다."
    )
    assert made["경복궁의 입장 마감은 몇 시인가요?"][0] == "경복궁의 입장 마감은 17:00입니다."
    assert (
        made["경복궁의 주소는 어디인가요?"][0]
        == "경복궁의 주소는 서울특별시 종로구 사직로 161입니다."
    )
    assert "경복궁에 지하철로 어떻게 가나요?" in made
    assert "경복궁의 대표 음식은 무엇인가요?" in made
    assert "경복궁의 전화번호는 무엇인가요?" in made


def test_kv_uses_i_ga_where_the_question_needs_a_subject_particle():
    made = pairs(doc(), rules=("kv",))
    assert "경복궁에서 주차가 가능한가요?" in made
    assert "경복궁의 소요 시간이 얼마나 되나요?" in made


def test_kv_answer_that_is_already_a_sentence_gets_no_extra_copula():
    made = pairs(doc(), rules=("kv",))
    assert (
        made["경복궁에서 주차가 가능한가요?"][0]
        == "경복궁의 주차는 유료 주차장을 이용할 수 있습니다."
    )


def test_kv_key_under_a_topic_section_is_qualified_by_it():
    made = pairs(doc(), rules=("kv",))
    assert made["경복궁의 성인 요금은 얼마인가요?"][0] == "경복궁의 성인 요금은 3,000원입니다."
    assert made["경복궁의 어린이 요금은 얼마인가요?"][0] == "경복궁의 어린이 요금은 1,500원입니다."


def test_sources_point_at_the_line_of_each_bullet_and_heading():
    made = pairs(doc())
    assert made["경복궁의 휴무일은 언제인가요?"][1] == "docs/gyeongbokgung.md:7"
    assert made["경복궁의 성인 요금은 얼마인가요?"][1] == "docs/gyeongbokgung.md:11"
    assert made["경복궁에 대해 알려 주세요."][1] == "docs/gyeongbokgung.md:1"


def test_a_chunk_that_starts_later_in_its_file_offsets_the_line_numbers():
    made = pairs(doc("# 경복궁\n- 휴무일: 매주 화요일\n", line=40))
    assert made["경복궁의 휴무일은 언제인가요?"][1] == "docs/gyeongbokgung.md:41"


def test_a_pdf_chunk_keeps_its_page_and_points_with_the_offset():
    text = "# 경복궁\n- 휴무일: 매주 화요일\n"
    result = generate_rule_qa([Document(text, Source("docs/guide.pdf", 3, 500))], rules=["kv"])
    assert str(result.kept[0].source) == f"docs/guide.pdf:3@{500 + text.index('- 휴무일')}"


def test_section_rule_asks_about_a_topic_with_prose_and_skips_bullet_only_sections():
    text = (
        "# 북촌 한옥마을\n\n## 관람 예절\n주민이 사는 마을입니다.\n조용히 둘러보세요.\n\n"
        "## 요금\n- 입장료: 무료\n"
    )
    made = pairs(doc(text, path="docs/bukchon.md"), rules=("section",))
    assert made == {
        "북촌 한옥마을 관람 예절에 대해 알려 주세요.": (
            "주민이 사는 마을입니다.\n조용히 둘러보세요.",
            "docs/bukchon.md:3",
        )
    }


def test_section_rule_asks_about_sections_under_the_place_of_the_h1():
    text = "# 홍대 앞\n\n## 즐길 거리\n- 거리 공연 구경과 즉석 사진관\n- 경의선 숲길 공원 산책\n"
    made = pairs(doc(text), rules=("section",))
    assert list(made) == ["홍대 앞 즐길 거리에 대해 알려 주세요."]


def test_text_before_the_first_heading_of_a_later_chunk_is_not_an_introduction():
    text = "- 급행은 30분마다 다닙니다.\n\n## 팁\n교통카드를 쓰세요. 충전은 현금으로 합니다.\n"
    first = doc(text, title="공항철도", meta={"chunk": 0, "chunks": 2})
    later = doc(text, title="공항철도", meta={"chunk": 1, "chunks": 2})
    assert "공항철도에 대해 알려 주세요." in pairs(first, rules=("section",))
    assert list(pairs(later, rules=("section",))) == ["공항철도 팁에 대해 알려 주세요."]


def test_a_plain_text_title_line_is_not_repeated_in_the_answer():
    text = "따릉이\n\n따릉이는 서울시가 운영하는 공공자전거입니다. 한강 자전거길에 좋습니다.\n"
    made = pairs(doc(text, path="docs/bike.txt", title="따릉이"), rules=("section",))
    assert made == {
        "따릉이에 대해 알려 주세요.": (
            "따릉이는 서울시가 운영하는 공공자전거입니다. 한강 자전거길에 좋습니다.",
            "docs/bike.txt:3",
        )
    }


def test_list_items_with_descriptions_are_asked_about_by_themselves():
    text = (
        "# 서울의 단풍\n\n## 명소\n"
        "- 창덕궁 후원: 오래된 나무와 연못, 정자가 어우러진 단풍 명소입니다.\n"
        "- 남산: 남산 둘레길 곳곳이 붉게 물듭니다.\n"
    )
    made = pairs(doc(text), rules=("kv",))
    assert made["창덕궁 후원에 대해 알려 주세요."][0] == (
        "창덕궁 후원은 오래된 나무와 연못, 정자가 어우러진 단풍 명소입니다."
    )
    assert made["남산에 대해 알려 주세요."][0] == "남산 둘레길 곳곳이 붉게 물듭니다."


def test_section_rule_skips_a_body_too_long_for_one_answer():
    long_text = "# 경복궁\n\n" + "경복궁은 조선의 법궁입니다. " * 60
    assert pairs(doc(long_text), rules=("section",)) == {}


def test_a_bullet_without_any_place_makes_no_pair():
    assert kv_rule(doc("- 휴무일: 매주 화요일\n")) == []
    # …but the document's title names the place
    made = pairs(doc("- 휴무일: 매주 화요일\n", title="창덕궁"), rules=("kv",))
    assert made == {
        "창덕궁의 휴무일은 언제인가요?": (
            "창덕궁의 휴무일은 매주 화요일입니다.",
            "docs/gyeongbokgung.md:1",
        )
    }


def test_urls_times_and_sentences_are_not_key_value_lines():
    text = (
        "# 경복궁\nhttps://royal.khs.go.kr 에서 확인하세요.\n09:00 개장\n"
        "관람객이 많다. 주의: 혼잡\n보통 10:00~18:00, 수요일은 21:00까지\n"
    )
    assert kv_rule(doc(text)) == []


def test_an_english_guide_with_hangul_glosses_gets_english_questions():
    text = (
        "# AREX Airport Railroad\n\n## Trains\n"
        "- Express train (직통열차): non-stop from Incheon Airport to Seoul Station.\n"
        "- Fare: about 11,000 won\n"
    )
    made = pairs(doc(text), rules=("kv",))
    assert set(made) == {
        "Tell me about Express train (직통열차).",
        "How much is the fare of AREX Airport Railroad?",
    }


def test_english_documents_get_english_templates():
    text = (
        "# Gyeongbokgung\n\nThe main royal palace of the Joseon dynasty, built in 1395.\n\n"
        "## Visiting\n- Opening hours: 9:00-18:00\n- Closed: Tuesdays\n- Admission: 3,000 won\n"
        "- Address: 161 Sajik-ro, Jongno-gu\n"
    )
    made = pairs(doc(text, path="docs/en.md"))
    assert made["When is Gyeongbokgung closed?"] == (
        "Gyeongbokgung is closed on Tuesdays.",
        "docs/en.md:7",
    )
    assert made["What are the opening hours of Gyeongbokgung?"][0] == (
        "The opening hours of Gyeongbokgung are 9:00-18:00."
    )
    assert made["How much is the admission of Gyeongbokgung?"][0] == (
        "The admission of Gyeongbokgung is 3,000 won."
    )
    assert made["Where is Gyeongbokgung?"][0] == (
        "The address of Gyeongbokgung is 161 Sajik-ro, Jongno-gu."
    )
    assert made["Tell me about Gyeongbokgung."][0].startswith("The main royal palace")


def test_examples_carry_generator_grounding_tags_and_system():
    document = doc(meta={"tags": ["palace"]})
    result = generate_rule_qa([document], system="당신은 서울 여행 안내사입니다.")
    assert result.flagged == []
    assert len(result.kept) > 5
    for example in result.kept:
        assert example.messages[0] == {
            "role": "system",
            "content": "당신은 서울 여행 안내사입니다.",
        }
        assert [m["role"] for m in example.messages] == ["system", "user", "assistant"]
        assert example.tags == ["palace", "경복궁"]
        assert example.meta["generator"] in {"rules:kv", "rules:section"}
        assert example.meta["grounding"] >= 0.6
        assert example.meta["document"] == document.id
    assert len({e.id for e in result.kept}) == len(result.kept)


def test_picking_one_rule_runs_only_that_rule():
    result = generate_rule_qa([doc()], rules=["section"])
    assert {e.meta["generator"] for e in result.kept} == {"rules:section"}


def test_unknown_rule_names_the_known_ones():
    with pytest.raises(InvalidRequest, match="nope") as info:
        generate_rule_qa([doc()], rules=["kv", "nope"])
    assert all(name in (info.value.hint or "") for name in RULES)
