"""`tuneloop data qa` end to end: record file in, examples and flagged pairs out, a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.data.records import Document, Example, Source, read_records, write_records
from tuneloop.errors import InvalidRecord, InvalidRequest

PALACE = (
    "# 경복궁\n\n조선의 법궁입니다. 1395년에 지어졌습니다.\n\n"
    "## 운영 시간\n- 휴무일: 매주 화요일\n- 관람 시간: 09:00~18:00"
)
CHAT = Example(
    [{"role": "user", "content": "남산 가는 법?"}, {"role": "assistant", "content": "케이블카요."}],
    Source("chats/kakao.txt", 4),
)

# With the `echo` backend the "model" replies with the rendered user message, so this prompt makes
# it answer one pair copied from the chunk (grounded) and one invented pair (not grounded).
ECHO_PROMPT = """name: echo-qa
variables:
  text: {type: string, required: true}
user: >-
  {"pairs": [{"question": "이 자료의 내용은?", "answer": {{ text | tojson }}},
  {"question": "몇 시에 여나요?", "answer": "매일 07:00에 엽니다."}]}
"""


@pytest.fixture
def ingested(tmp_path: Path) -> Path:
    path = tmp_path / "ingested.jsonl"
    write_records(path, [Document(PALACE, Source("docs/palace.md", 1)), CHAT])
    return path


def test_rules_method_writes_pairs_and_passes_conversations_through(invoke, ingested, tmp_path):
    out = tmp_path / "qa.jsonl"
    result = invoke("data", "qa", ingested, "-o", out, "--system", "서울 안내사입니다.", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"] == 1
    assert summary["conversations_passed_through"] == 1
    assert summary["generators"] == {
        "rules:kv": {"kept": 2, "flagged": 0},
        "rules:section": {"kept": 1, "flagged": 0},
    }
    written = list(read_records(out))
    assert len(written) == summary["written"] == 4
    assert written[-1].id == CHAT.id
    questions = [r.first("user") for r in written if isinstance(r, Example)]
    assert "경복궁의 휴무일은 언제인가요?" in questions
    assert all(r.first("system") == "서울 안내사입니다." for r in written[:3])
    assert (tmp_path / "qa.flagged.jsonl").read_text(encoding="utf-8") == ""


def test_rules_option_picks_rules_and_table_output_shows_counts(invoke, ingested, tmp_path):
    result = invoke("data", "qa", ingested, "-o", tmp_path / "qa.jsonl", "--rules", "section")
    assert result.exit_code == 0, result.output
    assert "rules:section" in result.stdout and "rules:kv" not in result.stdout
    assert "conversations passed through" in result.stdout


def test_llm_method_keeps_grounded_pairs_and_writes_flagged_ones_aside(
    invoke, project, ingested, tmp_path
):
    prompt = tmp_path / "echo-qa.yaml"
    prompt.write_text(ECHO_PROMPT, encoding="utf-8")
    out, flagged = tmp_path / "qa.jsonl", tmp_path / "review" / "flagged.jsonl"
    args = ["--project", project, "data", "qa", ingested, "-o", out, "--method", "llm"]
    args += ["--model", "echo:x", "--prompt", prompt, "--flagged", flagged]
    args += ["--pairs-per-chunk", "2", "--concurrency", "2", "--seed", "1", "--json"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["generators"] == {"llm:echo:x": {"kept": 1, "flagged": 1}}
    kept = [r for r in read_records(out) if r.id != CHAT.id]
    assert [r.first("assistant") for r in kept] == [PALACE]
    (bad,) = read_records(flagged)
    assert bad.first("assistant") == "매일 07:00에 엽니다."
    assert bad.meta["flags"] == ["ungrounded"] and bad.meta["prompt"].startswith("echo-qa@")


def test_keep_flagged_writes_flagged_pairs_into_the_output_marked(
    invoke, project, ingested, tmp_path
):
    prompt = tmp_path / "echo-qa.yaml"
    prompt.write_text(ECHO_PROMPT, encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    args = ["--project", project, "data", "qa", ingested, "-o", out, "--method", "both"]
    args += ["--model", "echo:x", "--prompt", prompt, "--keep-flagged"]
    args += ["--grounding-threshold", "0.9"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    written = list(read_records(out))
    assert [r.meta.get("flags") for r in written if r.id != CHAT.id].count(["ungrounded"]) == 1
    assert len(list(read_records(tmp_path / "qa.flagged.jsonl"))) == 1


def test_llm_failures_are_listed_with_their_source(invoke, project, ingested, tmp_path):
    args = ["--project", project, "data", "qa", ingested, "-o", tmp_path / "qa.jsonl"]
    result = invoke(*args, "--method", "llm", "--model", "echo:x")
    assert result.exit_code == 0, result.output
    assert "docs/palace.md:1" in result.stdout
    assert "failures" in result.stdout


def test_unknown_method_is_an_invalid_request(invoke, ingested, tmp_path):
    result = invoke("data", "qa", ingested, "-o", tmp_path / "qa.jsonl", "--method", "magic")
    assert isinstance(result.exception, InvalidRequest)
    assert "rules, llm, both" in str(result.exception)


def test_a_broken_record_file_names_file_and_line(invoke, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "document", "text": "경복궁"}\nnot json\n', encoding="utf-8")
    result = invoke("data", "qa", bad, "-o", tmp_path / "qa.jsonl")
    assert isinstance(result.exception, InvalidRecord)
    assert result.exception.line == 2
    assert not (tmp_path / "qa.jsonl").exists()
