"""Versioned knowledge indexes: build (no-op, incremental, deletions), lineage, open_retriever."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from pathlib import Path

import pytest

from tuneloop.errors import BadReference, ConfigError, UnknownReference
from tuneloop.knowledge import BM25Retriever, Retriever, load_passages, open_retriever
from tuneloop.knowledge.index import build_index, clear_cache, read_passages, resolve_sources
from tuneloop.registry import Store

SAMPLE_DOCS = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel" / "docs"
LABELS = Path(__file__).with_name("labelled_passages.jsonl")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A few of the sample's documents (Markdown, cp949 text, HTML) in a docs/ folder."""
    folder = tmp_path / "work" / "docs"
    folder.mkdir(parents=True)
    for name in ("gyeongbokgung.md", "taxi.md", "tipping.md", "jongmyo.txt", "ddp.html"):
        shutil.copy(SAMPLE_DOCS / name, folder / name)
    return folder


def build(store: Store, docs: Path, **kwargs):
    return build_index(
        store, "seoul-docs", resolve_sources(["docs"], docs.parent), author="kim", **kwargs
    )


def test_build_stores_passages_with_sources_ids_and_lineage(store: Store, docs: Path) -> None:
    result = build(store, docs)

    version = result.version
    assert (version.ref, result.created) == ("seoul-docs@1", True)
    assert sorted(version.documents) == [f"docs/{p.name}" for p in sorted(docs.iterdir())]
    for label, doc in version.documents.items():
        assert doc["sha256"] == hashlib.sha256((docs.parent / label).read_bytes()).hexdigest()
    passages, terms = read_passages(store.indexes.passages_path(version))
    assert len(passages) == version.counts["passages"] == result.chunked
    assert sum(d["passages"] for d in version.documents.values()) == len(passages)
    # The stored passages are exactly what load_passages makes of the same documents.
    fresh, _ = load_passages(resolve_sources(["docs"], docs.parent))
    assert passages == fresh
    assert all(p.id and len(p.id) == 12 for p in passages)
    assert len({p.id for p in passages}) == len(passages)
    assert all(t for t in terms)  # every passage has BM25 terms stored
    assert version.settings["passage_chars"] == 500 and version.settings["method"] == "bm25"


def test_rebuilding_unchanged_documents_is_the_same_version(store: Store, docs: Path) -> None:
    first = build(store, docs)
    again = build(store, docs, message="again")

    assert again.created is False
    assert again.version == first.version
    assert [v.version for v in store.indexes.versions("seoul-docs")] == [1]


def test_changed_added_and_deleted_documents_make_an_incremental_version(
    store: Store, docs: Path
) -> None:
    first = build(store, docs)
    with (docs / "taxi.md").open("ab") as taxi:  # a cp949 file, edited in its own encoding
        taxi.write("\n\n## 새 소식\n택시 앱 호출비는 무료입니다.\n".encode("cp949"))
    (docs / "tipping.md").unlink()
    (docs / "new.md").write_text("# 새 문서\n\n덕수궁 돌담길은 산책하기 좋아요.\n", "utf-8")

    second = build(store, docs)

    version = second.version
    assert (version.ref, version.parent, second.created) == ("seoul-docs@2", "seoul-docs@1", True)
    assert version.changes == {
        "added": ["docs/new.md"],
        "changed": ["docs/taxi.md"],
        "removed": ["docs/tipping.md"],
    }
    # Only the changed and added documents were chunked again; the rest came from version 1.
    old = version.documents
    assert second.chunked == old["docs/taxi.md"]["passages"] + old["docs/new.md"]["passages"]
    assert second.reused == version.counts["passages"] - second.chunked > 0
    passages, _ = read_passages(store.indexes.passages_path(version))
    assert {p.source for p in passages} == set(old)
    assert passages == load_passages(resolve_sources(["docs"], docs.parent))[0]
    # Version 1 is untouched and still searchable.
    tipping = open_retriever(store, "seoul-docs@1").search("hotel service charge tipping", k=1)
    assert tipping[0].passage.source == "docs/tipping.md"
    latest = open_retriever(store, "seoul-docs@2")
    assert all(h.passage.source != "docs/tipping.md" for h in latest.search("tipping", k=5))
    assert latest.search("택시 앱 호출비", k=1)[0].passage.source == "docs/taxi.md"
    assert first.version.ref == "seoul-docs@1"


def test_new_chunk_settings_make_a_new_version_and_chunk_everything(
    store: Store, docs: Path
) -> None:
    build(store, docs)
    smaller = build(store, docs, passage_chars=200, overlap_chars=20)

    assert smaller.created and smaller.version.version == 2
    assert smaller.reused == 0
    assert smaller.version.counts["passages"] > store.indexes.get("seoul-docs@1").counts["passages"]


