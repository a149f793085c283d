"""Trivial baselines: echo restates the question, retrieve looks it up; runs link to the model's
run, the side-by-side table carries bootstrap intervals, and a baseline is never a gate
candidate."""

from __future__ import annotations

import os
import statistics
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tuneloop.config import load_settings
from tuneloop.errors import ConfigError, InvalidRequest
from tuneloop.evaluate.baselines import (
    baseline_model,
    ensure_candidate,
    is_baseline,
    link_runs,
    mean_interval,
    model_and_baselines,
    runs_and_baselines,
)
from tuneloop.evaluate.suite import parse_suite
from tuneloop.models.types import Message, SamplingParams
from tuneloop.store.eval_results import CaseResult, EvalRun

GREEDY = SamplingParams(temperature=0)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("TUNELOOP_")]:
        monkeypatch.delenv(name)
    (tmp_path / "tuneloop.toml").write_text('name = "p"\n', encoding="utf-8")
    return load_settings(tmp_path)


def suite_at(folder: Path, extra: str = ""):
    text = (
        "name: mini\nsystem: 서울 여행 도우미입니다.\nmetrics: [token_f1]\n"
        f"{extra}cases:\n"
        '  - {id: a, input: "경복궁은 언제 쉬어요?", reference: 화요일에 쉽니다.}\n'
    )
    return parse_suite(text, folder / "evals" / "mini.yaml")


@pytest.mark.parametrize(
    "messages",
    [
        [Message("user", "경복궁은 언제 쉬어요?")],
        [
            Message("system", "당신은 서울 여행 도우미입니다."),
            Message("user", "경복궁은 언제 쉬어요?"),
        ],
        [
            Message("system", "서울 안내원"),
            Message("user", "광장시장은 어디 있어요?"),
            Message("assistant", "종로5가역 근처입니다."),
            Message("user", "경복궁은 언제 쉬어요?"),
        ],
        [Message("user", "  Two  spaces,\nand a new line?  ")],
    ],
    ids=["alone", "with-system", "multi-turn", "whitespace"],
)
def test_echo_answers_exactly_the_last_question(tmp_path, settings, messages):
    echo = baseline_model("echo", suite_at(tmp_path), settings)
    assert echo.generate(messages, GREEDY).text == messages[-1].content
    streamed = "".join(c.text for c in echo.stream(messages, GREEDY))
    assert streamed == messages[-1].content


def test_retrieve_uses_the_suites_documents_relative_to_the_suite(tmp_path, settings):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "palace.md").write_text("# 경복궁\n\n경복궁은 매주 화요일에 쉽니다.")
    (tmp_path / "docs" / "market.md").write_text("# 광장시장\n\n빈대떡이 유명합니다.")
    model = baseline_model("retrieve", suite_at(tmp_path, "documents: ../docs\n"), settings)
    answer = model.generate([Message("user", "경복궁은 언제 쉬어요?")], GREEDY)
    assert answer.text == "# 경복궁\n\n경복궁은 매주 화요일에 쉽니다."
    assert model.name == "retrieve"


def test_retrieve_without_documents_is_a_config_error_before_any_run(tmp_path, settings):
    with pytest.raises(ConfigError, match="No documents are configured"):
        baseline_model("retrieve", suite_at(tmp_path), settings)


def test_an_unknown_baseline_lists_the_known_ones(tmp_path, settings):
    with pytest.raises(InvalidRequest) as caught:
        baseline_model("oracle", suite_at(tmp_path), settings)
    assert "echo" in (caught.value.hint or "") and "retrieve" in (caught.value.hint or "")


def run(run_id: str, model: str, scores: list[float], *, metric: str = "token_f1") -> EvalRun:
    results = tuple(
        CaseResult(f"c{i}", (), [{"role": "user", "content": "q"}], "a", scores={metric: s})
        for i, s in enumerate(scores)
    )
    return EvalRun(run_id, "mini", "h", model, datetime.now(UTC), (metric,), results)


def test_link_runs_points_both_ways():
    main = run("ev-main", "seoul-guide@2", [0.5, 0.6])
    echo, retrieve = run("ev-echo", "echo", [0.2, 0.3]), run("ev-ret", "retrieve", [0.4, 0.4])
    linked_main, linked = link_runs(main, {"echo": echo, "retrieve": retrieve})
    assert linked_main.meta["baselines"] == {"echo": "ev-echo", "retrieve": "ev-ret"}
    assert [(r.meta["baseline"], r.meta["baseline_of"]) for r in linked] == [
        ("echo", "ev-main"),
        ("retrieve", "ev-main"),
    ]
    assert not is_baseline(linked_main) and all(is_baseline(r) for r in linked)


def test_a_baseline_run_is_never_a_gate_candidate():
    _, (echo,) = link_runs(run("ev-main", "m", [0.5]), {"echo": run("ev-echo", "echo", [0.1])})
    with pytest.raises(InvalidRequest, match="never a candidate") as caught:
        ensure_candidate(echo)
    assert "ev-main" in (caught.value.hint or "")
    ensure_candidate(run("ev-main", "m", [0.5]))  # a model's run passes


def test_mean_interval_brackets_the_mean_and_narrows_with_more_cases():
    few = mean_interval([0.0, 1.0] * 5, seed=1)
    many = mean_interval([0.0, 1.0] * 200, seed=1)
    assert few.mean == many.mean == 0.5
    assert few.low <= few.mean <= few.high and many.low <= many.mean <= many.high
    assert (many.high - many.low) < (few.high - few.low)
    assert mean_interval([]).n == 0


def test_side_by_side_shows_the_model_first_then_each_baseline():
    main = run("ev-main", "seoul-guide@2", [0.5, 0.7, 0.9])
    table = model_and_baselines(
        main, {"echo": run("ev-echo", "echo", [0.1, 0.2, 0.3]), "retrieve": run("r", "r", [])}
    )
    assert [(a.label, a.role) for a in table.arms] == [
        ("seoul-guide@2", "model"),
        ("echo", "baseline"),
        ("retrieve", "baseline"),
    ]
    model_cell, echo_cell, empty = (a.cells["token_f1"] for a in table.arms)
    assert model_cell.mean == pytest.approx(statistics.fmean([0.5, 0.7, 0.9]))
    assert echo_cell.mean == pytest.approx(0.2) and echo_cell.n == 3
    assert empty.n == 0
    data = table.as_dict()
    assert data["arms"][2]["metrics"]["token_f1"]["mean"] is None  # NaN is not JSON


def test_compare_columns_are_a_b_and_the_baselines_on_shared_metrics():
    a = run("ev-a", "base", [0.2, 0.4])
    b = run("ev-b", "tuned", [0.3, 0.5])
    echo = run("ev-echo", "echo", [0.4, 0.4])
    table = runs_and_baselines(a, b, {"echo": echo})
    assert [a.role for a in table.arms] == ["a", "b", "baseline"]
    assert table.metrics == ("token_f1",) and table.has_baselines
