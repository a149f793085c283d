"""The knowledge component: documents → passages with sources and spans → BM25 search."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from tuneloop.config import load_settings
from tuneloop.errors import ConfigError
from tuneloop.knowledge import (
    BM25Retriever,
    Passage,
    RetrievalModel,
    Retriever,
    load_passages,
    resolve_documents,
)
from tuneloop.knowledge.build import build_retriever
from tuneloop.models.types import Message, SamplingParams

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel"
HELDOUT = [
    json.loads(line)
    for line in (SAMPLE / "heldout" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
]
# Held-out questions whose label names one document, across formats: Markdown, cp949 text
# (jongmyo.txt, ttareungyi.txt), HTML, an English question.
LABELLED = ("h01", "h05", "h13", "h17", "h19", "h21")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings of a fresh project in tmp_path, untouched by the caller's TUNELOOP_* variables."""
    for name in [n for n in os.environ if n.startswith("TUNELOOP_")]:
        monkeypatch.delenv(name)
    (tmp_path / "tuneloop.toml").write_text('name = "p"\n', encoding="utf-8")
    return load_settings(tmp_path)


@pytest.fixture(scope="module")
def seoul() -> BM25Retriever:
    passages, skipped = load_passages(resolve_documents(["docs"], SAMPLE, where="test"))
    assert not skipped
    return BM25Retriever(passages)


def test_bm25_retriever_implements_the_retriever_protocol(seoul):
    assert isinstance(seoul, Retriever)


@pytest.mark.parametrize("case_id", LABELLED)
def test_retrieve_finds_the_labelled_document_of_seoul_questions(seoul, case_id):
    row = next(r for r in HELDOUT if r["id"] == case_id)
    hits = seoul.search(row["question"], k=3)
    assert hits, row["question"]
    assert hits[0].passage.source == row["source"]
    assert [h.rank for h in hits] == list(range(len(hits)))
    assert all(a.score >= b.score > 0 for a, b in itertools.pairwise(hits))


def test_seoul_cp949_documents_are_decoded_into_hangul_passages(seoul):
    jongmyo = [p for p in seoul.passages if p.source == "docs/jongmyo.txt"]
    raw = (SAMPLE / "docs" / "jongmyo.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the sample really is a legacy-encoded file
    assert jongmyo and "종묘" in jongmyo[0].text


def test_passages_carry_their_file_and_exact_span(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    paragraphs = [
        f"{i}번째 문단입니다. 경복궁 근처 식당 {i}곳을 소개합니다. " * 4 for i in range(6)
    ]
    text = "# 식당 안내\n\n" + "\n\n".join(paragraphs) + "\n"
    (docs / "food.md").write_text(text, encoding="utf-8")
    passages, _ = load_passages(
        resolve_documents(["docs"], tmp_path, where="t"), passage_chars=300, overlap_chars=0
    )
    assert len(passages) > 1
    for p in passages:
        assert p.source == "docs/food.md" and p.title == "식당 안내"
        assert text[p.start : p.end] == p.text
        assert p.line == text.count("\n", 0, p.start) + 1


def test_a_cp949_document_is_searchable(tmp_path, settings):
    (tmp_path / "namsan.txt").write_bytes(
        "남산 케이블카\n\n남산 케이블카는 명동역 3번 출구에서 걸어서 10분 거리에 있습니다.".encode(
            "cp949"
        )
    )
    (tmp_path / "other.md").write_text("# 한강\n\n한강공원에서는 자전거를 빌릴 수 있습니다.")
    retriever = build_retriever(settings, ["."], base=tmp_path, where="t")
    hit = retriever.search("케이블카는 어느 역에서 타나요?", k=1)[0]
    assert hit.passage.source.endswith("namsan.txt")
    assert "명동역 3번 출구" in hit.passage.text


def test_a_question_sharing_no_term_gets_no_passage_and_an_empty_answer():
    retriever = BM25Retriever([Passage("경복궁은 화요일에 쉽니다.", "a.md", 0, 14)])
    assert retriever.search("Python sort list", k=3) == []
    model = RetrievalModel(retriever)
    answer = model.generate([Message("user", "Python sort list")], SamplingParams(temperature=0))
    assert answer.text == ""


def test_retrieve_answers_with_the_best_passage_of_the_last_user_message():
    retriever = BM25Retriever(
        [
            Passage("경복궁은 매주 화요일에 쉽니다.", "palace.md", 0, 17),
            Passage("광장시장은 빈대떡과 마약김밥으로 유명합니다.", "market.md", 0, 24),
        ]
    )
    model = RetrievalModel(retriever)
    messages = [
        Message("system", "서울 여행 도우미입니다."),
        Message("user", "경복궁은 언제 쉬어요?"),
        Message("assistant", "매주 화요일입니다."),
        Message("user", "광장시장에서는 뭘 먹어요?"),
    ]
    assert model.generate(messages, SamplingParams()).text == retriever.passages[1].text
    cut = model.generate(messages, SamplingParams(max_tokens=1))
    assert cut.text == "광장시장은 " and cut.finish_reason == "length"


def test_the_cache_identity_changes_with_the_documents(tmp_path, settings):
    (tmp_path / "a.md").write_text("# 경복궁\n\n화요일에 쉽니다.", encoding="utf-8")
    first = RetrievalModel(build_retriever(settings, ["a.md"], base=tmp_path))
    again = RetrievalModel(build_retriever(settings, ["a.md"], base=tmp_path))
    (tmp_path / "a.md").write_text("# 경복궁\n\n월요일에 쉽니다.", encoding="utf-8")
    changed = RetrievalModel(build_retriever(settings, ["a.md"], base=tmp_path))
    assert first.cache_identity == again.cache_identity != changed.cache_identity
    assert first.retriever.content_hash.startswith("sha256:")


def test_without_documents_the_error_says_where_to_name_them(settings):
    with pytest.raises(ConfigError) as caught:
        build_retriever(settings)
    assert "No documents are configured" in caught.value.message
    assert "[knowledge] documents" in caught.value.message
    assert "documents: ../docs" in (caught.value.hint or "")


def test_the_project_setting_names_documents_relative_to_the_project(tmp_path, settings):
    (tmp_path / "tuneloop.toml").write_text(
        'name = "p"\n[knowledge]\ndocuments = ["guides/*.md"]\n', encoding="utf-8"
    )
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "tower.md").write_text("# 남산타워\n\n전망대는 밤 11시까지.")
    (tmp_path / "guides" / "skip.txt").write_text("남산타워 아님")
    retriever = build_retriever(load_settings(tmp_path))
    assert [p.source for p in retriever.passages] == ["guides/tower.md"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [("missing-folder", "does not exist"), ("*.pdf", "matches no file")],
)
def test_a_documents_entry_that_finds_nothing_is_an_error(tmp_path, entry, message):
    with pytest.raises(ConfigError, match=message):
        resolve_documents([entry], tmp_path, where="suite.yaml: documents")


def test_documents_with_no_readable_text_are_an_error(tmp_path, settings):
    (tmp_path / "blank.md").write_text("   \n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="No passages could be read"):
        build_retriever(settings, ["blank.md"], base=tmp_path)
