"""``ingest`` itself: walking folders, the checks every file goes through, strict mode, and
readers from third-party plugins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.data.ingest import FileResult, IngestOptions, ingest, readers, summarize
from tuneloop.data.records import Document, Example, SkipReport, Source
from tuneloop.errors import DataError, InvalidRecord
from tuneloop.hookspecs import hookimpl
from tuneloop.plugins import plugin_manager

SEOUL = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel"


def test_folders_are_walked_in_order_skipping_hidden_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("둘째 문서", encoding="utf-8")
    (tmp_path / "a.md").write_text("# 첫째\n본문", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text("ref: main", encoding="utf-8")
    (tmp_path / ".notes.txt").write_text("private", encoding="utf-8")
    seen: list[Path] = []

    records = ingest([tmp_path], IngestOptions(), SkipReport(), progress=seen.append)

    assert seen == [tmp_path / "a.md", tmp_path / "b" / "2.txt"]
    assert [r.text for r in records] == ["# 첫째\n본문", "둘째 문서"]


def test_a_missing_path_is_an_error_before_anything_is_read(tmp_path):
    (tmp_path / "ok.txt").write_text("fine", encoding="utf-8")
    seen: list[Path] = []

    with pytest.raises(DataError, match=r"typo\.md"):
        ingest(
            [tmp_path / "ok.txt", tmp_path / "typo.md"], IngestOptions(), SkipReport(), seen.append
        )
    assert seen == []


def test_empty_binary_and_unknown_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text(" \n\n ", encoding="utf-8")
    (tmp_path / "photo.txt").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" * 20)
    (tmp_path / "slides.pptx").write_bytes(b"PK\x03\x04")
    (tmp_path / "README").write_text("no suffix", encoding="utf-8")
    (tmp_path / "good.txt").write_text("Seoul Forest is big.", encoding="utf-8")
    skips = SkipReport()

    [record] = ingest([tmp_path], IngestOptions(), skips)

    found = {Path(s.source.path).name: s.reason for s in skips}
    assert record.text == "Seoul Forest is big."
    assert found["empty.txt"] == "empty file"
    assert found["blank.md"].startswith("empty file")
    assert found["photo.txt"] == "binary file, not text"
    assert found["slides.pptx"].startswith("no reader for .pptx (formats: text (.txt")
    assert "kakaotalk" in found["slides.pptx"]
    assert found["README"].startswith("no reader for files without a suffix")


def test_files_over_the_size_limit_are_skipped_naming_size_and_option(tmp_path):
    (tmp_path / "big.txt").write_text("한강 " * 2000, encoding="utf-8")
    (tmp_path / "small.txt").write_text("한강 공원", encoding="utf-8")
    skips = SkipReport()

    records = ingest([tmp_path], IngestOptions(max_file_bytes=4096), skips)

    assert [r.text for r in records] == ["한강 공원"]
    [skipped] = list(skips)
    assert skipped.source.path.endswith("big.txt")
    assert "file is 13.7 KB, over the 4.0 KB limit" in skipped.reason
    assert "--max-file-mb" in skipped.reason


def test_strict_mode_turns_the_first_skip_into_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text("question,answer\n경복궁?,9시\n빈 답,\n", encoding="utf-8")

    with pytest.raises(InvalidRecord) as info:
        ingest([path], IngestOptions(), SkipReport(strict=True))

    assert f"{path}:3" in str(info.value)
    assert "empty answer" in str(info.value)


def test_strict_mode_also_rejects_skipped_files(tmp_path):
    path = tmp_path / "empty.md"
    path.write_bytes(b"")

    with pytest.raises(InvalidRecord, match="empty file"):
        ingest([path], IngestOptions(), SkipReport(strict=True))


def test_forcing_an_unknown_format_lists_the_known_ones(tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")

    with pytest.raises(DataError) as info:
        ingest([tmp_path], IngestOptions(fmt="docx"), SkipReport())

    assert "docx" in str(info.value) and "markdown" in str(info.value)


def test_options_are_validated():
    with pytest.raises(DataError, match="overlap"):
        IngestOptions(chunk_chars=100, overlap_chars=100)
    with pytest.raises(DataError, match="chunk size"):
        IngestOptions(chunk_chars=0)


def test_file_results_and_summary_report_formats_encodings_and_chunks(tmp_path):
    (tmp_path / "legacy.txt").write_bytes(("덕수궁 돌담길 " * 100).encode("cp949"))
    (tmp_path / "qa.csv").write_text("question,answer\nA?,B\nC?,\n", encoding="utf-8")
    skips = SkipReport()
    files: list[FileResult] = []

    records = ingest(
        [tmp_path], IngestOptions(chunk_chars=300, overlap_chars=30), skips, files=files
    )
    summary = summarize(records, files, skips)

    chunks = sum(isinstance(r, Document) for r in records)
    assert chunks > 1
    assert summary["formats"] == {"csv": 1, "text": 1}
    assert summary["encodings"] == {str(tmp_path / "legacy.txt"): "cp949"}
    assert (summary["documents"], summary["chunks"], summary["examples"]) == (chunks, chunks, 1)
    assert summary["skipped"] == [
        {
            "path": str(tmp_path / "qa.csv"),
            "line": 3,
            "where": f"{tmp_path / 'qa.csv'}:3",
            "reason": "empty answer",
        }
    ]


class FaqReader:
    """A third-party reader: ``.faq`` files of ``Q: …`` / ``A: …`` lines."""

    name = "faq"
    suffixes = (".faq",)
    description = "Q:/A: line pairs"
    binary = False

    def sniff(self, path, head):
        return head.lstrip().startswith(b"Q:")

    def read(self, path, options, skips):
        lines = path.read_text(encoding=options.encoding or "utf-8").splitlines()
        for number in range(0, len(lines) - 1, 2):
            yield Example(
                messages=[
                    {"role": "user", "content": lines[number].removeprefix("Q:").strip()},
                    {"role": "assistant", "content": lines[number + 1].removeprefix("A:").strip()},
                ],
                source=Source(str(path), number + 1),
            )


class ShoutingTextReader:
    """Replaces the built-in ``text`` reader by name."""

    name = "text"
    suffixes = (".txt",)
    description = "upper-cased text"
    binary = False

    def sniff(self, path, head):
        return True

    def read(self, path, options, skips):
        yield Document(path.read_text(encoding="utf-8").upper(), Source(str(path), 1))


class Plugin:
    @hookimpl
    def register_readers(self, register):
        register(FaqReader())
        register(ShoutingTextReader())


@pytest.fixture
def plugin():
    instance = Plugin()
    plugin_manager().register(instance, name="test-faq-plugin")
    yield instance
    plugin_manager().unregister(instance)


def test_a_reader_registered_by_a_plugin_is_used_and_can_replace_a_builtin(tmp_path, plugin):
    (tmp_path / "seoul.faq").write_text("Q: 지하철 첫차는?\nA: 오전 5시 30분경입니다.\n", "utf-8")
    (tmp_path / "note.txt").write_text("quiet note", encoding="utf-8")
    (tmp_path / "chat.txt").write_text(
        "가이드 님과 카카오톡 대화\n저장한 날짜 : 2026-05-04 10:12:33\n"
        "--------------- 2026년 5월 3일 토요일 ---------------\n"
        "[민지] [오후 3:15] 안녕하세요\n[가이드] [오후 3:16] 반가워요\n",
        encoding="utf-8",
    )
    files: list[FileResult] = []

    records = ingest([tmp_path], IngestOptions(), SkipReport(), files=files)

    assert {f.path.name: f.format for f in files} == {
        "chat.txt": "kakaotalk",  # the replacement kept text's place, so kakaotalk still wins
        "note.txt": "text",
        "seoul.faq": "faq",
    }
    assert records[1].text == "QUIET NOTE"
    assert records[2].first("assistant") == "오전 5시 30분경입니다."
    assert readers()["text"].description == "upper-cased text"


def test_without_the_plugin_the_builtins_are_back(tmp_path):
    names = readers()
    assert "faq" not in names
    assert names["text"].description.startswith("Plain text")
    assert list(names) == ["text", "markdown", "html", "pdf", "csv", "jsonl", "kakaotalk"]


INGEST_DEFECTS = {"broken_row", "malformed_json", "missing_field"}


def _planted_ingest_defects() -> set[tuple[str, int]]:
    """The defects of the sample that ingest itself must skip (others are for later steps)."""
    defects = json.loads((SEOUL / "defects.json").read_text(encoding="utf-8"))["defects"]
    return {
        (d["file"], d["line"])
        for d in defects
        if d["kind"] in INGEST_DEFECTS or (d["kind"] == "empty_answer" and not d["value"])
    }


@pytest.mark.skipif(not (SEOUL / "docs").is_dir(), reason="the Seoul sample data is not there yet")
def test_the_bundled_seoul_travel_sample_ingests_skipping_exactly_its_planted_defects():
    skips = SkipReport()
    files: list[FileResult] = []

    records = ingest(
        [SEOUL / "docs", SEOUL / "chatlogs", SEOUL / "qa"], IngestOptions(), skips, files=files
    )

    assert {f.format for f in files} == {"markdown", "text", "html", "kakaotalk", "jsonl", "csv"}
    assert all(f.documents + f.examples > 0 for f in files), files
    skipped = {(str(Path(s.source.path).relative_to(SEOUL)), s.source.line) for s in skips}
    assert skipped == _planted_ingest_defects()
    chats = [r for r in records if isinstance(r, Example) and "chatlog" in r.tags]
    assert len(chats) >= 10
    contents = {m["content"] for r in chats for m in r.messages}
    assert not contents & {"사진", "이모티콘", "삭제된 메시지입니다."}
    assert all(r.messages[0]["role"] == "user" for r in chats)
    assert all(r.messages[-1]["role"] == "assistant" for r in chats)
    legacy = [f for f in files if f.encoding not in ("utf-8", None)]
    assert legacy, "the sample has cp949/euc-kr files"
    for doc in records:
        if isinstance(doc, Document) and doc.source.path.endswith(".txt"):
            assert "\ufffd" not in doc.text  # no mojibake replacement characters


def test_ingesting_the_whole_sample_folder_raises_no_error():
    if not (SEOUL / "docs").is_dir():
        pytest.skip("the Seoul sample data is not there yet")
    skips = SkipReport()

    records = ingest([SEOUL], IngestOptions(), skips)

    assert len(records) > 200
