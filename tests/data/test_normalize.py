"""Normalisation: one spelling per text, reported by rule, and idempotent."""

from __future__ import annotations

import unicodedata

from tuneloop.data.normalize import normalize_text


def test_decomposed_hangul_becomes_precomposed():
    decomposed = unicodedata.normalize("NFD", "경복궁")
    assert decomposed != "경복궁"

    text, rules = normalize_text(decomposed)

    assert text == "경복궁"
    assert rules == ["normalize.nfc"]


def test_invisible_and_control_characters_are_removed():
    text, rules = normalize_text("명동\u200b 거리\x07에서\ufeff 쇼핑")
    assert text == "명동 거리에서 쇼핑"
    assert rules == ["normalize.control"]


def test_whitespace_is_collapsed_and_line_endings_unified():
    text, rules = normalize_text("  첫 줄\u3000\u3000끝  \r\n\r\n\r\n\r\n둘째\t줄 ")
    assert text == "첫 줄 끝\n\n둘째 줄"
    assert rules == ["normalize.whitespace"]


def test_crlf_alone_counts_as_a_whitespace_change():
    assert normalize_text("a\r\nb") == ("a\nb", ["normalize.whitespace"])


def test_clean_text_is_untouched_and_normalising_is_idempotent():
    clean = "Gyeongbokgung opens at 9 a.m.\n\n경복궁은 오전 9시에 엽니다."
    assert normalize_text(clean) == (clean, [])
    messy = unicodedata.normalize("NFD", " 인사동\u200b  거리 \r\n")
    once, _ = normalize_text(messy)
    assert normalize_text(once) == (once, [])