def test_open_retriever_follows_aliases_and_searches_with_sources(store: Store, docs: Path) -> None:
    clear_cache()
    build(store, docs)
    (docs / "gyeongbokgung.md").unlink()
    build(store, docs)
    store.indexes.set_alias("seoul-docs", "production", 1, by="kim")

    production = open_retriever(store, "seoul-docs@production")
    assert isinstance(production, Retriever)
    hits = production.search("경복궁 입장료는 얼마예요?", k=3)
    assert hits[0].passage.source == "docs/gyeongbokgung.md"
    assert hits[0].passage.line is not None and hits[0].passage.id
    assert [h.rank for h in hits] == list(range(len(hits)))
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    assert open_retriever(store, "seoul-docs@1") is production  # one load per version
    latest = open_retriever(store, "seoul-docs")
    assert latest.content_hash != production.content_hash
    assert all(h.passage.source != "docs/gyeongbokgung.md" for h in latest.search("경복궁", k=5))

    store.indexes.set_alias("seoul-docs", "production", 2, by="kim")
    assert open_retriever(store, "seoul-docs@production") is latest  # the move is seen at once


def test_unknown_index_version_and_alias_say_what_exists(store: Store, docs: Path) -> None:
    with pytest.raises(UnknownReference) as none_yet:
        open_retriever(store, "seoul-docs")
    assert "tuneloop index build" in none_yet.value.hint

    build(store, docs)
    with pytest.raises(UnknownReference) as typo:
        open_retriever(store, "seoul-doc")
    assert "seoul-docs" in typo.value.hint and "indexes" in typo.value.hint
    with pytest.raises(UnknownReference) as version:
        open_retriever(store, "seoul-docs@7")
    assert "version 1" in version.value.hint
    with pytest.raises(UnknownReference) as alias:
        open_retriever(store, "seoul-docs@production")
    assert "tuneloop index alias set" in alias.value.hint
    with pytest.raises(BadReference):
        open_retriever(store, "seoul docs")


def test_sources_without_text_or_missing_are_errors_with_hints(
    store: Store, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.md").write_text("\n\n", encoding="utf-8")
    with pytest.raises(ConfigError) as no_text:
        build_index(store, "x", resolve_sources(["empty"], tmp_path), author="kim")
    assert no_text.value.hint
    with pytest.raises(ConfigError) as missing:
        resolve_sources(["nowhere"], tmp_path)
    assert "nowhere" in missing.value.message and missing.value.hint
    with pytest.raises(ConfigError):
        build_index(
            store, "x", resolve_sources(["empty"], tmp_path), author="kim", method="telepathy"
        )
    assert store.indexes.names() == []


def test_labelled_passages_exist_in_the_sample_index(store: Store) -> None:
    """The shipped labels name passages of the sample documents' default index, and BM25 finds
    a labelled passage in the top 5 for most questions (the full numbers: bench/retrieval.py)."""
    version = build_index(
        store, "sample", resolve_sources([str(SAMPLE_DOCS)], SAMPLE_DOCS.parent), author="kim"
    ).version
    passages, _ = read_passages(store.indexes.passages_path(version))
    by_id = {p.id: p for p in passages}
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(labels) >= 20
    for item in labels:
        assert item["passages"], item["id"]
        for pid in item["passages"]:
            assert by_id[pid].source == item["source"], item["id"]
    retriever = open_retriever(store, "sample")
    found = sum(
        any(h.passage.id in item["passages"] for h in retriever.search(item["question"], k=5))
        for item in labels
    )
    assert found / len(labels) >= 0.8


def test_a_loaded_version_answers_like_a_fresh_in_memory_index(store: Store, docs: Path) -> None:
    """Loading uses the saved bm25s index and stored terms (no Kiwi over passages, no
    re-indexing); it must rank exactly as an index built from the documents in memory."""
    version = build(store, docs).version
    assert version.bm25 is not None and store.indexes.bm25_path(version).is_file()
    clear_cache()
    loaded = open_retriever(store, "seoul-docs@1")
    fresh = BM25Retriever(load_passages(resolve_sources(["docs"], docs.parent))[0])
    assert loaded.content_hash == fresh.content_hash
    for query in ("경복궁 입장료", "택시 심야 할증", "tipping in restaurants", "종묘 관람", "DDP"):
        got = [(h.passage.id, round(h.score, 5)) for h in loaded.search(query, k=5)]
        assert got == [(h.passage.id, round(h.score, 5)) for h in fresh.search(query, k=5)]
        assert got, query
