"""llm_judge with scripted judge models: good replies, sloppy replies, garbage."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tuneloop.errors import InvalidRequest, PromptError
from tuneloop.evaluate.metrics import EvalCase, MetricContext, build_metric, score_all
from tuneloop.evaluate.metrics.judge import parse_verdict
from tuneloop.models.testing import ScriptedModel
from tuneloop.models.types import Completion, Message, SamplingParams

CASE = EvalCase(
    "gyeongbokgung-closed",
    [{"role": "user", "content": "경복궁은 언제 쉬나요?"}],
    references=("경복궁은 매주 화요일에 쉽니다.",),
    context="경복궁은 매주 화요일이 휴궁일입니다.",
)


class RecordingModel(ScriptedModel):
    """A scripted judge that keeps the messages and params it was sent."""

    def __init__(self, replies: Sequence[str]) -> None:
        super().__init__(replies, name="judge")
        self.sent: list[tuple[list[Message], SamplingParams]] = []

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Completion:
        self.sent.append((list(messages), params))
        return super().generate(messages, params)


def judge(replies: Sequence[str], **params):
    model = RecordingModel(replies)
    context = MetricContext(models=lambda name: model)
    return build_metric("llm_judge", {"model": "judge", **params}, context), model


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ('{"score": 5, "reason": "정확하고 자연스럽습니다."}', 1.0),
        ('```json\n{"score": 4, "reason": "good"}\n```', 0.75),
        ('Verdict: {"score": 2, "reason": "wrong day"} — hope this helps', 0.25),
        ('{"score": "3", "reason": "partly"}', 0.5),
        ('{"score": 1}', 0.0),
    ],
)
def test_judge_maps_scores_one_to_five_onto_zero_to_one(reply, value):
    metric, _ = judge([reply])
    score = metric.score(CASE, "경복궁은 매주 화요일에 쉽니다.")
    assert score.value == pytest.approx(value)
    assert "error" not in score.details
    assert score.details["judge"] == "judge"


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("I think the answer is fine.", "no JSON object"),
        ('{"score": 7, "reason": "great"}', "outside 1-5"),
        ('{"score": "excellent"}', "not a number"),
        ('{"verdict": "good"}', "not a number"),
        ("[5]", "not an object"),
        ("", "no JSON object"),
    ],
)
def test_judge_garbage_scores_zero_with_an_error_never_an_exception(reply, problem):
    metric, _ = judge([reply])
    score = metric.score(CASE, "경복궁은 매주 화요일에 쉽니다.")
    assert score.value == 0.0
    assert problem in score.details["error"]
    assert score.details["reply"] == reply


def test_judge_sends_question_answer_references_context_and_rubric():
    metric, model = judge(['{"score": 5, "reason": "ok"}'], rubric="존댓말을 썼는지 보세요.")
    metric.score(CASE, "경복궁은 매주 화요일에 쉬어요.")
    messages, params = model.sent[0]
    user = messages[-1].content
    for text in (
        "경복궁은 언제 쉬나요?",
        "경복궁은 매주 화요일에 쉬어요.",
        "- 경복궁은 매주 화요일에 쉽니다.",
        "휴궁일",
        "존댓말을 썼는지 보세요.",
    ):
        assert text in user
    assert messages[0].role == "system"
    assert params.temperature == 0  # the packaged rubric grades greedily


def test_judge_batch_keeps_the_order_of_cases():
    # a judge that grades by the answer it sees (1 + how often it says 화요일), so a batch that
    # mixed up cases and scores would show
    class ByAnswer(RecordingModel):
        def _reply(self, messages):
            answer = messages[-1].content.split("<answer>")[1].split("</answer>")[0]
            return f'{{"score": {1 + answer.count("화요일")}, "reason": "counted"}}'

    model = ByAnswer(["unused"])
    metric = build_metric(
        "llm_judge", {"model": "judge", "concurrency": 3}, MetricContext(models=lambda n: model)
    )
    outputs = ["월요일", "화요일", "화요일 화요일", "화요일 화요일 화요일"]
    scores = score_all(metric, [CASE] * 4, outputs)
    assert [s.details["score"] for s in scores] == [1, 2, 3, 4]
    assert [s.value for s in scores] == pytest.approx([0, 1 / 4, 2 / 4, 3 / 4])


def test_judge_prompt_can_be_replaced_by_a_file(tmp_path):
    prompt = tmp_path / "strict-judge.yaml"
    prompt.write_text(
        "name: strict-judge\n"
        "system: You are a strict grader. Your task is to grade answers.\n"
        "variables:\n  answer: {type: string, required: true}\n"
        "user: 'Grade this answer: {{ answer }}'\n",
        encoding="utf-8",
    )
    metric, model = judge(['{"score": 3, "reason": "meh"}'], prompt=str(prompt))
    assert metric.score(CASE, "화요일").value == 0.5
    assert model.sent[0][0][-1].content == "Grade this answer: 화요일"


def test_judge_prompt_without_answer_variable_is_refused(tmp_path):
    prompt = tmp_path / "bad.yaml"
    prompt.write_text("name: bad\nuser: Grade it.\n", encoding="utf-8")
    with pytest.raises(PromptError, match="does not declare the variable `answer`"):
        judge(["{}"], prompt=str(prompt))
    with pytest.raises(InvalidRequest, match="names no prompt file"):
        judge(["{}"], prompt=str(tmp_path / "missing.yaml"))


def test_judge_needs_a_model_and_a_way_to_find_it():
    with pytest.raises(InvalidRequest, match=r"llm_judge.*model.*required"):
        build_metric("llm_judge", {}, MetricContext(models=lambda n: RecordingModel(["x"])))
    with pytest.raises(InvalidRequest, match="needs a way to find its judge model"):
        build_metric("llm_judge", {"model": "gpt-4o-mini"})


def test_parse_verdict_returns_score_and_reason():
    assert parse_verdict('{"score": 4, "reason": "좋습니다"}') == (4.0, "좋습니다")
    assert parse_verdict('{"score": 2.5}') == (2.5, "")
    with pytest.raises(ValueError, match="not a number"):
        parse_verdict('{"score": true}')
