"""Grader import on real-shaped exports: OpenAI Evals (eval + run + items) and openai/evals
registry YAML become suites that load and run; what cannot be mapped is listed, never dropped;
Python graders and custom classes are never executed.

The OpenAI shapes follow the ``openai`` SDK's ``model_dump()`` of ``EvalRetrieveResponse`` and
``RunRetrieveResponse`` (``types/eval_retrieve_response.py``, ``types/evals/``,
``types/graders/``), including the ``None`` fields ``model_dump`` prints. The registry files in
``evals_registry/`` copy github.com/openai/evals (commit 4bfc1f5):
``evals/registry/evals/korean_romanization.yaml``, ``korean_spaces.yaml``, ``abstract2title.yaml``
and ``modelgraded/closedqa.yaml``; samples are small stand-ins in their documented shape (the
repository keeps its data in Git LFS).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tuneloop.errors import DataError, InvalidRecord
from tuneloop.evaluate.metrics import MetricContext
from tuneloop.evaluate.runner import run_suite_sync
from tuneloop.evaluate.suite import load_suite
from tuneloop.migrate.graders import import_evals, plan_imports
from tuneloop.migrate.graders_suite import ANSWER, QUESTION, REFERENCES
from tuneloop.migrate.graders_templates import TemplateProblem, render_template
from tuneloop.models.testing import ScriptedModel

EVAL_ID = "eval_6845c3a1b2c88190a0c1d2e3f4a5b6c7"
REGISTRY = Path(__file__).parent / "evals_registry"  # registry YAML, sources named in each file


def eval_export(criteria: list[dict], **extra) -> dict:
    """An eval as ``client.evals.retrieve(EVAL_ID).model_dump()`` prints it."""
    return {
        "id": EVAL_ID,
        "created_at": 1749402017,
        "data_source_config": {
            "schema": {
                "type": "object",
                "properties": {
                    "item": {
                        "type": "object",
                        "properties": {
                            "question": {"type": "string"},
                            "answer": {"type": "string"},
                            "keyword": {"type": "string"},
                        },
                        "required": ["question", "answer"],
                    },
                    "sample": {"type": "object"},
                },
                "required": ["item", "sample"],
            },
            "type": "custom",
        },
        "metadata": {"team": "seoul"},
        "name": "Seoul guide answers",
        "object": "eval",
        "testing_criteria": criteria,
        **extra,
    }


def run_export(source: dict | None = None) -> dict:
    """A run as ``client.evals.runs.retrieve(...).model_dump()`` prints it."""
    return {
        "id": "evalrun_6845c4b7e2a48190b1c2d3e4f5a6b7c8",
        "created_at": 1749402300,
        "data_source": {
            "source": source or {"id": "file-9GYS6xbkWgWhmE7VoLUWFg", "type": "file_id"},
            "type": "completions",
            "input_messages": {
                "template": [
                    {
                        "content": {"text": "당신은 서울 여행 도우미입니다.", "type": "input_text"},
                        "role": "system",
                        "type": "message",
                    },
                    {
                        "content": {"text": "{{ item.question }}", "type": "input_text"},
                        "role": "user",
                        "type": "message",
                    },
                ],
                "type": "template",
            },
            "model": "ft:gpt-4o-mini-2024-07-18:acme:seoul:B1x2y3z4",
            "sampling_params": {
                "max_completion_tokens": 200,
                "reasoning_effort": None,
                "response_format": None,
                "seed": 7,
                "temperature": 0.0,
                "tools": None,
                "top_p": None,
            },
        },
        "error": None,
        "eval_id": EVAL_ID,
        "metadata": {},
        "model": "ft:gpt-4o-mini-2024-07-18:acme:seoul:B1x2y3z4",
        "name": "seoul-ft-v3",
        "object": "eval.run",
        "per_model_usage": [],
        "per_testing_criteria_results": [],
        "report_url": f"https://platform.openai.com/evaluations/{EVAL_ID}",
        "result_counts": {"errored": 0, "failed": 1, "passed": 1, "total": 2},
        "status": "completed",
    }


ITEMS = [
    {
        "item": {
            "question": "경복궁은 언제 쉬나요?",
            "answer": "매주 화요일에 쉽니다.",
            "keyword": "화요일",
        }
    },
    {
        "item": {
            "question": "How do I get to N Seoul Tower?",
            "answer": "Take the Namsan cable car.",
            "keyword": "Cable Car",
        }
    },
]

EXACT = {
    "input": "{{ sample.output_text }}",
    "name": "exact answer",
    "operation": "eq",
    "reference": "{{ item.answer }}",
    "type": "string_check",
}
MENTIONS = {
    "input": "{{sample.output_text}}",
    "name": "mentions keyword",
    "operation": "ilike",
    "reference": "{{ item.keyword }}",
    "type": "string_check",
}
CLOSE = {
    "evaluation_metric": "fuzzy_match",
    "input": "{{ sample.output_text }}",
    "name": "close",
    "pass_threshold": 0.8,
    "reference": "{{ item.answer }}",
    "type": "text_similarity",
}
BLEU = {**CLOSE, "evaluation_metric": "bleu", "name": "bleu", "pass_threshold": 0.3}
QUALITY = {
    "input": [
        {"content": "Grade the answer from 1 to 7 for accuracy.", "role": "system", "type": None},
        {
            "content": "Question: {{ item.question }}\nReference: {{ item.answer }}\n"
            "Answer: {{ sample.output_text }}",
            "role": "user",
            "type": None,
        },
    ],
    "model": "o3-mini-2025-01-31",
    "name": "quality",
    "type": "score_model",
    "range": [1.0, 7.0],
    "sampling_params": {"seed": 1, "temperature": 0.0},
    "pass_threshold": 5.0,
}
TONE = {
    "input": [{"content": "Is this answer polite? {{ sample.output_text }}", "role": "user"}],
    "labels": ["polite", "neutral", "rude"],
    "model": "gpt-4o-2024-08-06",
    "name": "tone",
    "passing_labels": ["polite", "neutral"],
    "type": "label_model",
}


def python_grader(marker: Path) -> dict:
    """A Python grader whose source would leave ``marker`` behind (and stop) if it ever ran."""
    source = (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('executed')\n"
        "raise SystemExit('grader source was executed')\n\n"
        "def grade(sample, item) -> float:\n"
        "    return float(sample['output_text'] == item['answer'])\n"
    )
    return {"name": "custom py", "pass_threshold": 0.5, "source": source, "type": "python"}


def write_export(tmp_path: Path, criteria: list[dict], run: dict | None = None) -> Path:
    path = tmp_path / "export.json"
    objects = [eval_export(criteria)] + ([run] if run else [])
    path.write_text(json.dumps(objects, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_items(tmp_path: Path, rows: list[dict] = ITEMS) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def one(tmp_path: Path, criteria: list[dict], **kwargs):
    export = write_export(tmp_path, criteria, run_export())
    (result,) = import_evals(
        [export], out_dir=tmp_path / "out", items=write_items(tmp_path), **kwargs
    )
    return result


def entries(result) -> dict[str, dict]:
    return {e.name: e.as_dict() for e in result.draft.entries}


# ------------------------------------------------------------------------- OpenAI exports


def test_string_and_similarity_graders_become_exact_metric_specs(tmp_path):
    result = one(tmp_path, [EXACT, CLOSE, BLEU, MENTIONS])
    doc = yaml.safe_load(result.suite.read_text(encoding="utf-8"))
    assert doc["metrics"] == [
        {"name": "equals", "label": "exact-answer"},
        {"name": "fuzzy_match", "label": "close", "threshold": 0.8},
        {"name": "chrf", "label": "bleu", "threshold": 0.3},
    ]
    # ilike reads another item field than the cases' references: its own value per case
    assert [c["metrics"] for c in doc["cases"]] == [
        [
            {
                "name": "includes",
                "label": "mentions-keyword",
                "params": {"value": "화요일", "case_sensitive": False},
            }
        ],
        [
            {
                "name": "includes",
                "label": "mentions-keyword",
                "params": {"value": "Cable Car", "case_sensitive": False},
            }
        ],
    ]
    status = {k: v["status"] for k, v in entries(result).items()}
    assert status["exact answer"] == "mapped" and status["mentions keyword"] == "mapped"
    assert status["close"] == "approximated" and status["bleu"] == "approximated"
    assert "chrF" in entries(result)["bleu"]["reason"]


def test_cases_come_from_the_run_template_with_the_items_and_the_run_params(tmp_path):
    result = one(tmp_path, [EXACT])
    assert result.cases is not None  # no per-case metrics: cases go to JSONL
    doc = yaml.safe_load(result.suite.read_text(encoding="utf-8"))
    assert doc["system"] == "당신은 서울 여행 도우미입니다."
    assert doc["params"] == {"temperature": 0.0, "seed": 7, "max_tokens": 200}
    assert doc["cases_from"] == [result.cases.name]
    rows = [json.loads(line) for line in result.cases.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["input"], r["reference"]) for r in rows] == [
        ("item-1", "경복궁은 언제 쉬나요?", "매주 화요일에 쉽니다."),
        ("item-2", "How do I get to N Seoul Tower?", "Take the Namsan cable car."),
    ]
    assert rows[0]["item"] == ITEMS[0]["item"] and rows[0]["source"].endswith("items.jsonl:1")
    suite = load_suite(result.suite)
    assert suite.system == doc["system"] and [c.references for c in suite.cases] == [
        ("매주 화요일에 쉽니다.",),
        ("Take the Namsan cable car.",),
    ]
    model_entry = entries(result)["model"]
    assert "ft:gpt-4o-mini-2024-07-18:acme:seoul:B1x2y3z4" in model_entry["reason"]


def test_model_graders_become_llm_judge_with_the_grader_messages_as_rubric(tmp_path):
    result = one(tmp_path, [EXACT, QUALITY, TONE])
    doc = yaml.safe_load(result.suite.read_text(encoding="utf-8"))
    judges = {m["label"]: m for m in doc["metrics"] if m["name"] == "llm_judge"}
    quality = judges["quality"]
    assert quality["threshold"] == pytest.approx((5 - 1) / (7 - 1), abs=1e-4)
    assert quality["params"]["model"] == "o3-mini-2025-01-31"
    assert quality["params"]["rubric"].endswith(
        "[system]\nGrade the answer from 1 to 7 for accuracy.\n\n[user]\n"
        f"Question: {QUESTION}\nReference: {REFERENCES}\nAnswer: {ANSWER}"
    )
    assert "from 1.0 to 7.0, passing at 5.0" in quality["params"]["rubric"]
    tone = judges["tone"]
    assert tone["threshold"] == 0.5
    assert "polite, neutral, rude; passing labels: polite, neutral" in tone["params"]["rubric"]
    assert entries(result)["quality"]["status"] == "approximated"
    assert "sampling_params not carried" in entries(result)["quality"]["reason"]


def test_a_judge_only_eval_fills_item_fields_into_each_case_rubric(tmp_path):
    # no string grader names the reference, so {{ item.answer }} is per-case text
    result = one(tmp_path, [QUALITY], judge_model="local-judge")
    doc = yaml.safe_load(result.suite.read_text(encoding="utf-8"))
    assert doc["metrics"] == []
    rubrics = [c["metrics"][0]["params"] for c in doc["cases"]]
    assert [r["model"] for r in rubrics] == ["local-judge", "local-judge"]
    assert "Reference: 매주 화요일에 쉽니다.\n" in rubrics[0]["rubric"]
    assert "Reference: Take the Namsan cable car.\n" in rubrics[1]["rubric"]
    assert f"Question: {QUESTION}" in rubrics[1]["rubric"]
    assert "from --judge-model" in entries(result)["quality"]["reason"]


def test_python_grader_is_never_executed_and_its_source_is_kept(tmp_path, monkeypatch):
    marker = tmp_path / "executed.txt"
    compiled: list[str] = []
    real_compile = compile

    def watching_compile(source, filename, *args, **kwargs):
        compiled.append(str(source))
        return real_compile(source, filename, *args, **kwargs)

    monkeypatch.setattr("builtins.compile", watching_compile)
    result = one(tmp_path, [EXACT, python_grader(marker)])
    assert not marker.exists()
    assert not any("grader source was executed" in s for s in compiled)
    entry = entries(result)["custom py"]
    assert entry["status"] == "not_mapped" and "never executed" in entry["reason"]
    assert entry["definition"]["source"] == python_grader(marker)["source"]
    (kept,) = result.kept
    assert kept.name == "seoul-guide-answers.custom-py.py"
    assert kept.read_text(encoding="utf-8").endswith(python_grader(marker)["source"])
    assert "never runs it" in kept.read_text(encoding="utf-8")
    assert not marker.exists()


def test_unknown_and_multi_graders_are_listed_with_their_definitions(tmp_path):
    future = {"type": "vision_check", "name": "looks right", "input": "{{ sample.output_image }}"}
    multi = {
        "type": "multi",
        "name": "combined",
        "graders": {"exact": EXACT, "close": CLOSE},
        "calculate_output": "0.5 * exact + 0.5 * close",
    }
    result = one(tmp_path, [multi, future])
    found = entries(result)
    assert found["looks right"]["status"] == "not_mapped"
    assert found["looks right"]["definition"] == future
    assert found["combined"]["status"] == "not_mapped"
    assert "0.5 * exact + 0.5 * close" in found["combined"]["reason"]
    assert found["combined.exact"]["metric"] == "combined.exact"
    assert found["combined.close"]["metric"] == "combined.close"
    report = json.loads(result.report.read_text(encoding="utf-8"))
    assert report["counts"]["not_mapped"] == 2
    assert {e["name"] for e in report["entries"]} >= {"looks right", "combined"}


def test_a_grader_that_does_not_grade_the_answer_is_not_mapped(tmp_path):
    odd = {**EXACT, "name": "grades the item", "input": "{{ item.question }}"}
    result = one(tmp_path, [odd])
    entry = entries(result)["grades the item"]
    assert entry["status"] == "not_mapped" and "sample.output_text" in entry["reason"]
    assert yaml.safe_load(result.suite.read_text(encoding="utf-8"))["metrics"] == []


def test_the_imported_suite_runs_and_scores_like_the_graders(tmp_path):
    result = one(tmp_path, [EXACT, MENTIONS, CLOSE, QUALITY])
    suite = load_suite(result.suite)
    answers = ScriptedModel(["매주 화요일에 쉽니다.", "Take the cable car."])
    judge = ScriptedModel(['{"score": 4, "reason": "mostly right"}'])
    run = run_suite_sync(
        suite, answers, concurrency=1, metric_context=MetricContext(models=lambda name: judge)
    )
    first, second = run.results
    assert first.scores == {
        "exact-answer": 1.0,
        "close": 1.0,
        "quality": 0.75,
        "mentions-keyword": 1.0,
    }
    assert first.passed is True
    # eq fails; ilike passes ("cable car" vs "Cable Car"); fuzzy 2·19 / (19 + 26)
    assert second.scores["exact-answer"] == 0.0 and second.scores["mentions-keyword"] == 1.0
    assert second.scores["close"] == pytest.approx(38 / 45)
    assert second.passed is False


def test_items_inline_in_the_run_and_recorded_openai_answers_are_kept(tmp_path):
    content = [{"item": ITEMS[0]["item"], "sample": {"output_text": "화요일요."}}]
    export = write_export(
        tmp_path, [EXACT], run_export({"type": "file_content", "content": content})
    )
    (result,) = import_evals([export], out_dir=tmp_path / "out")
    rows = [json.loads(line) for line in result.cases.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["openai_output"] == "화요일요." and rows[0]["input"] == "경복궁은 언제 쉬나요?"


def test_runs_may_come_in_their_own_file(tmp_path):
    evals = tmp_path / "eval.json"
    evals.write_text(json.dumps(eval_export([EXACT])), encoding="utf-8")
    runs = tmp_path / "runs.json"
    runs.write_text(json.dumps({"object": "list", "data": [run_export()]}), encoding="utf-8")
    (draft,) = plan_imports([evals, runs], items=write_items(tmp_path))
    assert draft.cases[0].messages[0] == {
        "role": "system",
        "content": "당신은 서울 여행 도우미입니다.",
    }


def test_without_a_run_the_item_question_is_asked_and_that_is_reported(tmp_path):
    export = write_export(tmp_path, [EXACT])
    (draft,) = plan_imports([export], items=write_items(tmp_path))
    assert draft.cases[0].messages == [{"role": "user", "content": "경복궁은 언제 쉬나요?"}]
    (entry,) = [e for e in draft.entries if e.name == "input_messages"]
    assert entry.status == "approximated"


def test_render_template_reads_nested_fields_and_refuses_unknown_ones():
    item = {"trip": {"stops": [{"name": "경복궁"}]}, "n": 3}
    assert render_template("{{item.trip.stops[0].name}} ({{ item.n }})", item) == "경복궁 (3)"
    with pytest.raises(TemplateProblem, match=r"no `item\.trip\.days`"):
        render_template("{{ item.trip.days }}", item)
    with pytest.raises(TemplateProblem, match="unknown namespace"):
        render_template("{{ user.name }}", item)


def test_create_params_with_item_schema_and_korean_names_import_too(tmp_path):
    # the EvalCreateParams a team kept in code: no id/object, `item_schema`, Korean names
    params = {
        "name": "서울 가이드 평가",
        "data_source_config": {
            "type": "custom",
            "item_schema": {"type": "object", "required": ["question", "answer"]},
            "include_sample_schema": True,
        },
        "testing_criteria": [{**EXACT, "name": "정확도"}, {**CLOSE, "name": "유사도"}],
    }
    path = tmp_path / "create_params.json"
    path.write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
    (draft,) = plan_imports([path], items=write_items(tmp_path))
    assert draft.name == "openai-eval"  # nothing of the Korean name is a valid suite name
    assert [m["label"] for m in draft.metrics] == ["equals", "fuzzy_match"]
    bad = write_items(tmp_path, [{"item": {"question": "답은?"}}])
    with pytest.raises(InvalidRecord, match="item_schema"):
        plan_imports([path], items=bad)


# ------------------------------------------------------------------------- bad input


def test_invalid_json_is_an_error_with_file_and_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "eval_1",\n  "testing_criteria": [,]\n}\n', encoding="utf-8")
    with pytest.raises(InvalidRecord) as caught:
        plan_imports([path])
    assert caught.value.line == 3 and f"{path}:3:" in str(caught.value)


def test_an_object_that_is_not_an_eval_names_its_line(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([eval_export([EXACT]), {"item": {}}], indent=2), encoding="utf-8")
    with pytest.raises(InvalidRecord, match="neither an eval") as caught:
        plan_imports([path], items=write_items(tmp_path))
    assert caught.value.line is not None and caught.value.line > 2


def test_a_bad_items_line_is_an_error_with_file_and_line(tmp_path):
    export = write_export(tmp_path, [EXACT], run_export())
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps(ITEMS[0], ensure_ascii=False) + "\n{not json\n", "utf-8")
    with pytest.raises(InvalidRecord) as caught:
        plan_imports([export], items=items)
    assert caught.value.path == items and caught.value.line == 2


def test_an_item_without_a_field_a_template_reads_names_its_line(tmp_path):
    export = write_export(tmp_path, [{**MENTIONS}], run_export())
    rows = [ITEMS[0], {"item": {"question": "창덕궁은요?", "answer": "월요일"}}]
    export_schema_free = json.loads(export.read_text(encoding="utf-8"))
    export_schema_free[0]["data_source_config"] = {"type": "custom", "schema": {}}
    export.write_text(json.dumps(export_schema_free), encoding="utf-8")
    with pytest.raises(InvalidRecord, match=r"item\.keyword") as caught:
        plan_imports([export], items=write_items(tmp_path, rows))
    assert caught.value.line == 2


def test_an_item_that_breaks_the_item_schema_names_its_line(tmp_path):
    export = write_export(tmp_path, [EXACT], run_export())
    rows = [ITEMS[0], {"item": {"question": "창덕궁은요?"}}]
    with pytest.raises(InvalidRecord, match=r"item_schema.*answer") as caught:
        plan_imports([export], items=write_items(tmp_path, rows))
    assert caught.value.line == 2


def test_a_file_id_source_without_items_asks_for_them(tmp_path):
    export = write_export(tmp_path, [EXACT], run_export())
    with pytest.raises(DataError, match="no items") as caught:
        plan_imports([export])
    assert "--items" in (caught.value.hint or "")


# ------------------------------------------------------------------------- openai/evals


def jsonl(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


@pytest.fixture
def registry(tmp_path) -> Path:
    """A slice of openai/evals' evals/registry: evals/, data/, modelgraded/."""
    root = tmp_path / "evals" / "registry"
    shutil.copytree(REGISTRY, root)
    system = {"role": "system", "content": "Romanize the Korean word."}
    jsonl(
        root / "data" / "korean_romanization" / "samples.jsonl",
        [
            {"input": [system, {"role": "user", "content": "경복궁"}], "ideal": "Gyeongbokgung"},
            {
                "input": [system, {"role": "user", "content": "종로"}],
                "ideal": ["Jongno", "Jong-no"],
            },
        ],
    )
    jsonl(
        root / "data" / "korean_spaces" / "samples.jsonl",
        [
            {
                "input": "띄어 쓰세요: 경복궁은매주화요일에쉽니다",
                "ideal": "경복궁은 매주 화요일에 쉽니다",
            }
        ],
    )
    jsonl(
        root / "data" / "seoul_lines" / "samples.jsonl",
        [{"input": [{"role": "user", "content": "경복궁역은 몇 호선?"}], "ideal": "3호선"}],
    )
    jsonl(
        root / "data" / "seoul_lines" / "few_shot.jsonl",
        [
            {
                "sample": [
                    {"role": "system", "content": "시청역은 몇 호선?", "name": "example_user"},
                    {"role": "system", "content": "1호선", "name": "example_assistant"},
                ]
            }
        ],
    )
    jsonl(
        root / "data" / "seoul_lines" / "json.jsonl",
        [{"input": "경복궁역 정보를 JSON으로", "ideal": '{"역": "경복궁역", "호선": 3}'}],
    )
    jsonl(
        root / "data" / "abstract2title" / "samples.jsonl",
        [{"input": [{"role": "user", "content": "Title this abstract: 경복궁 복원 연구"}]}],
    )
    return root


