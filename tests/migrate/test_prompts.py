"""Prompt sources for ``migrate openai record``: dataset splits (all, or a seeded sample) and the
user's JSONL, CSV and suite files, streamed; a bad line names file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.data.records import Example, SkipReport, Source, write_records
from tuneloop.errors import DataError, InvalidRecord
from tuneloop.migrate.prompts import (
    PROMPT_COLUMNS,
    dataset_prompts,
    file_prompts,
    sample_prompts,
    split_prompt,
)

SYSTEM = {"role": "system", "content": "서울 여행 도우미입니다."}


def _chat(i: int) -> list[dict[str, str]]:
    return [
        SYSTEM,
        {"role": "user", "content": f"질문 {i}"},
        {"role": "assistant", "content": f"답변 {i}"},
    ]


def _split(path: Path, n: int) -> Path:
    write_records(path, [Example(messages=_chat(i), source=Source("f", i)) for i in range(n)])
    return path


def test_a_prompt_is_the_chat_before_its_last_assistant_message():
    multi = [
        *_chat(1),
        {"role": "user", "content": "더요?"},
        {"role": "assistant", "content": "네"},
    ]
    assert split_prompt(multi) == (multi[:-1], "네")
    assert split_prompt(_chat(2)[:2]) == (_chat(2)[:2], None)  # ends with the user: all prompt
    assert "role 'tool'" in str(split_prompt([{"role": "tool", "content": "x"}]))
    assert "plain-text" in str(split_prompt([{"role": "user", "content": [{"type": "text"}]}]))
    assert split_prompt([SYSTEM, {"role": "assistant", "content": "a"}]) == "no user message to ask"


def test_dataset_prompts_skip_what_cannot_be_replayed(tmp_path):
    path = tmp_path / "split.jsonl"
    tool = [
        {"role": "user", "content": "날씨?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]},
        {"role": "tool", "content": "맑음"},
        {"role": "assistant", "content": "맑아요"},
    ]
    write_records(path, [Example(messages=_chat(0)), Example(messages=tool), Example(_chat(1))])
    skips = SkipReport()

    prompts = list(dataset_prompts(path, "d@1:validation", "validation", skips))

    assert [p.messages[-1]["content"] for p in prompts] == ["질문 0", "질문 1"]
    assert [p.reference for p in prompts] == ["답변 0", "답변 1"]
    assert [p.where for p in prompts] == ["d@1:validation#1", "d@1:validation#3"]
    assert [s.source.path for s in skips] == ["d@1:validation#2"]


def test_the_train_sample_is_seeded_uniform_and_in_file_order(tmp_path):
    path = _split(tmp_path / "train.jsonl", 50)

    def sample(seed: int, n: int = 10) -> list[str]:
        chosen = sample_prompts(path, "d@1:train", "train-sample", n, seed, SkipReport())
        return [p.messages[1]["content"] for p in chosen]

    assert sample(0) == sample(0) and sample(0) != sample(1)
    assert len(sample(0)) == 10 and len(set(sample(0))) == 10
    numbers = [int(q.split()[1]) for q in sample(3)]
    assert numbers == sorted(numbers)
    assert len(sample(0, n=80)) == 50  # a small split is taken whole
    # every example can be drawn: over many seeds each one shows up
    seen = {q for seed in range(60) for q in sample(seed)}
    assert len(seen) == 50


def test_jsonl_prompts_take_messages_or_a_question_with_system_and_tags(tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [
        {"messages": _chat(1), "tags": ["palace"]},
        {"question": "명동 맛집?", "system": "짧게 답하세요.", "answer": "명동교자"},
        {"input": "N Seoul Tower hours?"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", "utf-8")

    prompts = list(file_prompts(path))

    assert [p.tags for p in prompts] == [("user:mine", "palace"), ("user:mine",), ("user:mine",)]
    assert prompts[0].messages == tuple(_chat(1)[:-1]) and prompts[0].reference == "답변 1"
    assert prompts[1].messages == (
        {"role": "system", "content": "짧게 답하세요."},
        {"role": "user", "content": "명동 맛집?"},
    )
    assert prompts[1].reference == "명동교자"
    assert prompts[2].messages == ({"role": "user", "content": "N Seoul Tower hours?"},)
    assert [p.where for p in prompts] == [f"{path}:1", f"{path}:2", f"{path}:3"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"question": "ok"', "invalid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"title": "no question"}', "no question"),
        ('{"messages": [{"role": "tool", "content": "x"}]}', "cannot be replayed"),
        ('{"question": 3}', "must be a string"),
    ],
)
def test_a_bad_jsonl_line_is_reported_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "fine"}\n\n' + line + "\n", "utf-8")

    with pytest.raises(InvalidRecord, match=message) as caught:
        list(file_prompts(path))

    assert caught.value.path == path and caught.value.line == 3
    assert str(caught.value).startswith(f"{path}:3: ")


def test_csv_prompts_count_physical_lines_across_quoted_line_breaks(tmp_path):
    path = tmp_path / "qs.csv"
    path.write_text(
        'id,Question,tags,reference\n1,"경복궁은\n언제 쉬나요?",palace;hours,화요일\n2,명동?,,\n',
        "utf-8",
    )

    prompts = list(file_prompts(path))

    assert [p.messages[-1]["content"] for p in prompts] == ["경복궁은\n언제 쉬나요?", "명동?"]
    assert [p.where for p in prompts] == [f"{path}:2", f"{path}:4"]
    assert prompts[0].tags == ("user:qs", "palace", "hours") and prompts[0].reference == "화요일"
    assert prompts[1].reference is None


def test_a_csv_without_a_question_column_lists_the_accepted_ones(tmp_path):
    path = tmp_path / "qs.csv"
    path.write_text("id,text\n1,hello\n", "utf-8")

    with pytest.raises(InvalidRecord) as caught:
        list(file_prompts(path))

    assert caught.value.line == 1
    assert all(name in (caught.value.hint or "") for name in PROMPT_COLUMNS)


def test_a_bad_csv_row_names_its_line(tmp_path):
    path = tmp_path / "qs.csv"
    path.write_text('question,tags\n"a\nb",x\nc,x,extra\n', "utf-8")
    with pytest.raises(InvalidRecord, match="3 cells, but the header has 2") as caught:
        list(file_prompts(path))
    assert caught.value.line == 4

    path.write_text("question,tags\nfine,a\n,b\n", "utf-8")
    with pytest.raises(InvalidRecord, match="no question") as caught:
        list(file_prompts(path))
    assert caught.value.line == 3


def test_a_non_utf8_file_names_the_line_and_how_to_convert(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes("question\n경복궁\n".encode("cp949"))
    with pytest.raises(InvalidRecord, match="not UTF-8") as caught:
        list(file_prompts(path))
    assert caught.value.line == 2 and "iconv" in (caught.value.hint or "")


def test_suite_prompts_are_its_cases_rendered_with_the_suite_system(tmp_path):
    (tmp_path / "more.jsonl").write_text(
        json.dumps({"id": "j1", "question": "광장시장?", "reference": "빈대떡"}, ensure_ascii=False)
        + "\n",
        "utf-8",
    )
    path = tmp_path / "seoul.yaml"
    path.write_text(
        "name: seoul\nsystem: 서울 여행 도우미입니다.\ncases:\n"
        '  - {id: c1, input: "경복궁은 언제 쉬나요?", reference: 화요일, tags: [palace]}\n'
        "  - id: c2\n    messages: [{role: user, content: 안녕}]\n"
        "cases_from: [more.jsonl]\n",
        "utf-8",
    )

    prompts = list(file_prompts(path))

    assert [p.messages for p in prompts] == [
        (SYSTEM, {"role": "user", "content": "경복궁은 언제 쉬나요?"}),
        ({"role": "user", "content": "안녕"},),
        (SYSTEM, {"role": "user", "content": "광장시장?"}),
    ]
    assert [p.tags for p in prompts] == [("user:seoul", "palace"), ("user:seoul",), ("user:seoul",)]
    assert [p.reference for p in prompts] == ["화요일", None, "빈대떡"]


def test_a_bad_suite_names_its_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ncases:\n  - {id: c1}\n", "utf-8")
    with pytest.raises(DataError, match=r"bad\.yaml:3"):
        list(file_prompts(path))


def test_unknown_and_missing_prompt_files_say_what_is_accepted(tmp_path):
    with pytest.raises(DataError, match="no such prompt file"):
        list(file_prompts(tmp_path / "nope.jsonl"))
    other = tmp_path / "notes.txt"
    other.write_text("hi", "utf-8")
    with pytest.raises(DataError, match="unknown prompt file type") as caught:
        list(file_prompts(other))
    assert ".jsonl" in (caught.value.hint or "") and ".csv" in (caught.value.hint or "")
