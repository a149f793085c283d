"""`tuneloop eval run --baseline`, and the linked baseline runs in `eval report` and `compare`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import tuneloop.cli.eval_analysis  # noqa: F401  (registers report/compare/gate on `tuneloop eval`)
from tuneloop.errors import ConfigError, InvalidRequest

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel"

SUITE = """\
name: mini
system: 서울 여행 도우미입니다.
params: {temperature: 0, max_tokens: 80}
documents: ../docs
metrics: [token_f1, rouge_l]
cases:
  - id: closed
    input: 경복궁은 무슨 요일에 쉬나요?
    reference: 경복궁은 매주 화요일에 쉽니다.
  - id: jongmyo
    input: 종묘는 평일에 자유 관람이 되나요?
    reference: 평일에는 시간제 안내 관람으로만 볼 수 있습니다.
  - id: fare
    input: 경복궁 입장료는 얼마인가요?
    reference: 성인 3,000원이고 한복을 입으면 무료입니다.
"""


@pytest.fixture
def suite(project: Path) -> Path:
    (project / "docs").mkdir()
    for name in ("gyeongbokgung.md", "jongmyo.txt", "tteokbokki.md"):  # jongmyo.txt is cp949
        shutil.copy(SAMPLE / "docs" / name, project / "docs" / name)
    path = project / "evals" / "mini.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


def eval_json(invoke, project, *args):
    result = invoke("--project", project, "eval", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def with_baselines(invoke, project, suite):
    args = ("run", suite, "--model", "echo:x", "--baseline", "echo", "--baseline", "retrieve")
    return eval_json(invoke, project, *args)


def test_run_with_baselines_stores_linked_runs_and_prints_them_side_by_side(invoke, project, suite):
    result = invoke(
        "--project", project, "eval", "run", suite, "--model", "echo:x",
        "--baseline", "echo", "--baseline", "retrieve",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Model and trivial baselines" in result.stdout
    assert "(model)" in result.stdout and result.stdout.count("(baseline)") == 2
    runs = {r["id"]: r for r in eval_json(invoke, project, "list")}
    assert len(runs) == 3
    main = next(r for r in runs.values() if r["model"] == "echo:x")
    links = main["meta"]["baselines"]
    assert set(links) == {"echo", "retrieve"}
    for name, run_id in links.items():
        assert runs[run_id]["model"] == name
        assert runs[run_id]["meta"]["baseline_of"] == main["id"]
        assert f"Baseline {name}: run {run_id} saved." in result.stdout


def test_run_json_carries_each_baseline_and_the_table(invoke, project, suite):
    data = with_baselines(invoke, project, suite)
    assert set(data["baselines"]) == {"echo", "retrieve"}
    echo = data["baselines"]["echo"]
    questions = [r["messages"][-1]["content"] for r in echo["results"]]
    assert [r["output"] for r in echo["results"]] == questions  # echo restates the question
    retrieved = data["baselines"]["retrieve"]["results"]
    assert "화요일" in retrieved[0]["output"] and "종묘" in retrieved[1]["output"]
    arms = data["side_by_side"]["arms"]
    assert [a["label"] for a in arms] == ["echo:x", "echo", "retrieve"]
    cell = arms[2]["metrics"]["token_f1"]
    assert cell["n"] == 3 and cell["low"] <= cell["mean"] <= cell["high"]
    # the echo model and the echo baseline answer alike, so they score alike
    assert arms[0]["metrics"]["token_f1"] == arms[1]["metrics"]["token_f1"]


def test_report_shows_the_linked_baselines_in_the_terminal_json_and_html(
    invoke, project, suite, tmp_path
):
    main = with_baselines(invoke, project, suite)
    page = tmp_path / "report.html"
    result = invoke("--project", project, "eval", "report", main["id"], "-o", page)
    assert result.exit_code == 0, result.output
    assert "Model and trivial baselines" in result.stdout and "(baseline)" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert 'id="baselines"' in html
    for name in ("echo", "retrieve"):
        assert f'data-arm="{name}"' in html
        assert main["baselines"][name]["id"] in html
    data = eval_json(invoke, project, "report", main["id"])
    assert [a["role"] for a in data["baselines"]["arms"]] == ["model", "baseline", "baseline"]


def test_report_of_a_run_without_baselines_has_no_baseline_table(invoke, project, suite, tmp_path):
    plain = eval_json(invoke, project, "run", suite, "--model", "echo:x")
    page = tmp_path / "plain.html"
    result = invoke("--project", project, "eval", "report", plain["id"], "-o", page)
    assert result.exit_code == 0, result.output
    assert "trivial baselines" not in result.stdout
    assert 'id="baselines"' not in page.read_text(encoding="utf-8")
    assert eval_json(invoke, project, "report", plain["id"])["baselines"] is None


def test_compare_adds_a_column_per_baseline(invoke, project, suite, tmp_path):
    a = eval_json(invoke, project, "run", suite, "--model", "echo:y")
    b = with_baselines(invoke, project, suite)
    page = tmp_path / "compare.html"
    result = invoke("--project", project, "eval", "compare", a["id"], b["id"], "--html", page)
    assert result.exit_code == 0, result.output
    assert "A, B and trivial baselines" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert 'data-arm="echo"' in html and 'data-arm="retrieve"' in html
    data = eval_json(invoke, project, "compare", a["id"], b["id"])
    arms = data["baselines"]["arms"]
    assert [(x["role"], x["run"]) for x in arms[:2]] == [("a", a["id"]), ("b", b["id"])]
    assert {x["label"] for x in arms[2:]} == {"echo", "retrieve"}
    assert data["baselines"]["metrics"] == ["token_f1", "rouge_l"]


def test_gate_refuses_a_baseline_run(invoke, project, suite):
    main = with_baselines(invoke, project, suite)
    echo_id = main["baselines"]["echo"]["id"]
    result = invoke("--project", project, "eval", "gate", echo_id, "--min", "token_f1=0.1")
    assert isinstance(result.exception, InvalidRequest)
    assert "never a candidate" in str(result.exception)


def test_retrieve_without_documents_fails_before_any_run(invoke, project, suite):
    suite.write_text(SUITE.replace("documents: ../docs\n", ""), encoding="utf-8")
    result = invoke(
        "--project", project, "eval", "run", suite, "--model", "echo:x", "--baseline", "retrieve"
    )
    assert isinstance(result.exception, ConfigError)
    assert "No documents are configured" in str(result.exception)
    assert eval_json(invoke, project, "list") == []


def test_the_project_setting_names_the_documents_when_the_suite_does_not(invoke, project, suite):
    suite.write_text(SUITE.replace("documents: ../docs\n", ""), encoding="utf-8")
    with (project / "tuneloop.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[knowledge]\ndocuments = ["docs/"]\n')
    data = eval_json(invoke, project, "run", suite, "--model", "echo:x", "--baseline", "retrieve")
    assert "화요일" in data["baselines"]["retrieve"]["results"][0]["output"]


def test_an_unknown_baseline_is_refused(invoke, project, suite):
    result = invoke("--project", project, "eval", "run", suite, "--baseline", "oracle")
    assert isinstance(result.exception, InvalidRequest)
    assert "echo, retrieve" in (result.exception.hint or "")