def registry_suite(registry: Path, name: str, **kwargs):
    results = import_evals(
        [registry / "evals" / f"{name}.yaml"], out_dir=registry.parent / "out", **kwargs
    )
    return results


def test_includes_with_ignore_case_becomes_includes(registry):
    (result,) = registry_suite(registry, "korean_romanization")
    doc = yaml.safe_load(result.suite.read_text(encoding="utf-8"))
    assert doc["name"] == "korean_romanization"
    assert doc["system"] == "Romanize the Korean word."
    assert doc["metrics"] == [
        {"name": "includes", "label": "includes", "params": {"case_sensitive": False}}
    ]
    suite = load_suite(result.suite)
    assert [(c.input, c.references) for c in suite.cases] == [
        ("경복궁", ("Gyeongbokgung",)),
        ("종로", ("Jongno", "Jong-no")),
    ]
    assert "Romanization Rules" in suite.description
    assert suite.cases[0].meta["source"].endswith("samples.jsonl:1")
    run = run_suite_sync(suite, ScriptedModel(["It is GYEONGBOKGUNG.", "Jongro"]), concurrency=1)
    assert [r.passed for r in run.results] == [True, False]


def test_fuzzy_match_becomes_fuzzy_contains_and_a_text_prompt_is_reported(registry):
    (result,) = registry_suite(registry, "korean_spaces")
    doc = yaml.safe_load(result.suite.read_text(encoding="utf-8"))
    assert doc["metrics"] == [{"name": "fuzzy_contains", "label": "fuzzy_contains"}]
    assert doc["params"] == {"temperature": 0}
    found = entries(result)
    assert found["input"]["status"] == "approximated"
    assert "system message" in found["input"]["reason"]
    run = run_suite_sync(
        load_suite(result.suite), ScriptedModel(["경복궁은 매주 화요일에 쉽니다."]), concurrency=1
    )
    assert run.results[0].passed is True


