"""The bundled sample project (examples/seoul-travel) is what its README and defects.json claim.

Other stages' tests use ``defects.json`` as ground truth ("cleaning finds exactly these files",
"dedupe drops exactly these lines"), so a wrong line number or a defect that is not really there
would make those tests lie. These checks read the files as bytes and lines, never through tuneloop,
so they stay valid while the data stage is being written.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "seoul-travel"
DOC_SUFFIXES = {".md", ".txt", ".html"}


def _defects() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLE / "defects.json").read_text(encoding="utf-8"))
    return data


def _text(rel: str) -> str:
    codec = _defects()["encodings"].get(rel, "utf-8")
    return (SAMPLE / rel).read_bytes().decode(codec)


def _line(rel: str, number: int) -> str:
    return _text(rel).split("\n")[number - 1]


def _normalise(text: str) -> str:
    """Lower case, NFKC, without whitespace or punctuation: what "the same question" means here."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def _bigrams(text: str) -> set[str]:
    norm = _normalise(text)
    return {norm[i : i + 2] for i in range(len(norm) - 1)}


def _qa_rows() -> list[list[str]]:
    with (SAMPLE / "qa" / "seed-qa.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _heldout() -> list[dict[str, Any]]:
    lines = (SAMPLE / "heldout" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _training_questions() -> list[str]:
    """Every question a training step could see: seed Q/A questions and chat-log user turns."""
    questions = [row[0] for row in _qa_rows()[1:] if row]
    for line in (SAMPLE / "chatlogs" / "support.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("role") == "user" and isinstance(message.get("text"), str):
            questions.append(message["text"])
    pc = r"^\[(?P<speaker>[^]]+)\] \[[^]]+\] (?P<text>.*)$"
    mobile = r"^\d{4}년 [^,]+, (?P<speaker>[^:]+) : (?P<text>.*)$"
    for name, pattern in (("kakaotalk-seoul-guide.txt", pc), ("kakaotalk-mobile.txt", mobile)):
        for line in (SAMPLE / "chatlogs" / name).read_text(encoding="utf-8").splitlines():
            match = re.match(pattern, line)
            if match and match["speaker"] != "서울가이드":
                questions.append(match["text"])
    return questions


def test_sample_has_about_forty_documents_in_markdown_text_and_html() -> None:
    docs = [p for p in (SAMPLE / "docs").iterdir() if p.is_file()]
    suffixes = Counter(p.suffix for p in docs)
    assert 38 <= len(docs) <= 50
    assert set(suffixes) == DOC_SUFFIXES
    assert suffixes[".md"] > len(docs) / 2
    assert 4 <= suffixes[".html"] <= 6


def test_sample_documents_are_mostly_korean_with_a_few_in_english() -> None:
    english = []
    for path in (SAMPLE / "docs").iterdir():
        text = _text(f"docs/{path.name}")
        hangul = sum("가" <= ch <= "힣" for ch in text)
        if hangul < 20:
            english.append(path.name)
    assert 3 <= len(english) <= 4, english


def test_sample_html_documents_carry_boilerplate_around_the_article() -> None:
    for path in (SAMPLE / "docs").glob("*.html"):
        html = _text(f"docs/{path.name}").lower()
        assert "<script" in html, path.name
        assert "<footer" in html or "copyright" in html, path.name
        assert "<h1>" in html, path.name


def test_one_sample_document_is_long_enough_to_be_chunked() -> None:
    lengths = {p.name: len(_text(f"docs/{p.name}")) for p in (SAMPLE / "docs").iterdir()}
    assert max(lengths.values()) >= 3000


def test_listed_legacy_encodings_are_not_utf8_but_decode_with_their_codec() -> None:
    encodings = _defects()["encodings"]
    assert sum(codec == "cp949" for codec in encodings.values()) >= 4
    assert sum(codec == "euc-kr" for codec in encodings.values()) >= 2
    for rel, codec in encodings.items():
        raw = (SAMPLE / rel).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert any("가" <= ch <= "힣" for ch in raw.decode(codec)), rel


def test_every_document_not_listed_as_legacy_is_utf8() -> None:
    encodings = _defects()["encodings"]
    for path in (SAMPLE / "docs").iterdir():
        rel = f"docs/{path.name}"
        if rel not in encodings:
            path.read_bytes().decode("utf-8")


def test_the_euc_kr_html_page_declares_its_charset() -> None:
    euc_kr_html = [
        rel
        for rel, codec in _defects()["encodings"].items()
        if codec == "euc-kr" and rel.endswith(".html")
    ]
    assert euc_kr_html
    for rel in euc_kr_html:
        assert '<meta charset="euc-kr">' in _text(rel)


def test_seed_qa_csv_parses_with_the_csv_module_one_record_per_line() -> None:
    rows = _qa_rows()
    physical = (SAMPLE / "qa" / "seed-qa.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == ["question", "answer", "tags", "source"]
    assert len(rows) == len(physical)
    good = [row for row in rows[1:] if len(row) == 4 and row[0] and len(row[1]) > 1]
    assert len(good) >= 180
    for row in good:
        assert (SAMPLE / row[3]).is_file(), row


def test_every_csv_row_of_the_expected_shape_except_the_listed_broken_rows() -> None:
    broken = {
        d["line"]
        for d in _defects()["defects"]
        if d["file"] == "qa/seed-qa.csv" and d["kind"] in {"broken_row", "empty_answer"}
    }
    for number, row in enumerate(_qa_rows()[1:], start=2):
        shaped = len(row) == 4 and row[0].strip() != "" and len(row[1].strip()) > 1
        assert shaped != (number in broken), (number, row)


def test_planted_csv_defects_cover_every_promised_kind() -> None:
    kinds = Counter(d["kind"] for d in _defects()["defects"] if d["file"] == "qa/seed-qa.csv")
    assert kinds["exact_duplicate"] == 4
    assert kinds["near_duplicate"] == 4
    assert kinds["broken_row"] == 3
    assert kinds["empty_answer"] == 2
    assert kinds["pii"] >= 8
    entities = {d["entity"] for d in _defects()["defects"] if d["kind"] == "pii"}
    assert {"PHONE", "KR_RRN", "EMAIL", "CARD", "BANK_ACCOUNT", "PASSPORT", "PERSON"} <= entities


def test_duplicate_defects_point_at_rows_equal_to_their_original() -> None:
    rows = _qa_rows()
    for defect in _defects()["defects"]:
        if defect["kind"] not in {"exact_duplicate", "near_duplicate"}:
            continue
        row, original = rows[defect["line"] - 1], rows[defect["of_line"] - 1]
        assert defect["of_line"] < defect["line"]
        if defect["kind"] == "exact_duplicate":
            assert row == original
        else:
            assert row[0] != original[0]
            assert row[0] == defect["value"]
            assert row[1:] == original[1:]
            overlap = _bigrams(row[0]) & _bigrams(original[0])
            assert len(overlap) / len(_bigrams(row[0]) | _bigrams(original[0])) >= 0.6


def test_no_unlisted_exact_duplicates_in_seed_qa() -> None:
    listed = {d["line"] for d in _defects()["defects"] if d["kind"] == "exact_duplicate"}
    seen: dict[tuple[str, ...], int] = {}
    for number, row in enumerate(_qa_rows()[1:], start=2):
        key = tuple(row)
        if key in seen:
            assert number in listed, (number, seen[key])
        seen.setdefault(key, number)


def test_value_defects_appear_on_their_listed_line() -> None:
    for defect in _defects()["defects"]:
        if "value" not in defect or defect["kind"] in {"near_duplicate", "empty_answer"}:
            continue
        assert defect["value"] in _line(defect["file"], defect["line"]), defect


def test_empty_answer_defects_have_an_answer_of_at_most_one_character() -> None:
    rows = _qa_rows()
    for defect in _defects()["defects"]:
        if defect["kind"] == "empty_answer":
            answer = rows[defect["line"] - 1][1]
            assert answer == defect["value"]
            assert len(answer.strip()) <= 1


def test_fake_card_number_passes_luhn_and_rrns_differ_in_checksum() -> None:
    values = {(d["entity"], d["value"]) for d in _defects()["defects"] if d["kind"] == "pii"}
    card = next(v for e, v in values if e == "CARD")
    digits = [int(c) for c in card if c.isdigit()][::-1]
    total = sum(
        d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
    )
    assert len(digits) == 16 and total % 10 == 0

    def checksum_ok(rrn: str) -> bool:
        d = [int(c) for c in rrn if c.isdigit()]
        weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
        return (11 - sum(a * b for a, b in zip(d, weights, strict=False)) % 11) % 10 == d[12]

    rrns = [v for e, v in values if e == "KR_RRN"]
    assert sorted(checksum_ok(r) for r in rrns) == [False, True]


def test_chat_log_defects_are_really_broken_and_other_lines_are_valid() -> None:
    defects = {
        d["line"]: d["kind"]
        for d in _defects()["defects"]
        if d["file"] == "chatlogs/support.jsonl" and d["kind"] != "pii"
    }
    assert sorted(defects.values()) == ["malformed_json", "missing_field"]
    lines = (SAMPLE / "chatlogs" / "support.jsonl").read_text(encoding="utf-8").splitlines()
    conversations = set()
    for number, line in enumerate(lines, start=1):
        if defects.get(number) == "malformed_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)
            continue
        message = json.loads(line)
        assert message["role"] in {"user", "agent"}
        assert ("text" in message) == (defects.get(number) != "missing_field"), number
        conversations.add(message["conversation"])
    assert 12 <= len(conversations) <= 20


def test_kakaotalk_pc_export_starts_with_the_documented_header() -> None:
    lines = (SAMPLE / "chatlogs" / "kakaotalk-seoul-guide.txt").read_text(encoding="utf-8")
    head = lines.splitlines()
    assert head[0] == "서울가이드 님과 카카오톡 대화"
    assert re.fullmatch(r"저장한 날짜 : \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", head[1])
    assert head[2] == ""
    dates = [line for line in head if re.fullmatch(r"-+ \d{4}년 \d+월 \d+일 .요일 -+", line)]
    assert len(dates) == 3
    messages = [line for line in head if re.match(r"^\[[^]]+\] \[(오전|오후) \d+:\d\d\] ", line)]
    assert len(messages) >= 16


def test_kakaotalk_mobile_export_uses_the_mobile_line_format() -> None:
    lines = (SAMPLE / "chatlogs" / "kakaotalk-mobile.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "서울가이드 님과 카카오톡 대화"
    assert lines[1].startswith("저장한 날짜 : ")
    pattern = r"^\d{4}년 \d+월 \d+일 (오전|오후) \d+:\d\d, [^:]+ : .+$"
    assert sum(bool(re.match(pattern, line)) for line in lines) >= 12


def test_heldout_has_thirty_well_formed_questions_with_existing_sources() -> None:
    heldout = _heldout()
    assert [h["id"] for h in heldout] == [f"h{i:02d}" for i in range(1, 31)]
    tags = Counter(tag for h in heldout for tag in h["tags"])
    assert tags["ambiguous"] == 3
    assert tags["out_of_domain"] == 3
    for item in heldout:
        assert item["question"] and item["reference"]
        if item["source"] is not None:
            assert (SAMPLE / item["source"]).is_file(), item


def test_no_heldout_question_appears_in_training_data_even_after_normalisation() -> None:
    training = {_normalise(q) for q in _training_questions()}
    for item in _heldout():
        assert _normalise(item["question"]) not in training, item["id"]


def test_no_heldout_question_is_a_near_duplicate_of_training_data() -> None:
    training = [_bigrams(q) for q in _training_questions()]
    for item in _heldout():
        grams = _bigrams(item["question"])
        closest = max(len(grams & other) / len(grams | other) for other in training if other)
        assert closest < 0.6, item["id"]
