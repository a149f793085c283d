"""`tuneloop migrate openai import-evals`: an exported OpenAI eval becomes a suite that `tuneloop
eval run` accepts; the mapping table lists what was not mapped; only unreadable input fails.

The export follows the ``openai`` SDK's ``client.evals.retrieve(...).model_dump()`` shape (see
tests/migrate/test_graders.py for every grader type).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.errors import InvalidRecord


def export(tmp_path: Path, marker: Path) -> Path:
    criteria = [
        {
            "input": "{{ sample.output_text }}",
            "name": "exact",
            "operation": "eq",
            "reference": "{{ item.answer }}",
            "type": "string_check",
        },
        {
            "evaluation_metric": "rouge_l",
            "input": "{{ sample.output_text }}",
            "name": "overlap",
            "pass_threshold": 0.5,
            "reference": "{{ item.answer }}",
            "type": "text_similarity",
        },
        {
            "name": "port me",
            "pass_threshold": 1.0,
            "source": f"open({str(marker)!r}, 'w').write('ran')\ndef grade(sample, item):\n"
            "    return 1.0\n",
            "type": "python",
        },
    ]
    evals = {
        "id": "eval_68b0a1c2d3e48190",
        "created_at": 1750000000,
        "data_source_config": {"schema": {"type": "object"}, "type": "custom"},
        "metadata": None,
        "name": "echo check",
        "object": "eval",
        "testing_criteria": criteria,
    }
    path = tmp_path / "eval.json"
    path.write_text(json.dumps(evals, indent=2), encoding="utf-8")
    return path


def items(tmp_path: Path) -> Path:
    rows = [
        {"item": {"question": "화요일", "answer": "화요일"}},
        {"item": {"question": "Where is Gyeongbokgung?", "answer": "In Jongno-gu."}},
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_imported_suite_runs_with_eval_run(invoke, project, tmp_path):
    marker = tmp_path / "ran.txt"
    out = project / "evals" / "imported"
    result = invoke(
        "migrate", "openai", "import-evals", export(tmp_path, marker),
        "--items", items(tmp_path), "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    suite = out / "echo-check.yaml"
    assert f"Wrote {suite} (2 cases)" in result.stdout
    assert not marker.exists()
    ran = invoke("--project", project, "eval", "run", suite, "--model", "echo:x", "--json")
    assert ran.exit_code == 0, ran.output
    data = json.loads(ran.stdout)
    # echo answers with the question: item 1's question equals its answer, item 2's does not
    assert [r["scores"]["exact"] for r in data["results"]] == [1.0, 0.0]
    assert [r["passed"] for r in data["results"]] == [True, False]


def test_the_table_shows_what_was_not_mapped_and_where_the_source_is(invoke, tmp_path):
    result = invoke(
        "migrate", "openai", "import-evals", export(tmp_path, tmp_path / "ran.txt"),
        "--items", items(tmp_path), "--out", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # approximated: without a run export, the item's question is what each case asks
    assert "2 mapped, 1 approximated, 1 not mapped" in result.stdout
    assert "not mapped" in result.stdout and "port me" in result.stdout
    kept = tmp_path / "out" / "echo-check.port-me.py"
    assert f"kept, never executed: {kept}" in result.stdout and kept.is_file()


def test_json_lists_every_entry_and_file(invoke, tmp_path):
    result = invoke(
        "migrate", "openai", "import-evals", export(tmp_path, tmp_path / "ran.txt"),
        "--items", items(tmp_path), "--out", tmp_path / "out", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (suite,) = json.loads(result.stdout)
    assert suite["suite"] == "echo-check" and suite["cases"] == 2
    assert suite["counts"] == {"mapped": 2, "approximated": 1, "not_mapped": 1}
    statuses = {e["name"]: (e["status"], e["metric"]) for e in suite["entries"]}
    assert statuses["exact"] == ("mapped", "exact")
    assert statuses["overlap"] == ("mapped", "overlap")
    assert statuses["port me"] == ("not_mapped", None)
    assert statuses["input_messages"] == ("approximated", None)
    assert suite["files"]["suite"] == str(tmp_path / "out" / "echo-check.yaml")


def test_unreadable_input_fails_with_file_and_line(invoke, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "id": "eval_1",\n  "testing_criteria": [,]\n}\n', encoding="utf-8")
    result = invoke("migrate", "openai", "import-evals", broken)
    assert isinstance(result.exception, InvalidRecord)
    assert f"{broken}:3" in str(result.exception)


def test_unreadable_input_exits_4_from_the_real_script(run_cli, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"id": 1,}\n]\n', encoding="utf-8")
    result = run_cli("migrate", "openai", "import-evals", broken)
    assert result.returncode == 4
    assert f"{broken}:2" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["items.jsonl", "notes.txt"])
def test_a_file_that_is_neither_export_nor_registry_is_refused(invoke, tmp_path, name):
    path = tmp_path / name
    path.write_text("{}\n", encoding="utf-8")
    result = invoke("migrate", "openai", "import-evals", path)
    assert result.exit_code != 0 and "--items" in str(result.exception)
