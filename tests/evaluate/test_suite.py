"""Suite files: parsing, errors at file:line, cases from JSONL and dataset splits, rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.data.records import Example, Source, write_records
from tuneloop.data.versions import push_dataset
from tuneloop.errors import DataError, InvalidRecord, PromptError
from tuneloop.evaluate.suite import load_suite, parse_suite, read_case_file

SUITE = """\
name: seoul-travel
description: 서울 여행 질문
system: 당신은 서울 여행 도우미입니다.
model: smollm2-135m
params: {temperature: 0, max_tokens: 200, seed: 7}
metrics:
  - token_f1
  - {name: contains, params: {values: ["경복궁"]}, threshold: 1.0}
cases:
  - id: hours-1
    input: 경복궁은 언제 쉬나요?
    reference: 매주 화요일에 쉽니다.
    tags: [palace, hours]
  - input: Where is N Seoul Tower?
    references: [On Namsan., "On top of Namsan mountain."]
    context: N Seoul Tower stands on Namsan.
    tags: [landmark]
    metrics:
      - {name: contains, params: {values: ["Namsan"]}}
      - {name: max_length, params: {chars: 300}}
  - id: chat-1
    messages:
      - {role: system, content: Answer briefly.}
      - {role: user, content: "지하철 첫차는 언제인가요?"}
    reference: 보통 새벽 5시 30분 무렵입니다.
    tags: [transport]
