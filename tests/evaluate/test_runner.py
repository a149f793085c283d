"""The suite runner: bounded concurrency, retries, timeouts, errors as results, scoring, order."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tuneloop.errors import BackendUnavailable, InvalidRequest, RateLimited
from tuneloop.evaluate.runner import run_suite, run_suite_sync
from tuneloop.evaluate.suite import load_suite
from tuneloop.models.types import Completion, Message, SamplingParams, Usage

QUESTIONS = [
    ("hours", "경복궁은 언제 쉬나요?", "경복궁은 매주 화요일에 쉽니다."),
    ("tower", "How do I get to N Seoul Tower?", "Take the Namsan cable car from Myeongdong."),
    ("food", "광장시장에서 뭘 먹어요?", "빈대떡과 마약김밥을 드셔 보세요."),
]


class CountingModel:
    """A sync fake backend: answers ``answers[question]`` after ``delay`` seconds, recording
    how many calls were in flight at once."""

    def __init__(self, answers=None, *, delay=0.0, name="fake", fail_first=0, error=None):
        self._name = name
        self.answers = answers or {}
        self.delay = delay
        self.fail_first = fail_first  # per question: fail this many times, then answer
        self.error = error or BackendUnavailable("upstream hiccup")
        self.calls = 0
        self.attempts: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    @property
    def name(self):
        return self._name

    @property
    def context_window(self):
        return None

    def count_tokens(self, messages):
        return sum(len(m.content) for m in messages)

    def stream(self, messages, params):  # pragma: no cover - not used by the runner
        raise NotImplementedError

    def _answer(self, messages: Sequence[Message]) -> str:
        question = messages[-1].content
        with self._lock:
            self.calls += 1
            self.attempts[question] = self.attempts.get(question, 0) + 1
            attempt = self.attempts[question]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return question, attempt

    def _done(self):
        with self._lock:
            self.in_flight -= 1

    def generate(self, messages, params):
        question, attempt = self._answer(messages)
        try:
            time.sleep(self.delay)
            if attempt <= self.fail_first:
                raise self.error
            text = self.answers.get(question, f"answer: {question}")
            return Completion(text, "stop", Usage(len(question), len(text)), self._name)
        finally:
            self._done()


class AsyncCountingModel(CountingModel):
    """The same fake with a native ``agenerate``, the runner's preferred path."""

    async def agenerate(self, messages, params):
        question, attempt = self._answer(messages)
        try:
            await asyncio.sleep(self.delay)
            if attempt <= self.fail_first:
                raise self.error
            text = self.answers.get(question, f"answer: {question}")
            return Completion(text, "stop", Usage(len(question), len(text)), self._name)
        finally:
            self._done()


def suite_file(tmp_path: Path, n: int | None = None, metrics: str = "[]", extra: str = "") -> Path:
    lines = ["name: runner-test", "params: {temperature: 0, max_tokens: 50}", f"metrics: {metrics}"]
    lines.append("cases:")
    if n is None:
        for cid, question, reference in QUESTIONS:
            lines += [f"  - id: {cid}", f'    input: "{question}"', f'    reference: "{reference}"']
            lines.append("    tags: [ko]" if cid != "tower" else "    tags: [en]")
    else:
        lines += [f'  - {{id: q{i}, input: "질문 {i}"}}' for i in range(n)]
    path = tmp_path / "suite.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("model_class", [CountingModel, AsyncCountingModel])
def test_calls_in_flight_reach_the_concurrency_limit_and_never_exceed_it(tmp_path, model_class):
    suite = load_suite(suite_file(tmp_path, n=24))
    model = model_class(delay=0.05)
    run = run_suite_sync(suite, model, concurrency=4)
    assert model.max_in_flight == 4
    assert model.calls == 24
    assert run.meta["caller"] == ("async" if model_class is AsyncCountingModel else "thread-pool")


def test_sync_backends_get_a_thread_pool_as_large_as_the_concurrency(tmp_path):
    # asyncio's default pool would cap this at min(32, cpus + 4) threads.
    suite = load_suite(suite_file(tmp_path, n=40))
    model = CountingModel(delay=0.5)
    run_suite_sync(suite, model, concurrency=40)
    assert model.max_in_flight == 40  # all 40 at once: the pool did not cap them


def test_results_keep_case_order_whatever_order_answers_arrive_in(tmp_path):
    class Reversed(CountingModel):
        def generate(self, messages, params):
            self.delay = 0.01 * (30 - int(messages[-1].content.split()[-1]))
            return super().generate(messages, params)

    run = run_suite_sync(load_suite(suite_file(tmp_path, n=30)), Reversed(), concurrency=30)
    assert [r.case_id for r in run.results] == [f"q{i}" for i in range(30)]
    assert [r.output for r in run.results] == [f"answer: 질문 {i}" for i in range(30)]


