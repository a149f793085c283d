"""`tuneloop eval run` and `tuneloop eval list` end to end, in a project with an echo model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tuneloop.errors import DataError, InvalidRequest

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel"

SUITE = """\
name: mini
system: 서울 여행 도우미입니다.
params: {temperature: 0, max_tokens: 50}
metrics:
  - token_f1
  - {name: contains, params: {values: ["화요일"]}, threshold: 1.0}
cases:
  - id: hours
    input: 경복궁은 화요일에 쉬나요?
    reference: 네, 경복궁은 매주 화요일에 쉽니다.
    tags: [palace, hours]
  - id: tower
    input: How do I get to N Seoul Tower?
    reference: Take the Namsan cable car.
    tags: [landmark]
  - id: food
    input: 광장시장 빈대떡은 화요일에도 팔아요?
    reference: 네, 화요일에도 빈대떡을 팝니다.
    tags: [food, market]
"""


@pytest.fixture
def suite(project: Path) -> Path:
    path = project / "evals" / "mini.yaml"  # `tuneloop init` made evals/
    path.write_text(SUITE, encoding="utf-8")
    return path


def run_json(invoke, project, *args):
    result = invoke("--project", project, "eval", "run", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_prints_a_summary_and_stores_the_run(invoke, project, suite):
    result = invoke("--project", project, "eval", "run", suite, "--model", "echo:x")
    assert result.exit_code == 0, result.output
    assert "token_f1" in result.stdout and "contains" in result.stdout
    assert "3 cases: 2/3 passed (67%), 0 errors, 0 cached" in result.stdout
    listed = json.loads(invoke("--project", project, "eval", "list", "--json").stdout)
    assert len(listed) == 1 and listed[0]["suite"] == "mini" and listed[0]["model"] == "echo:x"
    assert f"Run {listed[0]['id']} saved." in result.stdout
    assert listed[0]["n_passed"] == 2 and listed[0]["n_cases"] == 3


def test_run_json_has_every_result_and_the_summary(invoke, project, suite):
    data = run_json(invoke, project, suite, "--model", "echo:x")
    assert data["suite"] == "mini" and data["cases"] == 3 and data["errors"] == 0
    assert [r["case_id"] for r in data["results"]] == ["hours", "tower", "food"]
    assert data["results"][0]["output"] == "경복궁은 화요일에 쉬나요?"  # echo
    assert data["results"][1]["passed"] is False
    assert data["summary"]["contains"] == pytest.approx(2 / 3)
    assert data["params"]["max_tokens"] == 50


def test_a_second_run_is_answered_from_the_cache_unless_told_otherwise(invoke, project, suite):
    assert run_json(invoke, project, suite, "--model", "echo:x")["cached"] == 0
    again = run_json(invoke, project, suite, "--model", "echo:x")
    assert again["cached"] == 3 and all(r["cached"] for r in again["results"])
    assert run_json(invoke, project, suite, "--model", "echo:x", "--no-cache")["cached"] == 0
    assert run_json(invoke, project, suite, "--model", "echo:x", "--refresh")["cached"] == 0


def test_no_cache_and_refresh_together_are_refused(invoke, project, suite):
    result = invoke(
        "--project", project, "eval", "run", suite, "--model", "echo:x", "--no-cache", "--refresh"
    )
    assert isinstance(result.exception, InvalidRequest)


def test_tag_and_limit_select_cases(invoke, project, suite):
    tagged = run_json(
        invoke, project, suite, "--model", "echo:x", "--tag", "hours", "--tag", "food"
    )
    assert [r["case_id"] for r in tagged["results"]] == ["hours", "food"]
    limited = run_json(invoke, project, suite, "--model", "echo:x", "--limit", "1")
    assert [r["case_id"] for r in limited["results"]] == ["hours"]
    result = invoke("--project", project, "eval", "run", suite, "--model", "echo:x", "--tag", "x")
    assert isinstance(result.exception, InvalidRequest)


def test_prompt_option_renders_cases_with_another_prompt(invoke, project, suite):
    prompt = project / "prompts" / "qa.yaml"
    prompt.parent.mkdir(exist_ok=True)
    prompt.write_text(
        "name: qa\nsystem: 짧게 답하세요.\nvariables:\n  question: {required: true}\n"
        'user: "질문: {{ question }}"\n',
        encoding="utf-8",
    )
    data = run_json(invoke, project, suite, "--model", "echo:x", "--prompt", "qa")
    assert data["prompt"] == "qa"
    assert data["results"][0]["messages"][-1]["content"] == "질문: 경복궁은 화요일에 쉬나요?"
    assert data["results"][0]["messages"][0]["content"].startswith("짧게 답하세요.")


def test_the_suite_model_is_the_default(invoke, project, suite):
    suite.write_text(SUITE.replace("name: mini\n", "name: mini\nmodel: echo:from-suite\n"))
    assert run_json(invoke, project, suite)["model"] == "echo:from-suite"


def test_a_broken_suite_fails_with_its_file_and_line(invoke, project, suite):
    suite.write_text(SUITE.replace("    tags: [landmark]", "    tag: [landmark]"), encoding="utf-8")
    result = invoke("--project", project, "eval", "run", suite, "--model", "echo:x")
    assert isinstance(result.exception, DataError)
    assert f"{suite}:15:5: cases.1.tag: unknown key" in result.exception.message


def test_failures_reach_stderr_with_exit_code_through_the_real_script(run_cli, project, suite):
    suite.write_text(SUITE.replace("- token_f1", "- bleu_42"), encoding="utf-8")
    done = run_cli("--project", project, "eval", "run", suite, "--model", "echo:x")
    assert done.returncode == 2
    assert "Unknown metric `bleu_42`" in done.stderr and "mini.yaml:5" in done.stderr


def test_list_shows_runs_newest_first(invoke, project, suite):
    empty = invoke("--project", project, "eval", "list")
    assert "No eval runs yet" in empty.stdout
    first = run_json(invoke, project, suite, "--model", "echo:a")["id"]
    second = run_json(invoke, project, suite, "--model", "echo:b", "--limit", "1")["id"]
    listed = json.loads(invoke("--project", project, "eval", "list", "--json").stdout)
    assert [r["id"] for r in listed] == [second, first]
    assert listed[0]["n_cases"] == 1 and listed[1]["n_cases"] == 3
    assert [
        r["id"]
        for r in json.loads(
            invoke("--project", project, "eval", "list", "--limit", "1", "--json").stdout
        )
    ] == [second]
    assert (
        json.loads(
            invoke("--project", project, "eval", "list", "--suite", "other", "--json").stdout
        )
        == []
    )
    table = invoke("--project", project, "eval", "list").stdout
    assert first in table and "echo:a" in table


def test_the_seoul_suite_runs_in_a_project(invoke, project):
    shutil.copytree(SAMPLE / "heldout", project / "heldout")
    shutil.copytree(SAMPLE / "evals", project / "evals", dirs_exist_ok=True)
    data = run_json(
        invoke,
        project,
        project / "evals" / "seoul-travel.yaml",
        "--model",
        "echo:x",
        "--tag",
        "out_of_domain",
    )
    assert data["cases"] == 5 and data["errors"] == 0
    assert {"refusal", "language_match"} <= set(data["summary"])


def test_schema_suite_exports_a_json_schema_the_seoul_suite_satisfies(invoke, tmp_path):
    import jsonschema

    out = tmp_path / "suite.schema.json"
    assert invoke("schema", "suite", "-o", out).exit_code == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    document = yaml.safe_load((SAMPLE / "evals" / "seoul-travel.yaml").read_text("utf-8"))
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "metircs": []}, schema)