"""


def write(folder: Path, text: str, name: str = "suite.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_inline_cases_are_loaded_with_ids_references_tags_and_metrics(tmp_path):
    suite = load_suite(write(tmp_path, SUITE))
    assert suite.name == "seoul-travel" and suite.model == "smollm2-135m"
    assert [c.id for c in suite.cases] == ["hours-1", "case-2", "chat-1"]
    assert suite.cases[0].references == ("매주 화요일에 쉽니다.",)
    assert suite.cases[1].references == ("On Namsan.", "On top of Namsan mountain.")
    assert suite.cases[1].context == "N Seoul Tower stands on Namsan."
    assert [m.key for m in suite.metrics] == ["token_f1", "contains"]
    assert suite.metrics[1].threshold == 1.0
    assert suite.metric_keys() == ["token_f1", "contains", "max_length"]
    assert suite.sampling_params().seed == 7
    assert suite.sampling_params(max_tokens=50).max_tokens == 50


def test_a_case_metric_with_a_suite_metric_key_replaces_it_for_that_case(tmp_path):
    suite = load_suite(write(tmp_path, SUITE))
    tower = suite.metrics_for(suite.cases[1])
    assert [(m.key, m.params) for m in tower] == [
        ("token_f1", {}),
        ("contains", {"values": ["Namsan"]}),
        ("max_length", {"chars": 300}),
    ]
    assert suite.metrics_for(suite.cases[0])[1].params == {"values": ["경복궁"]}


def test_input_cases_render_with_the_system_message_and_messages_cases_as_written(tmp_path):
    cases = load_suite(write(tmp_path, SUITE)).eval_cases()
    assert cases[0].messages == [
        {"role": "system", "content": "당신은 서울 여행 도우미입니다."},
        {"role": "user", "content": "경복궁은 언제 쉬나요?"},
    ]
    assert cases[0].question == "경복궁은 언제 쉬나요?"
    assert cases[0].tags == ("palace", "hours")
    assert cases[2].messages[0] == {"role": "system", "content": "Answer briefly."}
    assert len(cases[2].messages) == 2


def test_unknown_key_is_reported_at_its_file_line_and_column(tmp_path):
    path = write(tmp_path, SUITE.replace("    reference: 매주", "    referense: 매주"))
    with pytest.raises(DataError) as err:
        load_suite(path)
    assert f"{path}:12:5: cases.0.referense: unknown key" in err.value.message


def test_a_case_with_two_inputs_is_an_error_at_its_line(tmp_path):
    text = "name: s\ncases:\n  - input: 경복궁?\n    messages: [{role: user, content: x}]\n"
    with pytest.raises(DataError, match=r"suite\.yaml:3:5: cases\.0: .*exactly one of") as err:
        load_suite(write(tmp_path, text))
    assert "input, messages" in err.value.message


def test_a_bad_threshold_points_at_its_value(tmp_path):
    text = "name: s\nmetrics:\n  - {name: token_f1, threshold: 1.5}\ncases:\n  - input: x\n"
    with pytest.raises(DataError, match=r"suite\.yaml:3:33: metrics\.0\.threshold"):
        load_suite(write(tmp_path, text))


def test_the_same_metric_twice_without_labels_is_an_error_and_labels_fix_it(tmp_path):
    text = (
        "name: s\nmetrics:\n  - {name: contains, params: {values: [a]}}\n"
        "  - {name: contains, params: {values: [b]}}\ncases:\n  - input: x\n"
    )
    with pytest.raises(DataError, match=r"suite\.yaml:4:5: metric key 'contains' is used twice"):
        load_suite(write(tmp_path, text))
    fixed = text.replace("values: [b]}}", "values: [b]}, label: contains_b}")
    assert load_suite(write(tmp_path, fixed)).metric_keys() == ["contains", "contains_b"]


def test_duplicate_case_ids_name_both_places(tmp_path):
    text = "name: s\ncases:\n  - {id: a, input: x}\n  - {id: a, input: y}\n"
    with pytest.raises(DataError, match=r"suite\.yaml:4:5: case id 'a' is used twice") as err:
        load_suite(write(tmp_path, text))
    assert "suite.yaml:3:5" in err.value.message


def test_a_suite_without_cases_is_an_error(tmp_path):
    with pytest.raises(DataError, match="has no cases"):
        load_suite(write(tmp_path, "name: empty\nmetrics: [token_f1]\n"))


def test_invalid_yaml_reports_the_line(tmp_path):
    with pytest.raises(DataError, match=r"suite\.yaml:4:3: invalid YAML"):
        load_suite(write(tmp_path, "name: s\ncases:\n  - input: x\n  input: y: z\n"))


def test_prompt_and_system_together_are_rejected(tmp_path):
    text = "name: s\nprompt: p.yaml\nsystem: hi\ncases:\n  - input: x\n"
    with pytest.raises(DataError, match="give `prompt` or `system`, not both"):
        load_suite(write(tmp_path, text))


HELDOUT = [
    {
        "id": "h01",
        "question": "덕수궁은 저녁 늦게 가도 들어갈 수 있나요?",
        "reference": "네, 밤 9시까지 엽니다.",
        "tags": ["palace", "hours"],
        "source": "docs/deoksugung.md",
    },
    {"question": "Can I tip taxi drivers?", "references": ["No need to tip."], "tags": []},
    {
        "id": "chat",
        "messages": [
            {"role": "user", "content": "지하철 막차는?"},
            {"role": "assistant", "content": "보통 자정 무렵입니다."},
        ],
        "tags": ["transport"],
    },
]


def jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8"
    )
    return path


def test_cases_from_a_jsonl_file_relative_to_the_suite(tmp_path):
    jsonl(tmp_path / "heldout" / "questions.jsonl", HELDOUT)
    text = (
        "name: s\ncases:\n  - {id: inline, input: 안녕하세요}\ncases_from:\n"
        "  - ../heldout/questions.jsonl\n"
    )
    path = write(tmp_path / "evals", text)
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["inline", "h01", "questions-2", "chat"]
    h01 = suite.cases[1]
    assert h01.input == "덕수궁은 저녁 늦게 가도 들어갈 수 있나요?"
    assert h01.references == ("네, 밤 9시까지 엽니다.",)
    assert h01.meta == {"source": "docs/deoksugung.md"}
    assert h01.where.endswith("questions.jsonl:1")
    chat = suite.cases[3]
    assert chat.messages == ({"role": "user", "content": "지하철 막차는?"},)
    assert chat.references == ("보통 자정 무렵입니다.",)


def test_the_same_file_twice_collides_on_ids(tmp_path):
    jsonl(tmp_path / "q.jsonl", HELDOUT)
    text = "name: s\ncases_from:\n  - q.jsonl\n  - {source: q.jsonl, tags: [again]}\n"
    with pytest.raises(DataError, match="case id 'h01' is used twice"):
        load_suite(write(tmp_path, text))


def test_cases_from_tags_are_added_to_every_case(tmp_path):
    jsonl(tmp_path / "q.jsonl", HELDOUT[:1])
    text = "name: s\ncases_from:\n  - {source: q.jsonl, tags: [heldout, palace]}\n"
    suite = load_suite(write(tmp_path, text))
    assert suite.cases[0].tags == ("palace", "hours", "heldout")


def test_a_bad_jsonl_line_is_reported_with_its_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "ok"}\n{"question": \n', encoding="utf-8")
    with pytest.raises(InvalidRecord, match=r"q\.jsonl:2: invalid JSON"):
        read_case_file(path)
    path.write_text('{"question": "ok"}\n{"reference": "no question"}\n', encoding="utf-8")
    with pytest.raises(InvalidRecord, match=r"q\.jsonl:2: a case needs a non-empty `question`"):
        read_case_file(path)


def test_a_missing_cases_from_file_names_the_suite_line(tmp_path):
    text = "name: s\ncases_from:\n  - nope.jsonl\n"
    with pytest.raises(DataError, match=r"suite\.yaml:3:5: cases_from 'nope\.jsonl': no such file"):
        load_suite(write(tmp_path, text))


def test_a_dataset_split_needs_a_store(tmp_path):
    text = "name: s\ncases_from:\n  - seoul-qa@1:test\n"
    with pytest.raises(DataError, match="no project store is open"):
        load_suite(write(tmp_path, text))


def test_cases_from_a_pushed_dataset_split(tmp_path, store):
    records = [
        Example(
            messages=[
                {"role": "system", "content": "서울 여행 도우미"},
                {"role": "user", "content": "광장시장에서 뭘 먹어요?"},
                {"role": "assistant", "content": "빈대떡과 마약김밥을 드셔 보세요."},
            ],
            source=Source("qa/seed-qa.csv", line=5),
            tags=["food", "market"],
        ),
        Example(
            messages=[
                {"role": "user", "content": "Is the subway open at 1 am?"},
                {
                    "role": "assistant",
                    "content": "Usually not; the last trains leave around midnight.",
                },
            ],
            source=Source("qa/seed-qa.csv", line=9),
            tags=["transport"],
        ),
    ]
    train = tmp_path / "train.jsonl"
    test = tmp_path / "test.jsonl"
    write_records(train, records[:1])
    write_records(test, records)
    version, _ = push_dataset(store, "seoul-qa", {"train": train, "test": test}, author="test")
    text = "name: s\ncases_from:\n  - seoul-qa@1:test\n"
    suite = load_suite(write(tmp_path / "evals", text), store=store)
    assert [c.id for c in suite.cases] == [records[0].id, records[1].id]
    first = suite.cases[0]
    assert first.messages == (
        {"role": "system", "content": "서울 여행 도우미"},
        {"role": "user", "content": "광장시장에서 뭘 먹어요?"},
    )
    assert first.references == ("빈대떡과 마약김밥을 드셔 보세요.",)
    assert first.tags == ("food", "market")
    rendered = suite.eval_cases()
    assert rendered[1].messages[-1] == {"role": "user", "content": "Is the subway open at 1 am?"}
    assert version.ref == "seoul-qa@1"


PROMPT = """\
name: qa
system: 서울 여행 도우미로서 답하세요.
variables:
  question: {type: string, required: true}
  style: {type: string, default: 짧게}
