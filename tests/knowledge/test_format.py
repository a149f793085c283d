"""format_sources: the numbered-source block prompts and training data share."""

from __future__ import annotations

from tuneloop.text.retrieval import Hit, Passage, format_sources


def test_format_sources_numbers_from_one_with_where_suffix() -> None:
    hits = [
        Hit(Passage("  경복궁은 매주 화요일에 쉽니다.\n", "docs/a.md", 0, 20, 12), 3.0, 0),
        Hit(Passage("Line one\nline two", "docs/b.html", 340, 357), 1.0, 1),
    ]
    assert format_sources(hits) == (
        "[1] 경복궁은 매주 화요일에 쉽니다. (docs/a.md:12)\n\n"
        "[2] Line one\nline two (docs/b.html@340)"
    )


def test_format_sources_of_nothing_is_empty() -> None:
    assert format_sources([]) == ""
