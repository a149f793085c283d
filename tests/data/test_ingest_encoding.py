"""Text files decode right whatever they were saved in: Korean legacy codecs above all."""

from __future__ import annotations

import codecs

import pytest

from tuneloop.data.ingest import NotText, read_text
from tuneloop.errors import DataError, InvalidRecord

KOREAN = "경복궁은 보통 오전 9시에 열어요.\n화요일은 휴궁일이니 참고하세요.\n"


@pytest.mark.parametrize("codec", ["cp949", "euc-kr"])
def test_korean_legacy_files_decode_to_the_right_hangul(tmp_path, codec):
    path = tmp_path / "guide.txt"
    path.write_bytes(KOREAN.encode(codec))

    decoded = read_text(path)

    assert decoded.text == KOREAN
    assert decoded.encoding in ("cp949", "euc_kr")


def test_short_mixed_english_and_korean_cp949_is_not_mistaken_for_chinese(tmp_path):
    text = "Seoul travel guide 서울"
    path = tmp_path / "short.txt"
    path.write_bytes(text.encode("cp949"))

    assert read_text(path).text == text


def test_cp949_only_syllables_decode(tmp_path):
    text = "똠방각하와 믜리 같은 글자도 cp949에는 있다."
    path = tmp_path / "ext.txt"
    path.write_bytes(text.encode("cp949"))

    assert read_text(path).text == text


def test_utf8_is_preferred_and_reported_with_full_confidence(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Gyeongbokgung opens at 9 a.m. 경복궁", encoding="utf-8")

    decoded = read_text(path)

    assert (decoded.encoding, decoded.confidence) == ("utf-8", 1.0)


def test_bom_is_stripped_and_newlines_normalised(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + "첫 줄\r\n둘째 줄\r셋째 줄".encode())

    assert read_text(path).text == "첫 줄\n둘째 줄\n셋째 줄"


def test_utf16_with_bom_is_text_not_binary(tmp_path):
    path = tmp_path / "notepad.txt"
    path.write_bytes("명동 맛집 안내\r\n".encode("utf-16"))

    assert read_text(path).text == "명동 맛집 안내\n"


def test_nul_bytes_mean_binary(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))

    with pytest.raises(NotText, match="binary file, not text"):
        read_text(path)


def test_forced_encoding_is_used_and_a_wrong_one_names_the_file(tmp_path):
    path = tmp_path / "guide.txt"
    path.write_bytes(KOREAN.encode("cp949"))

    assert read_text(path, "cp949").text == KOREAN
    with pytest.raises(InvalidRecord, match=r"guide\.txt.*does not decode as utf-8"):
        read_text(path, "utf-8")
    with pytest.raises(DataError, match="unknown encoding"):
        read_text(path, "klingon-8")


def test_html_meta_charset_is_honoured_when_bytes_are_not_utf8(tmp_path):
    page = '<html><head><meta charset="euc-kr"></head><body><p>남산타워 야경</p></body></html>'
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("euc-kr"))

    decoded = read_text(path)

    assert "남산타워 야경" in decoded.text
    assert decoded.encoding == "euc_kr"
