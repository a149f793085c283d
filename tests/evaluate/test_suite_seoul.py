"""The bundled Seoul suite: covers every scenario, is scored on metrics an echo cannot pass,
has facts its source documents support, and shares no question with any training data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from test_sample_project import _bigrams, _normalise, _training_questions
from tuneloop.evaluate.runner import run_suite_sync
from tuneloop.evaluate.suite import Suite, load_suite
from tuneloop.models.testing import EchoModel, ScriptedModel
from tuneloop.models.types import Message

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel"
SUITE = SAMPLE / "evals" / "seoul-travel.yaml"
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
BEHAVIOUR = {"ambiguous", "out_of_domain"}


def _question(case) -> str:
    return case.input if case.input is not None else case.messages[-1]["content"]


def test_the_seoul_suite_loads_with_facts_for_every_factual_case():
    suite = load_suite(SUITE)
    assert suite.name == "seoul-travel"
    tags = Counter(tag for case in suite.cases for tag in case.tags)
    assert tags["heldout"] == 30 and tags["inline"] == 11
    assert set(tags) >= SCENARIOS
    assert tags["ambiguous"] >= 4 and tags["out_of_domain"] >= 4
    assert all(case.references for case in suite.cases)
    for case in suite.cases:
        assert bool(case.facts) != bool(BEHAVIOUR & set(case.tags)), case.id
    names = {m.name for m in suite.metrics}
    assert {"fact_recall", "answer_relevance", "asks_back", "refusal", "language_match"} <= names
    assert not names & {"contains", "regex", "token_f1", "rouge_l"}  # nothing an echo games


class _Answers(ScriptedModel):
    """Answers each question with a fixed text (the case's reference)."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__([""], name="references")
        self.answers = answers

    def _reply(self, messages: list[Message]) -> str:
        return self.answers[[m.content for m in messages if m.role == "user"][-1]]


def _passed(suite: Suite, model: ScriptedModel) -> list[str]:
    run = run_suite_sync(suite, model, concurrency=4)
    assert run.errors == 0 and len(run.results) == len(suite.cases)
    return [r.case_id for r in run.results if r.passed]


def test_an_echo_passes_no_case_and_the_references_pass_nearly_all():
    suite = load_suite(SUITE)
    echoed = _passed(suite, EchoModel("echo"))
    assert len(echoed) <= 2, echoed
    answers = {_question(c): c.references[0] for c in suite.cases}
    assert len(_passed(suite, _Answers(answers))) >= 0.9 * len(suite.cases)


def _document_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp949")


def test_every_fact_is_supported_by_the_source_document():
    from tuneloop.evaluate.metrics.dialogue import main_language
    from tuneloop.evaluate.metrics.facts import recall

    checked = 0
    for case in load_suite(SUITE).cases:
        source = case.meta.get("source")
        if not case.facts or not source:
            continue
        text = _document_text(SAMPLE / source)
        if main_language(text) != main_language(_question(case)):
            continue  # an English document behind a Korean fact: words cannot be compared
        # the document states the facts; one may be the answer it implies (h16: closed only on
        # 1월 1일, 설날, 추석 → open on Mondays), so at least half must be there word for word
        value, details = recall(case.facts, text)
        assert value >= 0.5, (case.id, details)
        assert recall(case.facts, case.references[0])[0] == 1.0, case.id
        checked += 1
    assert checked >= 20


@pytest.fixture(scope="module")
def pipeline_questions() -> list[str]:
    """Every user question the data pipeline (examples/seoul-travel/data.yaml) can train on:
    chat logs and seed Q/A as ingested, plus the Q/A generated from docs/ — before the held-out
    guard, so the check does not rely on it."""
    from tuneloop.data.ingest import IngestOptions, ingest
    from tuneloop.data.prepare import load_prepare_config
    from tuneloop.data.qa import build_qa
    from tuneloop.data.records import Example, SkipReport

    path = SAMPLE / "data.yaml"
    config = load_prepare_config(path)
    records = []
    for source in config.sources:
        options = IngestOptions(
            chunk_chars=config.chunk_chars,
            overlap_chars=config.overlap_chars,
            encoding=source.encoding,
            fmt=source.format,
            assistant_names=tuple(source.assistant),
        )
        records += ingest([path.parent / source.path], options, SkipReport())
    qa = build_qa(
        records,
        method=config.qa.method,
        rules=config.qa.rules,
        seed=config.qa.seed,
        threshold=config.qa.grounding_threshold,
    )
    examples = [e for e in qa.output(keep_flagged=True) if isinstance(e, Example)]
    generated = [e for e in examples if "chatlog" not in e.tags]
    assert len(generated) > 100  # the document rules did produce Q/A
    return [e.first("user") for e in examples] + _training_questions()


def test_no_seoul_case_is_training_data_or_a_near_duplicate_of_it(pipeline_questions):
    exact = {_normalise(q) for q in pipeline_questions}
    grams = [_bigrams(q) for q in pipeline_questions if q]
    for case in load_suite(SUITE).cases:
        question = _question(case)
        assert _normalise(question) not in exact, case.id
        mine = _bigrams(question)
        closest = max(len(mine & other) / len(mine | other) for other in grams if other)
        assert closest < 0.6, case.id
