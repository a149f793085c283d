"""`tuneloop prompt …` end to end: lint for CI, versions and aliases, runs and A/B compare."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tuneloop.config import load_settings
from tuneloop.models.local import LocalChatModel
from tuneloop.models.types import SamplingParams
from tuneloop.prompts.render import render
from tuneloop.prompts.template import load_prompt
from tuneloop.registry import Store

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel" / "prompts"


@pytest.fixture
def seoul(project: Path, invoke) -> Path:
    """A project with the bundled Seoul prompts copied into prompts/ and an `echo` model."""
    shutil.copytree(SAMPLE, project / "prompts", dirs_exist_ok=True)
    assert invoke("--project", project, "models", "add", "echo", "--backend", "echo").exit_code == 0
    return project


def test_lint_flags_the_vague_prompt_and_passes_the_improved_one(seoul, invoke):
    result = invoke(
        "--project",
        seoul,
        "prompt",
        "lint",
        seoul / "prompts/seoul-vague.yaml",
        seoul / "prompts/seoul-guide.yaml",
        "--json",
    )
    assert result.exit_code == 0, result.output  # warnings only
    report = {Path(r["file"]).name: r["issues"] for r in json.loads(result.stdout)}
    assert {"vague-request", "missing-system"} <= {i["rule"] for i in report["seoul-vague.yaml"]}
    assert report["seoul-guide.yaml"] == []


def test_lint_exits_1_on_errors_for_ci(seoul, invoke):
    bad = seoul / "prompts" / "bad.yaml"
    bad.write_text(
        "name: bad\nsystem: 당신은 안내사입니다.\n"
        "user: '{{ city }}의 관광지 3곳을 번호 목록으로 추천해 주세요'\n",
        encoding="utf-8",
    )
    result = invoke("--project", seoul, "prompt", "lint", bad, "--json")
    assert result.exit_code == 1
    rules = {i["rule"] for i in json.loads(result.stdout)[0]["issues"]}
    assert "undefined-variable" in rules


def test_push_show_alias_diff_history(seoul, invoke):
    p = seoul / "prompts" / "seoul-guide.yaml"
    first = invoke(
        "--project", seoul, "prompt", "push", p, "-m", "first", "--alias", "staging", "--json"
    )
    assert json.loads(first.stdout)["version"] == 1 and json.loads(first.stdout)["created"]
    again = json.loads(invoke("--project", seoul, "prompt", "push", p, "--json").stdout)
    assert again["version"] == 1 and again["created"] is False
    p.write_text(
        p.read_text(encoding="utf-8").replace("temperature: 0.3", "temperature: 0.2"),
        encoding="utf-8",
    )
    assert (
        json.loads(invoke("--project", seoul, "prompt", "push", p, "--json").stdout)["version"] == 2
    )
    assert (
        invoke(
            "--project", seoul, "prompt", "alias", "set", "seoul-guide@2", "production"
        ).exit_code
        == 0
    )

    shown = json.loads(
        invoke("--project", seoul, "prompt", "show", "seoul-guide@production", "--json").stdout
    )
    assert shown["version"] == 2 and shown["aliases"] == ["production"]
    # context files are inlined, so the stored version cannot drift when the file changes
    assert "경복궁: 1395년" in shown["content"] and "file: context" not in shown["content"]

    diff = invoke(
        "--project", seoul, "prompt", "diff", "seoul-guide@staging", "seoul-guide@production"
    )
    assert "-  temperature: 0.3" in diff.stdout and "+  temperature: 0.2" in diff.stdout

    listed = json.loads(invoke("--project", seoul, "prompt", "list", "--json").stdout)
    assert listed == [
        {"name": "seoul-guide", "latest": 2, "aliases": {"staging": 1, "production": 2}}
    ]
    history = json.loads(
        invoke("--project", seoul, "prompt", "history", "seoul-guide", "--json").stdout
    )
    assert [(e["alias"], e["to_version"]) for e in history["alias_events"]] == [
        ("staging", 1),
        ("production", 2),
    ]


def test_unknown_prompt_ref_is_a_clear_error(seoul, invoke):
    result = invoke("--project", seoul, "prompt", "run", "nope@production", "--model", "echo")
    assert result.exit_code != 0
    assert "nope" in str(result.exception)


def test_run_single_and_batch_are_saved_as_runs(seoul, invoke):
    one = invoke(
        "--project",
        seoul,
        "prompt",
        "run",
        "seoul-guide",
        "--model",
        "echo",
        "--var",
        "count=2",
        "--var",
        "interest=역사를 좋아하는",
    )
    assert one.exit_code == 0, one.output
    assert "역사를 좋아하는 여행자에게 서울 관광지 2곳을 추천해 주세요." in one.stdout
    batch = invoke(
        "--project",
        seoul,
        "prompt",
        "run",
        "seoul-guide",
        "--model",
        "echo",
        "--vars",
        seoul / "prompts/cases.jsonl",
        "--json",
    )
    data = json.loads(batch.stdout)
    assert len(data["results"]) == 4 and all(r["error"] is None for r in data["results"])
    with Store.from_settings(load_settings(seoul)) as store:
        runs = store.prompt_runs.list()
        assert [r.n_cases for r in runs] == [4, 1]
        first = store.prompt_runs.results(data["run_id"])[0]
        assert first.variables["interest"] == "역사를 좋아하는"
        # the run records what `echo` resolved to, not only the name typed
        stored = store.prompt_runs.get(data["run_id"])
        assert (stored.model, stored.model_version) == ("echo", "echo")
        assert stored.model_hash is not None and stored.model_hash.startswith("sha256:")
        assert stored.model_hash == data["model_hash"]


def test_stored_runs_hold_no_personal_information(seoul, invoke):
    result = invoke(
        "--project",
        seoul,
        "prompt",
        "run",
        "seoul-guide",
        "--model",
        "echo",
        "--json",
        "--var",
        "count=2",
        "--var",
        "interest=연락처 010-1234-5678 인 김민수 님이 좋아하는",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # the person running it sees the real answer; the store keeps only the redacted one
    assert "010-1234-5678" in data["results"][0]["output"]
    with Store.from_settings(load_settings(seoul)) as store:
        [stored] = store.prompt_runs.results(data["run_id"])
    saved = json.dumps([stored.variables, stored.messages, stored.output], ensure_ascii=False)
    assert "010-1234-5678" not in saved and "김민수" not in saved
    assert "<PHONE>" in stored.variables["interest"]
    assert "<PHONE>" in stored.output


def test_bad_var_syntax_and_bad_case_file_are_clear_errors(seoul, invoke):
    result = invoke(
        "--project", seoul, "prompt", "run", "seoul-guide", "--model", "echo", "--var", "count"
    )
    assert "KEY=VALUE" in str(result.exception)
    bad = seoul / "bad.jsonl"
    bad.write_text('{"count": 1}\nnot json\n', encoding="utf-8")
    result = invoke(
        "--project", seoul, "prompt", "run", "seoul-guide", "--model", "echo", "--vars", bad
    )
    assert "bad.jsonl:2" in str(result.exception)


def test_compare_runs_both_sides_and_writes_html(seoul, invoke, tmp_path):
    html = tmp_path / "ab.html"
    result = invoke(
        "--project",
        seoul,
        "prompt",
        "compare",
        "seoul-vague",
        "seoul-guide",
        "--cases",
        seoul / "prompts/cases.jsonl",
        "--model",
        "echo",
        "--html",
        html,
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["a"]["summary"]["errors"] == 0 and data["b"]["summary"]["cases"] == 4
    first = data["cases"][0]
    assert first["variables"] == {"interest": "역사를 좋아하는", "count": 2}
    assert first["a"]["output"] == "서울 관광지 알려줘"
    assert first["b"]["output"].startswith("역사를 좋아하는 여행자에게")
    page = html.read_text(encoding="utf-8")
    assert page.count('<tr class="case">') == 4 and "서울 관광지 알려줘" in page


SHORT = """\
name: short-guide
system: 당신은 서울 여행 안내사입니다.
variables:
  interest: {type: string, required: true}
  count: {type: integer, default: 3}
