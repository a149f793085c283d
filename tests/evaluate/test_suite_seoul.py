"""The bundled Seoul suite: loads, covers every scenario, never uses training data, and runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from test_sample_project import _bigrams, _normalise, _training_questions
from tuneloop.evaluate.runner import run_suite_sync
from tuneloop.evaluate.suite import load_suite
from tuneloop.models.testing import EchoModel

SUITE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "seoul-travel"
    / "evals"
    / "seoul-travel.yaml"
)
SCENARIOS = {
    "recommendation",
    "directions",
    "hours",
    "price",
    "etiquette",
    "food",
    "season",
    "ambiguous",
    "out_of_domain",
}


def test_the_seoul_suite_loads_heldout_questions_and_inline_assertions():
    suite = load_suite(SUITE)
    assert suite.name == "seoul-travel"
    tags = Counter(tag for case in suite.cases for tag in case.tags)
    assert tags["heldout"] == 30
    assert tags["assertion"] >= 10
    assert set(tags) >= SCENARIOS
    assert tags["ambiguous"] >= 4 and tags["out_of_domain"] >= 4
    assert all(case.references for case in suite.cases)
    inline = [c for c in suite.cases if "assertion" in c.tags]
    assert all(c.metrics for c in inline)  # every inline case asserts something


def test_no_inline_seoul_case_is_training_data_or_a_near_duplicate_of_it():
    training = _training_questions()
    exact = {_normalise(q) for q in training}
    grams = [_bigrams(q) for q in training]
    for case in load_suite(SUITE).select(tags=["assertion"]).cases:
        assert case.input is not None
        assert _normalise(case.input) not in exact, case.id
        mine = _bigrams(case.input)
        closest = max(len(mine & other) / len(mine | other) for other in grams if other)
        assert closest < 0.6, case.id


def test_the_seoul_suite_runs_and_scores_every_case():
    suite = load_suite(SUITE)
    run = run_suite_sync(suite, EchoModel("echo"), concurrency=8)
    assert len(run.results) == 41 and run.errors == 0
    for result in run.results:
        assert {"token_f1", "rouge_l", "answer_relevance", "language_match"} <= set(result.scores)
    by_id = {r.case_id: r for r in run.results}
    # The echo model repeats the question: it "asks back" (a question mark) and stays in language.
    assert by_id["a-ambiguous-parking"].scores["asks_back"] == 1.0
    assert by_id["a-out-of-domain-poem"].scores["redirects"] == 0.0
    assert by_id["h20"].scores["language_match"] == 1.0