def test_match_with_few_shot_and_json_match_in_one_file(registry):
    match, json_match = registry_suite(registry, "seoul")
    doc = yaml.safe_load(match.suite.read_text(encoding="utf-8"))
    assert doc["metrics"] == [{"name": "starts_with", "label": "starts_with"}]
    # few-shot turns go before the last turn, as Match builds its prompt; openai/evals writes
    # them as system messages named example_user / example_assistant (the names are dropped)
    assert doc["cases_from"] == [match.cases.name]
    (case,) = [json.loads(line) for line in match.cases.read_text(encoding="utf-8").splitlines()]
    assert case["messages"] == [
        {"role": "system", "content": "시청역은 몇 호선?"},
        {"role": "system", "content": "1호선"},
        {"role": "user", "content": "경복궁역은 몇 호선?"},
    ]
    assert entries(match)["name"]["status"] == "approximated"
    json_doc = yaml.safe_load(json_match.suite.read_text(encoding="utf-8"))
    assert json_doc["metrics"] == [{"name": "json_match", "label": "json_match"}]
    assert json_doc["params"] == {"max_tokens": 64, "temperature": 0}
    run = run_suite_sync(
        load_suite(json_match.suite),
        ScriptedModel(['{"호선": 3, "역": "경복궁역"}']),
        concurrency=1,
    )
    assert run.results[0].passed is True


