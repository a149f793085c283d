"""Perplexity under a tiny random model: the numbers are meaningless, the structure is not."""

from __future__ import annotations

import math

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.evaluate.metrics import EvalCase, MetricContext, build_metric, score_all
from tuneloop.models.testing import ScriptedModel

CASE = EvalCase("c1", [{"role": "user", "content": "서울 관광지를 추천해 주세요."}])
OUTPUTS = [
    "경복궁, 북촌 한옥마을, 남산서울타워를 추천합니다.",
    "Gyeongbokgung, Bukchon Hanok Village and N Seoul Tower.",
    "Hello!",
    "서울 서울 서울 서울 서울 서울 서울 서울",
]


@pytest.fixture
def metric(tiny_model_dir):
    return build_metric("perplexity", {"model": str(tiny_model_dir), "batch_size": 3})


def test_perplexity_score_is_the_documented_map_of_the_raw_perplexity(metric):
    for output in OUTPUTS:
        score = metric.score(CASE, output)
        perplexity = score.details["perplexity"]
        assert perplexity > 1.0
        assert 0.0 < score.value <= 1.0
        assert score.value == pytest.approx(1.0 / (1.0 + math.log(perplexity)))


def test_perplexity_agrees_with_the_models_own_loss(metric, tiny_model_dir):
    # transformers computes the mean next-token cross-entropy itself when given labels
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    text = OUTPUTS[0]
    ids = [tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]
    with torch.no_grad():
        loss = model(input_ids=torch.tensor([ids]), labels=torch.tensor([ids])).loss
    score = metric.score(CASE, text)
    assert score.details["perplexity"] == pytest.approx(math.exp(float(loss)), rel=1e-4)
    assert score.details["tokens"] == len(ids) - 1


def test_perplexity_batched_equals_one_by_one(metric):
    batched = score_all(metric, [CASE] * len(OUTPUTS), OUTPUTS)
    single = [metric.score(CASE, output) for output in OUTPUTS]
    for b, s in zip(batched, single, strict=True):
        assert b.details["perplexity"] == pytest.approx(s.details["perplexity"], rel=1e-4)
        assert b.value == pytest.approx(s.value, rel=1e-4)


def test_perplexity_of_empty_output_is_zero_with_an_error(metric):
    scores = score_all(metric, [CASE, CASE], ["", OUTPUTS[0]])
    assert scores[0].value == 0.0
    assert scores[0].details["error"] == "empty output"
    assert scores[1].value > 0.0


def test_perplexity_needs_a_local_model(tiny_model_dir):
    remote = MetricContext(models=lambda name: ScriptedModel(["hi"], name=name))
    with pytest.raises(InvalidRequest, match="not a local transformers model"):
        build_metric("perplexity", {"model": "gpt-4o-mini"}, remote)
    with pytest.raises(InvalidRequest, match="names no local model"):
        build_metric("perplexity", {"model": "no-such-model"})
    with pytest.raises(InvalidRequest, match="batch_size"):
        build_metric("perplexity", {"model": str(tiny_model_dir), "batch_size": 0})


def test_perplexity_uses_the_weights_of_a_model_from_the_context(tiny_model_dir):
    from tuneloop.models.local import LocalChatModel

    local = LocalChatModel("tiny", {"path": str(tiny_model_dir)})
    context = MetricContext(models=lambda name: local)
    via_context = build_metric("perplexity", {"model": "tiny"}, context).score(CASE, OUTPUTS[1])
    via_path = build_metric("perplexity", {"model": str(tiny_model_dir)}).score(CASE, OUTPUTS[1])
    assert via_context.details["perplexity"] == pytest.approx(via_path.details["perplexity"])


@pytest.mark.slow
def test_smollm2_finds_scrambled_word_order_less_fluent(smollm2_available):
    metric = build_metric("perplexity")  # the default reference model, smollm2-135m
    outputs = [
        "Gyeongbokgung Palace is closed every Tuesday.",
        "Tuesday every closed Palace is Gyeongbokgung.",
        "경복궁은 매주 화요일에 쉽니다.",
        "화요일에 쉽니다 매주 경복궁은.",
    ]
    en, en_scrambled, ko, ko_scrambled = score_all(metric, [CASE] * 4, outputs)
    assert en.value > en_scrambled.value
    assert ko.value > ko_scrambled.value