user: "{{ question }} ({{ style }} 답해 주세요)"
"""


def test_a_prompt_next_to_the_suite_renders_input_and_vars_cases(tmp_path):
    write(tmp_path, PROMPT, "qa.yaml")
    text = (
        "name: s\nprompt: qa.yaml\ncases:\n  - input: 경복궁은 언제 쉬나요?\n"
        '  - vars: {question: "명동 맛집?", style: 자세히}\n'
    )
    suite = load_suite(write(tmp_path, text))
    assert suite.prompt is not None and suite.prompt_ref == "qa.yaml"
    cases = suite.eval_cases()
    assert cases[0].messages[0]["role"] == "system"
    assert cases[0].messages[-1]["content"] == "경복궁은 언제 쉬나요? (짧게 답해 주세요)"
    assert cases[1].messages[-1]["content"] == "명동 맛집? (자세히 답해 주세요)"


def test_a_prompt_that_cannot_render_a_case_names_the_case(tmp_path):
    write(tmp_path, PROMPT, "qa.yaml")
    text = 'name: s\nprompt: qa.yaml\ninput_var: query\ncases:\n  - {id: c1, input: "경복궁?"}\n'
    suite = load_suite(write(tmp_path, text))
    with pytest.raises(PromptError, match=r"suite\.yaml:5:5: case 'c1': .*unknown variable"):
        suite.eval_cases()


def test_vars_without_a_prompt_is_an_error_at_the_case(tmp_path):
    text = "name: s\ncases:\n  - input: a\n  - vars: {question: b}\n"
    with pytest.raises(DataError, match=r"suite\.yaml:4:5: case 'case-2' has `vars`"):
        load_suite(write(tmp_path, text))


def test_a_prompt_name_is_resolved_by_the_given_resolver(tmp_path):
    from tuneloop.prompts.template import parse_prompt

    asked = []

    def resolver(ref):
        asked.append(ref)
        return parse_prompt(PROMPT, tmp_path / "prompts" / "qa.yaml")

    suite = load_suite(
        write(tmp_path, "name: s\nprompt: qa@production\ncases:\n  - input: x\n"), prompts=resolver
    )
    assert asked == ["qa@production"] and suite.prompt is not None
    with pytest.raises(PromptError, match="no prompt file 'qa@production'"):
        load_suite(tmp_path / "suite.yaml")


def test_select_filters_by_any_tag_then_limits(tmp_path):
    suite = load_suite(write(tmp_path, SUITE))
    assert [c.id for c in suite.select(tags=["hours", "transport"]).cases] == ["hours-1", "chat-1"]
    assert [c.id for c in suite.select(limit=2).cases] == ["hours-1", "case-2"]
    assert suite.select(tags=["nothing"]).cases == ()


def test_content_hash_follows_cases_and_metrics_but_not_model_or_description(tmp_path):
    base = load_suite(write(tmp_path, SUITE)).content_hash
    same = SUITE.replace("model: smollm2-135m", "model: other").replace("서울 여행 질문", "x")
    assert parse_suite(same, tmp_path / "b.yaml").content_hash == base
    changed = SUITE.replace("매주 화요일에 쉽니다.", "화요일 휴무")
    assert parse_suite(changed, tmp_path / "c.yaml").content_hash != base
    metric = SUITE.replace("threshold: 1.0", "threshold: 0.5")
    assert parse_suite(metric, tmp_path / "d.yaml").content_hash != base
    subset = load_suite(tmp_path / "suite.yaml").select(limit=1).content_hash
    assert subset != base


def test_a_few_shot_conversation_keeps_its_final_question(tmp_path):
    rows = [
        {
            "id": "few-shot",
            "messages": [
                {"role": "user", "content": "경복궁 휴궁일은?"},
                {"role": "assistant", "content": "화요일입니다."},
                {"role": "user", "content": "창덕궁은요?"},
            ],
            "reference": "월요일입니다.",
        }
    ]
    jsonl(tmp_path / "q.jsonl", rows)
    [case] = read_case_file(tmp_path / "q.jsonl")
    assert case.messages is not None and case.messages[-1]["content"] == "창덕궁은요?"
    assert len(case.messages) == 3
    assert case.references == ("월요일입니다.",)