def test_backend_errors_are_retried_with_backoff_until_an_answer_comes(tmp_path):
    suite = load_suite(suite_file(tmp_path))
    model = CountingModel(fail_first=2)
    start = time.perf_counter()
    run = run_suite_sync(suite, model, retries=2, backoff_s=0.05)
    assert [r.error for r in run.results] == [None, None, None]
    assert set(model.attempts.values()) == {3}
    assert time.perf_counter() - start >= 0.05 + 0.1  # backoff 0.05 s, then 0.1 s


def test_a_case_that_keeps_failing_becomes_an_error_result_and_the_run_goes_on(tmp_path):
    class OneBad(CountingModel):
        def generate(self, messages, params):
            if "Tower" in messages[-1].content:
                self._answer(messages)
                self._done()
                raise BackendUnavailable("Cannot connect to http://127.0.0.1:9/v1")
            return super().generate(messages, params)

    model = OneBad()
    run = run_suite_sync(load_suite(suite_file(tmp_path)), model, retries=1, backoff_s=0.01)
    by_id = {r.case_id: r for r in run.results}
    assert by_id["tower"].error.startswith("backend_unavailable: Cannot connect")
    assert "after 2 attempts" in by_id["tower"].error
    assert by_id["tower"].output is None and by_id["tower"].passed is False
    assert by_id["hours"].error is None and by_id["hours"].output
    assert model.attempts["How do I get to N Seoul Tower?"] == 2
    assert run.errors == 1


def test_invalid_requests_are_not_retried(tmp_path):
    model = CountingModel(fail_first=5, error=InvalidRequest("max_tokens too large"))
    run = run_suite_sync(load_suite(suite_file(tmp_path)), model, retries=3, backoff_s=0.01)
    assert all(r.error.startswith("invalid_request: max_tokens") for r in run.results)
    assert set(model.attempts.values()) == {1}


def test_rate_limits_wait_at_least_retry_after(tmp_path):
    model = AsyncCountingModel(fail_first=1, error=RateLimited("slow down", retry_after=0.3))
    start = time.perf_counter()
    run = run_suite_sync(load_suite(suite_file(tmp_path)), model, retries=1, backoff_s=0.01)
    assert run.errors == 0
    assert time.perf_counter() - start >= 0.3


def test_a_call_over_the_timeout_becomes_an_error_result(tmp_path):
    class SlowOnFood(AsyncCountingModel):
        async def agenerate(self, messages, params):
            self.delay = 5.0 if "광장시장" in messages[-1].content else 0.0
            return await super().agenerate(messages, params)

    model = SlowOnFood()
    start = time.perf_counter()
    run = run_suite_sync(load_suite(suite_file(tmp_path)), model, retries=0, timeout_s=0.2)
    assert time.perf_counter() - start < 4.5  # did not wait for the 5 s answer
    by_id = {r.case_id: r for r in run.results}
    assert by_id["food"].error.startswith("backend_unavailable: No answer within 0.2 s")
    assert by_id["hours"].error is None


def test_a_sync_call_over_the_timeout_is_retried_then_reported(tmp_path):
    suite = load_suite(suite_file(tmp_path, n=1))
    model = CountingModel(delay=0.5)
    run = run_suite_sync(suite, model, retries=1, timeout_s=0.1, backoff_s=0.01)
    assert run.results[0].error.startswith("backend_unavailable: No answer within 0.1 s")
    assert model.calls == 2


def test_unexpected_exceptions_become_internal_errors(tmp_path):
    model = CountingModel(fail_first=9, error=ZeroDivisionError("oops"))
    run = run_suite_sync(load_suite(suite_file(tmp_path)), model, retries=3)
    assert all(r.error == "internal_error: ZeroDivisionError: oops" for r in run.results)
    assert model.calls == 3


def test_scores_thresholds_and_assertions_decide_passed(tmp_path):
    metrics = '[token_f1, {name: contains, params: {values: ["화요일"]}, threshold: 1.0}]'
    extra = ""
    path = suite_file(tmp_path, metrics=metrics, extra=extra)
    answers = {
        "경복궁은 언제 쉬나요?": "경복궁은 매주 화요일에 쉽니다.",
        "How do I get to N Seoul Tower?": "Take the Namsan cable car from Myeongdong.",
        "광장시장에서 뭘 먹어요?": "화요일에는 빈대떡을 드셔 보세요.",
    }
    run = run_suite_sync(load_suite(path), CountingModel(answers))
    by_id = {r.case_id: r for r in run.results}
    assert run.metrics == ("token_f1", "contains")
    assert by_id["hours"].scores["token_f1"] == pytest.approx(1.0)
    assert by_id["tower"].scores["token_f1"] == pytest.approx(1.0)
    assert 0 < by_id["food"].scores["token_f1"] < 1
    assert by_id["hours"].passed is True
    assert by_id["tower"].passed is False  # no 화요일 in an English answer
    assert by_id["tower"].details["contains"]["missing"] == ["화요일"]
    assert by_id["tower"].details["contains"]["threshold"] == 1.0
    assert by_id["food"].passed is True
    assert run.meta["metric_specs"]["contains"]["threshold"] == 1.0


