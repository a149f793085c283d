"""The metric registry: names, building, parameter errors, plugins, score_all, value range."""

from __future__ import annotations

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics import (
    EvalCase,
    Metric,
    MetricContext,
    Score,
    build_metric,
    metric_names,
    score_all,
)
from tuneloop.hookspecs import hookimpl
from tuneloop.models.testing import ScriptedModel
from tuneloop.plugins import plugin_manager

BUILTINS = {
    "exact_match", "token_f1", "rouge_l", "chrf", "embedding_similarity",
    "contains", "not_contains", "regex", "json_schema", "max_length", "language",
    "perplexity", "spacing", "repetition", "language_match",
    "answer_relevance", "context_relevance", "grounding", "llm_judge",
}  # fmt: skip


def test_every_built_in_metric_is_registered():
    assert set(metric_names()) >= BUILTINS
    assert metric_names() == sorted(metric_names())


def test_unknown_metric_error_lists_the_known_names():
    with pytest.raises(InvalidRequest) as caught:
        build_metric("bleu")
    assert "Unknown metric `bleu`" in caught.value.message
    assert "token_f1" in caught.value.message and "llm_judge" in caught.value.message


def test_unknown_parameter_is_named_with_the_metric_and_the_accepted_ones():
    with pytest.raises(InvalidRequest) as caught:
        build_metric("contains", {"value": "경복궁", "case_sensitve": True})
    message = caught.value.message
    assert "`contains`" in message and "`case_sensitve`" in message
    assert "`case_sensitive`" in message  # among the accepted parameters
    assert caught.value.param == "case_sensitve"


def test_wrong_parameter_type_is_named():
    with pytest.raises(InvalidRequest, match="Metric `token_f1`: parameter `content_only`"):
        build_metric("token_f1", {"content_only": "yes"})
    with pytest.raises(InvalidRequest, match="Metric `exact_match`: unknown parameter"):
        build_metric("exact_match", {"normalize": False})


class CharCount:
    """A third-party metric: shorter answers score higher."""

    name = "brevity"
    category = "fluency"

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def score(self, case: EvalCase, output: str) -> Score:
        return Score(max(0.0, 1 - len(output) / self.limit))


class BrevityPlugin:
    @hookimpl
    def register_metrics(self, register):
        register("brevity", lambda params, context: CharCount(int(params.get("limit", 100))))


def test_a_third_party_metric_is_buildable_by_name_while_registered():
    plugin = BrevityPlugin()
    plugin_manager().register(plugin, name="test-brevity")
    try:
        assert "brevity" in metric_names()
        metric = build_metric("brevity", {"limit": 10})
        assert isinstance(metric, Metric)
        assert metric.score(EvalCase("c", []), "경복궁").value == pytest.approx(0.7)
    finally:
        plugin_manager().unregister(name="test-brevity")
    assert "brevity" not in metric_names()
    with pytest.raises(InvalidRequest, match="Unknown metric `brevity`"):
        build_metric("brevity")


class Batched:
    name = "batched"
    category = "accuracy"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def score(self, case: EvalCase, output: str) -> Score:
        raise AssertionError("score_all must use score_batch")

    def score_batch(self, cases, outputs):
        self.batches.append(len(outputs))
        return [Score(1.0 if o else 0.0) for o in outputs]


def test_score_all_prefers_score_batch_and_checks_lengths():
    metric = Batched()
    cases = [EvalCase(str(i), []) for i in range(3)]
    assert [s.value for s in score_all(metric, cases, ["a", "", "b"])] == [1.0, 0.0, 1.0]
    assert metric.batches == [3]
    with pytest.raises(ValueError, match="3 cases but 2 outputs"):
        score_all(metric, cases, ["a", "b"])


def test_score_all_falls_back_to_score():
    metric = build_metric("exact_match")
    cases = [EvalCase("a", [], references=("화요일",)), EvalCase("b", [], references=("월요일",))]
    assert [s.value for s in score_all(metric, cases, ["화요일", "화요일"])] == [1.0, 0.0]


def test_score_values_must_lie_in_the_unit_interval():
    with pytest.raises(ValueError):
        Score(1.5)
    with pytest.raises(ValueError):
        Score(float("nan"))
    with pytest.raises(ValueError):
        Score(True)


def test_score_turns_numpy_scalars_into_floats():
    import numpy as np

    score = Score(np.float32(0.25))
    assert type(score.value) is float
    assert score.value == 0.25


def test_eval_case_question_is_the_last_user_message():
    case = EvalCase(
        "c",
        [
            {"role": "system", "content": "당신은 서울 여행 가이드입니다."},
            {"role": "user", "content": "경복궁은 어디예요?"},
            {"role": "assistant", "content": "종로구에 있어요."},
            {"role": "user", "content": [{"type": "text", "text": "언제 쉬어요?"}]},
        ],
    )
    assert case.question == "언제 쉬어요?"
    assert EvalCase("empty", []).question == ""


# Every cheap metric on Korean, English, empty and odd outputs: values stay in [0, 1].
PARAMS = {
    "contains": {"value": "경복궁"},
    "not_contains": {"value": "password"},
    "regex": {"pattern": r"\d+"},
    "json_schema": {"schema": {"type": "object"}},
    "max_length": {"chars": 20},
    "language": {"expected": "ko"},
    "answer_relevance": {"method": "lexical"},
    "context_relevance": {"method": "lexical"},
}
OUTPUTS = [
    "경복궁은 매주 화요일에 쉽니다.",
    "Gyeongbokgung is closed on Tuesdays.",
    "",
    "   ",
    "서울 서울 서울 서울 서울",
    '```json\n{"place": "경복궁"}\n```',
    "!!! ??? 123",
]
CASES = [
    EvalCase(
        "ko",
        [{"role": "user", "content": "경복궁은 언제 쉬나요?"}],
        references=("경복궁은 매주 화요일에 쉽니다.", "화요일"),
        context="경복궁은 매주 화요일이 휴궁일입니다. 관람료는 3,000원입니다.",
    ),
    EvalCase("en", [{"role": "user", "content": "When is it closed?"}], references=("",)),
    EvalCase("bare", []),
]


@pytest.mark.parametrize(
    "name", sorted(BUILTINS - {"perplexity", "llm_judge", "embedding_similarity"})
)
def test_every_value_lies_in_the_unit_interval(name):
    metric = build_metric(name, PARAMS.get(name), MetricContext())
    assert isinstance(metric, Metric)
    assert metric.name == name
    for case in CASES:
        for score in score_all(metric, [case] * len(OUTPUTS), OUTPUTS):
            assert 0.0 <= score.value <= 1.0
            if metric.category == "assertion":
                assert score.passed is (score.value == 1.0)


def test_judge_values_lie_in_the_unit_interval_for_any_reply():
    replies = ['{"score": 1}', '{"score": 5}', '{"score": 0}', "no", '{"score": 3.5}']
    model = ScriptedModel(replies)
    metric = build_metric(
        "llm_judge", {"model": "j", "concurrency": 1}, MetricContext(models=lambda n: model)
    )
    values = [s.value for s in score_all(metric, CASES[:1] * 5, OUTPUTS[:5])]
    assert values == pytest.approx([0.0, 1.0, 0.0, 0.0, 0.625])