def test_model_graded_classify_needs_a_judge_model_and_then_becomes_llm_judge(registry):
    (without,) = registry_suite(registry, "abstract2title")
    entry = entries(without)["closedqa"]
    assert entry["status"] == "not_mapped" and "--judge-model" in entry["reason"]
    assert entry["definition"]["spec"]["choice_scores"] == {"Y": 1.0, "N": 0.0}

    (result,) = registry_suite(registry, "abstract2title", judge_model="judge-model")
    doc = yaml.safe_load(result.suite.read_text(encoding="utf-8"))
    (metric,) = doc["metrics"]
    assert metric["name"] == "llm_judge" and "threshold" not in metric
    rubric = metric["params"]["rubric"]
    assert "Y → grade 5; N → grade 1" in rubric
    assert f"[Task]: {QUESTION}" in rubric and f"[Submission]: {ANSWER}" in rubric
    assert "[Criterion]: conciseness: Does the title properly describe" in rubric
    assert entries(result)["closedqa"]["status"] == "approximated"
    judge = ScriptedModel(['{"score": 5, "reason": "Y"}'])
    run = run_suite_sync(
        load_suite(result.suite),
        ScriptedModel(["경복궁 복원"]),
        concurrency=1,
        metric_context=MetricContext(models=lambda name: judge),
    )
    assert run.results[0].scores == {"closedqa": 1.0}