def test_cases_without_a_verdict_have_passed_none(tmp_path):
    run = run_suite_sync(load_suite(suite_file(tmp_path, metrics="[rouge_l]")), CountingModel())
    assert {r.passed for r in run.results} == {None}
    assert all("rouge_l" in r.scores for r in run.results)


def test_per_case_assertions_are_scored_only_on_their_case(tmp_path):
    text = """\
name: s
metrics: [token_f1]
cases:
  - id: a
    input: 경복궁은 언제 쉬나요?
    reference: 화요일
    metrics:
      - {name: not_contains, params: {values: ["월요일"]}}
  - id: b
    input: 덕수궁은?
    reference: 월요일
"""
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    model = CountingModel({"경복궁은 언제 쉬나요?": "월요일에 쉽니다."})
    run = run_suite_sync(load_suite(path), model)
    a, b = run.results
    assert a.scores["not_contains"] == 0.0 and a.passed is False
    assert "not_contains" not in b.scores and b.passed is None
    assert run.metrics == ("token_f1", "not_contains")


def test_an_unknown_metric_fails_before_any_model_call_naming_the_line(tmp_path):
    path = suite_file(tmp_path, metrics="[token_f1, bleu_42]")
    model = CountingModel()
    with pytest.raises(InvalidRequest, match=r"suite\.yaml:3:\d+: Unknown metric `bleu_42`"):
        run_suite_sync(load_suite(path), model)
    assert model.calls == 0


def test_errored_cases_get_no_scores(tmp_path):
    model = CountingModel(fail_first=9)
    run = run_suite_sync(load_suite(suite_file(tmp_path, metrics="[token_f1]")), model, retries=0)
    assert all(r.scores == {} and r.passed is False for r in run.results)
    assert run.summary()["token_f1"] != run.summary()["token_f1"]  # NaN: nothing scored


def test_errored_cases_name_the_metrics_they_were_not_scored_on(tmp_path):
    extra = "  - {id: extra, input: 질문, metrics: [{name: contains, params: {values: [x]}}]}\n"
    suite = load_suite(suite_file(tmp_path, metrics="[token_f1]", extra=extra))
    run = run_suite_sync(suite, CountingModel(fail_first=9), retries=0)
    by_id = {r.case_id: r for r in run.results}
    assert set(by_id["hours"].details) == {"token_f1"}  # so a gate counts it as 0 on token_f1
    assert set(by_id["extra"].details) == {"token_f1", "contains"}
    assert by_id["extra"].details["contains"]["error"].startswith("not scored: ")


def test_run_records_suite_model_params_and_timings(tmp_path):
    suite = load_suite(suite_file(tmp_path))
    params = SamplingParams(temperature=0, max_tokens=9, seed=3)
    seen = []
    run = run_suite_sync(
        suite,
        CountingModel(name="smollm2-135m"),
        params=params,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert run.id.startswith("ev-") and run.suite == "runner-test"
    assert run.suite_hash == suite.content_hash
    assert run.model == "smollm2-135m"
    assert run.params["max_tokens"] == 9 and run.params["seed"] == 3
    assert run.meta["cache"] == "off" and run.meta["cached"] == 0
    assert run.meta["wall_s"] >= run.meta["generate_s"]
    assert ("generate", 3, 3) in seen
    assert [r.tags for r in run.results] == [("ko",), ("en",), ("ko",)]
    assert run.results[0].messages == [{"role": "user", "content": "경복궁은 언제 쉬나요?"}]
    assert run.results[0].references == ("경복궁은 매주 화요일에 쉽니다.",)


def test_bad_options_are_rejected(tmp_path):
    suite = load_suite(suite_file(tmp_path))
    with pytest.raises(InvalidRequest, match="concurrency"):
        run_suite_sync(suite, CountingModel(), concurrency=0)
    with pytest.raises(InvalidRequest, match="timeout"):
        asyncio.run(run_suite(suite, CountingModel(), timeout_s=0))


def test_a_backend_that_serializes_its_calls_gets_one_call_at_a_time(tmp_path):
    class Serial(CountingModel):
        max_concurrency = 1

    model = Serial(delay=0.05)
    run = run_suite_sync(load_suite(suite_file(tmp_path, n=6)), model, concurrency=8)
    assert model.max_in_flight == 1
    assert run.errors == 0 and run.meta["concurrency"] == 1
