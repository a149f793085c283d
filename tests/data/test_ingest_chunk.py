"""Long documents are cut into overlapping chunks at natural boundaries, each an exact slice."""

from __future__ import annotations

import itertools

import pytest

from tuneloop.data.ingest import chunk_document, chunk_text
from tuneloop.errors import DataError

KOREAN_PARAGRAPH = (
    "경복궁은 조선 왕조의 법궁입니다. 광화문을 지나면 흥례문과 근정전이 차례로 나옵니다. "
    "수문장 교대식은 하루 두 번 열리며 화요일에는 휴궁합니다. "
    "한복을 입으면 무료로 입장할 수 있어요. "
)
ENGLISH_PARAGRAPH = (
    "Bukchon Hanok Village sits between two palaces. Residents still live in many of the houses, "
    "so visitors are asked to keep quiet. The best light for photos is early in the morning! "
)


def _long_text() -> str:
    paragraphs = [KOREAN_PARAGRAPH * 3, ENGLISH_PARAGRAPH * 3, KOREAN_PARAGRAPH * 2]
    return "\n\n".join(p.strip() for p in paragraphs * 3)


@pytest.mark.parametrize(("size", "overlap"), [(300, 50), (500, 100), (120, 0), (1200, 200)])
def test_chunks_are_exact_slices_no_longer_than_the_size_and_cover_the_text(size, overlap):
    text = _long_text()

    chunks = chunk_text(text, size, overlap)

    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk.text) <= size
        assert text[chunk.offset : chunk.offset + len(chunk.text)] == chunk.text
        assert chunk.text == chunk.text.strip()
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.offset, chunk.offset + len(chunk.text)))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    offsets = [c.offset for c in chunks]
    assert offsets == sorted(set(offsets))


def test_neighbouring_chunks_overlap_by_at_most_the_overlap():
    text = _long_text()

    chunks = chunk_text(text, 400, 120)

    shared = [a.offset + len(a.text) - b.offset for a, b in itertools.pairwise(chunks)]
    assert all(s <= 120 for s in shared)
    assert sum(s > 0 for s in shared) >= len(shared) // 2  # most neighbours do share text


def test_zero_overlap_means_chunks_do_not_share_text():
    chunks = chunk_text(_long_text(), 400, 0)

    for a, b in itertools.pairwise(chunks):
        assert b.offset >= a.offset + len(a.text)


def test_cuts_fall_on_sentence_ends_in_korean_and_english():
    text = _long_text()

    for chunk in chunk_text(text, 250, 40)[:-1]:
        assert chunk.text.endswith((".", "!", "?")), chunk.text[-30:]


def test_paragraph_break_is_preferred_over_a_sentence_end():
    first = "가" * 50 + ". " + "나" * 40 + "."
    second = "Namsan Tower opens at ten. " * 3
    text = first + "\n\n" + second

    chunks = chunk_text(text, len(first) + 30, 0)

    assert chunks[0].text == first


def test_korean_without_punctuation_is_cut_between_sentences_not_words():
    sentence = "남산타워는 밤에 특히 아름답습니다 케이블카를 타면 금방 올라갈 수 있어요 "
    text = sentence * 12

    chunks = chunk_text(text, 100, 0)

    words = set(text.split())
    for chunk in chunks:
        assert set(chunk.text.split()) <= words  # no word cut in half


def test_one_word_longer_than_a_chunk_is_cut_hard():
    text = "x" * 250

    chunks = chunk_text(text, 100, 10)

    assert all(len(c.text) <= 100 for c in chunks)
    assert "".join(c.text for c in chunks[:1]) == "x" * 100
    assert chunks[-1].offset + len(chunks[-1].text) == 250


def test_blank_text_gives_no_chunks_and_short_text_one():
    assert chunk_text("  \n\n ", 100, 10) == []
    [only] = chunk_text("\n  명동 맛집  \n", 100, 10)
    assert (only.text, only.offset) == ("명동 맛집", 3)


def test_overlap_must_be_smaller_than_the_chunk():
    with pytest.raises(DataError, match="overlap"):
        chunk_text("abc", 10, 10)


def test_chunk_documents_carry_title_offset_line_and_position():
    text = "# 서울 궁궐\n\n" + "\n\n".join([KOREAN_PARAGRAPH.strip()] * 6)

    docs = chunk_document(
        text, path="docs/palaces.md", title="서울 궁궐", chunk_chars=300, overlap_chars=60
    )

    assert len(docs) > 1
    assert [d.meta["chunk"] for d in docs] == list(range(len(docs)))
    assert {d.meta["chunks"] for d in docs} == {len(docs)}
    for doc in docs:
        assert doc.title == "서울 궁궐"
        offset = doc.source.offset
        assert text[offset : offset + len(doc.text)] == doc.text
        assert doc.source.line == text.count("\n", 0, offset) + 1
    assert len({d.id for d in docs}) == len(docs)


def test_a_document_that_fits_is_one_record_without_offset():
    [doc] = chunk_document("\n\nShort note.\n", path="a.txt", title="Short note.")

    assert (doc.text, doc.source.line, doc.source.offset) == ("Short note.", 3, None)
    assert "chunk" not in doc.meta