def test_a_custom_eval_class_is_never_imported(registry, tmp_path):
    custom = registry / "evals" / "custom.yaml"
    custom.write_text(
        "custom:\n  id: custom.dev.v0\n  metrics: [accuracy]\n"
        "custom.dev.v0:\n  class: evals_custom_suite.evil:Evil\n"
        "  args:\n    samples_jsonl: seoul_lines/samples.jsonl\n",
        encoding="utf-8",
    )
    (result,) = import_evals([custom], out_dir=tmp_path / "out")
    assert "evals_custom_suite" not in sys.modules
    entry = entries(result)["Evil"]
    assert entry["status"] == "not_mapped" and "never imported" in entry["reason"]
    assert entry["definition"]["class"] == "evals_custom_suite.evil:Evil"


def test_registry_errors_name_file_and_line(registry, tmp_path):
    broken = registry / "evals" / "broken.yaml"
    broken.write_text("broken:\n  id: missing.dev.v0\nother.dev.v0: [1, 2]\n", "utf-8")
    with pytest.raises(InvalidRecord, match="must be a mapping") as caught:
        plan_imports([broken])
    assert caught.value.line == 3
    samples = registry / "data" / "korean_spaces" / "samples.jsonl"
    samples.write_text(
        '{"input": "띄어 쓰세요", "ideal": "a"}\n{"input": 3, "ideal": "b"}\n', "utf-8"
    )
    with pytest.raises(InvalidRecord, match="`input`") as caught:
        plan_imports([registry / "evals" / "korean_spaces.yaml"])
    assert caught.value.path == samples and caught.value.line == 2


def test_a_git_lfs_pointer_gets_a_hint(registry):
    samples = registry / "data" / "korean_spaces" / "samples.jsonl"
    samples.write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:2ee62440\nsize 1503\n", "utf-8"
    )
    with pytest.raises(DataError, match="Git LFS pointer") as caught:
        plan_imports([registry / "evals" / "korean_spaces.yaml"])
    assert "git lfs pull" in (caught.value.hint or "")


def test_items_for_several_evals_is_refused(registry, tmp_path):
    with pytest.raises(DataError, match="one eval"):
        plan_imports([registry / "evals" / "seoul.yaml"], items=write_items(tmp_path))


def test_importing_twice_writes_the_same_files(tmp_path):
    first = one(tmp_path, [EXACT, QUALITY])
    before = first.suite.read_bytes(), first.report.read_bytes()
    second = one(tmp_path, [EXACT, QUALITY])
    assert (second.suite.read_bytes(), second.report.read_bytes()) == before
