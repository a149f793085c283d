"""Q/A spreadsheets (``.csv``, ``.tsv``): one example per row.

The question column may be called question, q, 질문 or prompt; the answer column answer, a, 답변,
response or completion (any case). Optional columns: ``system`` (a system message), ``tags``
(``;``-separated) and ``source`` (kept in ``meta.source``); other columns go to ``meta.fields``.
A row with an empty question or answer, or with the wrong number of cells, is skipped with its
**physical** line number — the line the row starts on, counting the lines inside quoted multi-line
cells before it, which is what an editor shows. The delimiter is the one of ``,``, tab and ``;``
that the header line uses most (tab for ``.tsv``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from tuneloop.data.ingest.base import IngestOptions
from tuneloop.data.ingest.encoding import read_text
from tuneloop.data.ingest.qa import (
    ANSWER_NAMES,
    OPTIONAL_NAMES,
    QUESTION_NAMES,
    find_field,
    qa_example,
    split_tags,
)
from tuneloop.data.records import Record, SkipReport, Source
from tuneloop.errors import DataError

__all__ = ["CsvReader"]


def _delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvReader:
    name = "csv"
    suffixes: tuple[str, ...] = (".csv", ".tsv")
    description = "Q/A tables: question/answer columns (질문/답변, prompt/completion …) → examples."
    binary = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return True

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        text = read_text(path, options.encoding).text
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path, text))
        header: list[str] | None = None
        while header is None:
            try:
                row = next(rows)
            except StopIteration:
                skips.skip(Source(str(path)), "no header row")
                return
            if any(cell.strip() for cell in row):
                header = row
        header_line = rows.line_num
        columns = {
            "question": find_field(header, QUESTION_NAMES),
            "answer": find_field(header, ANSWER_NAMES),
            **{name: find_field(header, (name,)) for name in OPTIONAL_NAMES},
        }
        if columns["question"] is None or columns["answer"] is None:
            raise DataError(
                f"{path}:{header_line}: no question/answer columns in the header {header!r}.",
                hint=f"Name the question column one of {', '.join(QUESTION_NAMES)} and the answer "
                f"column one of {', '.join(ANSWER_NAMES)} (any case); optional columns: "
                f"{', '.join(OPTIONAL_NAMES)}.",
            )
        index = {key: header.index(name) for key, name in columns.items() if name is not None}
        known = set(index.values())
        previous = rows.line_num
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:
                skips.skip(Source(str(path), previous + 1), f"unreadable CSV row ({exc})")
                previous = rows.line_num
                continue
            line, previous = previous + 1, rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            where = Source(str(path), line)
            if len(row) != len(header):
                skips.skip(where, f"expected {len(header)} columns, found {len(row)}")
                continue
            question, answer = row[index["question"]].strip(), row[index["answer"]].strip()
            if not question or not answer:
                skips.skip(where, f"empty {'question' if not question else 'answer'}")
                continue
            meta: dict[str, object] = {}
            if "source" in index and row[index["source"]].strip():
                meta["source"] = row[index["source"]].strip()
            fields = {
                name.strip(): cell
                for i, (name, cell) in enumerate(zip(header, row, strict=True))
                if i not in known and name.strip() and cell.strip()
            }
            if fields:
                meta["fields"] = fields
            yield qa_example(
                question,
                answer,
                source=where,
                system=row[index["system"]] if "system" in index else None,
                tags=split_tags(row[index["tags"]]) if "tags" in index else (),
                meta=meta,
            )