user: "{{ interest }} 여행자에게 서울 관광지 {{ count }}곳을 번호 목록으로 추천해 주세요."
"""


def test_batch_run_through_openai_backend_against_the_real_server(
    seoul, invoke, live_server, tiny_model_dir, monkeypatch
):
    monkeypatch.setenv("TL_TEST_KEY", live_server.api_key)
    (seoul / "prompts" / "short-guide.yaml").write_text(SHORT, encoding="utf-8")
    added = invoke(
        "--project",
        seoul,
        "models",
        "add",
        "remote-tiny",
        "--backend",
        "openai",
        "--base-url",
        live_server.base_url,
        "--upstream-model",
        "tiny",
        "--api-key-env",
        "TL_TEST_KEY",
    )
    assert added.exit_code == 0, added.output
    result = invoke(
        "--project",
        seoul,
        "prompt",
        "run",
        "short-guide",
        "--model",
        "remote-tiny",
        "--vars",
        seoul / "prompts/cases.jsonl",
        "--temperature",
        "0",
        "--max-tokens",
        "8",
        "--concurrency",
        "3",
        "--json",
    )
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    # The same greedy answers as the tiny model gives locally for the same rendered messages.
    local = LocalChatModel("tiny", {"path": str(tiny_model_dir)})
    prompt = load_prompt(seoul / "prompts" / "short-guide.yaml")
    for r in results:
        messages = render(prompt, r["variables"]).messages
        expected = local.generate(messages, SamplingParams(temperature=0, max_tokens=8))
        assert r["output"] == expected.text
        assert r["usage"]["prompt_tokens"] == local.count_tokens(messages)


def test_schema_command_exports_the_prompt_json_schema(invoke, tmp_path):
    out = tmp_path / "prompt.schema.json"
    assert invoke("schema", "prompt", "-o", out).exit_code == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert {"name", "user", "system", "variables", "examples_from"} <= set(schema["properties"])
    assert "user" in schema["required"]
    import jsonschema
    import yaml

    doc = yaml.safe_load((SAMPLE / "seoul-guide.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "colour": "red"}, schema)
