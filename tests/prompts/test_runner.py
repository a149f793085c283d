"""Batch runs: cases from JSONL, bounded concurrency, per-case errors, params merging."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tuneloop.errors import DataError, InvalidRecord
from tuneloop.models.testing import EchoModel
from tuneloop.models.types import SamplingParams
from tuneloop.prompts.cases import Case, load_cases
from tuneloop.prompts.runner import merge_params, run_cases
from tuneloop.prompts.template import PromptParams, parse_prompt

PROMPT = parse_prompt(
    "name: p\nvariables: {place: {type: string, required: true}}\nuser: '{{ place }} 추천'\n",
    Path("p.yaml"),
)


class SlowEcho(EchoModel):
    """Echo that sleeps and records how many calls overlap."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.active = 0
        self.peak = 0
        self._gauge = threading.Lock()

    def generate(self, messages, params):
        with self._gauge:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(self.delay)
        try:
            return super().generate(messages, params)
        finally:
            with self._gauge:
                self.active -= 1


def cases(n: int) -> list[Case]:
    return [Case(i, {"place": f"장소{i}"}) for i in range(n)]


def test_results_come_back_in_input_order_with_outputs():
    results = run_cases(PROMPT, EchoModel(), cases(5), SamplingParams(), concurrency=3)
    assert [r.index for r in results] == list(range(5))
    assert [r.output for r in results] == [f"장소{i} 추천" for i in range(5)]
    assert all(r.messages[-1] == {"role": "user", "content": r.output} for r in results)


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrency_is_bounded_and_used(limit):
    model = SlowEcho(0.05)
    done = []
    run_cases(PROMPT, model, cases(8), SamplingParams(), concurrency=limit, on_done=done.append)
    assert model.peak == limit
    assert len(done) == 8


def test_a_bad_case_is_recorded_and_the_others_still_run():
    batch = [Case(0, {"place": "경복궁"}), Case(1, {}), Case(2, {"plase": "x"})]
    results = run_cases(PROMPT, EchoModel(), batch, SamplingParams())
    assert results[0].ok and results[0].output == "경복궁 추천"
    assert not results[1].ok and "missing required variable 'place'" in results[1].error
    assert not results[2].ok and "unknown variable" in results[2].error


def test_cli_overrides_win_over_prompt_params():
    params = merge_params(
        PromptParams(temperature=0.3, max_tokens=50, stop=["끝"]), {"max_tokens": 9, "seed": None}
    )
    assert params == SamplingParams(temperature=0.3, max_tokens=9, stop=("끝",))


def test_load_cases_reads_plain_and_tagged_lines(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text(
        '{"place": "경복궁"}\n\n{"vars": {"place": "남산"}, "tags": ["night"]}\n', encoding="utf-8"
    )
    loaded = load_cases(f)
    assert [c.variables for c in loaded] == [{"place": "경복궁"}, {"place": "남산"}]
    assert loaded[1].tags == ["night"] and loaded[1].source.endswith("c.jsonl:3")


@pytest.mark.parametrize(
    ("content", "line"), [('{"a": 1}\n{"a": \n', 2), ("[1, 2]\n", 1), ('{"vars": 3}\n', 1)]
)
def test_bad_case_lines_point_at_file_and_line(tmp_path, content, line):
    f = tmp_path / "bad.jsonl"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidRecord) as info:
        load_cases(f)
    assert info.value.line == line
    assert f"bad.jsonl:{line}" in info.value.message


def test_empty_case_file_is_an_error(tmp_path):
    f = tmp_path / "empty.jsonl"
    f.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        load_cases(f)
