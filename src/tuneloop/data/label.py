"""Human review in a spreadsheet: export records to CSV, import the reviewed CSV back.

Why CSV: reviewers (often not engineers) open it in Excel, Google Sheets or Numbers, sort and
filter, fix a word in an answer, write ``reject`` in a column — no tool to install. The CSV is a
*view*: the record file stays the source of truth and the import applies only what changed.

One row per record, columns :data:`COLUMNS`:

========== ================================================================================
id         the record's id — how a row is matched back (never by position; rows may be sorted)
kind       ``qa`` (one user + one assistant message, optional system first), ``conversation``
           (anything else: multi-turn, tool calls, extra keys) or ``document``; read-only
status     empty, ``accept``, ``reject`` or ``edit`` (case and spaces ignored)
question   ``qa`` rows: the user message
answer     ``qa`` rows: the assistant message
text       ``document`` rows: the document text
tags       ``qa``/``conversation`` rows: tags separated by commas
system     ``qa`` rows: the system message (empty = none; clear it to remove one)
messages   ``messages_json`` — ``conversation`` rows: the whole ``messages`` list as JSON, one
           message per line; editing it edits the conversation
source     ``file:line`` the record came from; read-only (a change is reported, not applied)
notes      free text for the reviewer, stored in ``meta.label.notes``
========== ================================================================================

Import rules: a row whose cells equal what the export wrote leaves its record byte-for-byte
unchanged, so export → import with no edits reproduces the record file exactly; rows are
matched by id and the output keeps the record file's order; any other row gets ``meta.label =
{"status", "notes"}`` (plus ``"edited": [columns]`` when its content changed) and keeps its id;
``reject`` rows are dropped (or kept, marked, with ``keep_rejected``). An unknown or duplicated
id, a bad status, a cell that does not belong to the row's kind or invalid ``messages_json``
raises :class:`~tuneloop.errors.InvalidRecord` with the CSV's *physical* line (a row with
multi-line cells spans several lines; the error names the line the row starts on).

Files are written as UTF-8 with a byte-order mark (``utf-8-sig``) so Excel shows Hangul instead
of mojibake, with every cell quoted (commas, quotes, newlines and leading/trailing spaces survive
any reader). Import also accepts plain UTF-8 and CP949 (what Korean Excel writes for "CSV").

Spreadsheet formula injection: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is run as a formula by Excel and LibreOffice (``=HYPERLINK(...)`` in a scraped
review could exfiltrate data). Following OWASP's advice, such cells are written with a leading
apostrophe (``'=1+1``), which spreadsheets show as text; cells that already start with an
apostrophe get one more. Import removes exactly one leading apostrophe from every cell, so the
mapping is reversible and the round trip stays exact — the cost is a visible ``'`` before such
text in plain-text editors (and a reviewer who types a leading ``'`` must type two).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tuneloop.atomicfile import atomic_write_bytes
from tuneloop.data.records import ROLES, Document, Example, Record
from tuneloop.errors import DataError, InvalidRecord

__all__ = [
    "COLUMNS",
    "STATUSES",
    "LabelChange",
    "LabelResult",
    "export_label_csv",
    "import_label_csv",
]

COLUMNS = (
    "id",
    "kind",
    "status",
    "question",
    "answer",
    "text",
    "tags",
    "system",
    "messages_json",
    "source",
    "notes",
)
STATUSES = ("", "accept", "reject", "edit")
_CONTENT = ("question", "answer", "text", "tags", "system", "messages_json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_REEXPORT = "Export a fresh CSV with `tuneloop data label export` and edit that one."


# ---------------------------------------------------------------- cells


def _protect(value: str) -> str:
    """Make a cell inert in spreadsheets (see module docstring); reversed by :func:`_unprotect`."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _unprotect(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def _is_qa(example: Example) -> bool:
    roles = [m.get("role") for m in example.messages]
    return roles in (["user", "assistant"], ["system", "user", "assistant"]) and all(
        set(m) == {"role", "content"} and isinstance(m["content"], str) for m in example.messages
    )


def _kind(record: Record) -> str:
    if isinstance(record, Document):
        return "document"
    return "qa" if _is_qa(record) else "conversation"


def _messages_json(messages: list[dict[str, Any]]) -> str:
    """One message per line: readable in a cell, and still one JSON value."""
    return "[\n" + ",\n".join(json.dumps(m, ensure_ascii=False) for m in messages) + "\n]"


def _row(record: Record) -> dict[str, str]:
    """The cells export writes for ``record`` (before formula protection)."""
    label = record.meta.get("label")
    label = label if isinstance(label, dict) else {}
    status = label.get("status")
    notes = label.get("notes")
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        id=record.id,
        kind=_kind(record),
        status=status if isinstance(status, str) and status in STATUSES else "",
        source=str(record.source) if record.source is not None else "",
        notes=notes if isinstance(notes, str) else "",
    )
    if isinstance(record, Document):
        row["text"] = record.text
    elif row["kind"] == "qa":
        row.update(
            question=record.first("user"),
            answer=record.first("assistant"),
            system=record.first("system"),
            tags=", ".join(record.tags),
        )
    else:
        row.update(messages_json=_messages_json(record.messages), tags=", ".join(record.tags))
    return row


def _unique_ids(records: Sequence[Record], what: str) -> dict[str, Record]:
    by_id: dict[str, Record] = {}
    for record in records:
        if record.id in by_id:
            raise DataError(
                f"{what}: two records share the id {record.id!r}, so review rows could not be "
                "matched back to them.",
                hint="Remove exact duplicates first (`tuneloop data clean`).",
            )
        by_id[record.id] = record
    return by_id


def export_label_csv(records: Sequence[Record], path: str | Path) -> int:
    """Write the review CSV for ``records`` (atomically); returns the number of rows.

    A record already labelled (``meta.label``) gets its status and notes filled in, so a second
    review round starts where the first ended.
    """
    _unique_ids(records, str(path))
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        row = _row(record)
        writer.writerow([_protect(row[c]) for c in COLUMNS])
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8-sig"))
    return len(records)


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class LabelChange:
    """One reviewed row that changed its record: its id, CSV line, status and edited columns."""

    id: str
    line: int
    status: str
    fields: tuple[str, ...] = ()
    notes: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "line": self.line,
            "status": self.status,
            "fields": list(self.fields),
            "notes": self.notes,
        }


@dataclass
class LabelResult:
    """The reviewed records (in the record file's order) and what the review did.

    Each row counts once: ``rejected`` (status reject), else ``edited`` (content changed), else
    ``accepted`` (status accept/edit), else ``unchanged``. ``missing`` counts records with no
    row (kept unchanged under ``allow_missing``).
    """

    records: list[Record] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    edited: int = 0
    unchanged: int = 0
    missing: int = 0
    changes: list[LabelChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "records": len(self.records),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "edited": self.edited,
            "unchanged": self.unchanged,
            "missing": self.missing,
        }


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file.", hint="Check the CSV path.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: neither UTF-8 nor CP949 text.",
            hint='Save it from your spreadsheet as "CSV UTF-8".',
        ) from exc


@dataclass(frozen=True)
class _Row:
    line: int
    cells: dict[str, str]


def _rows(path: Path) -> list[_Row]:
    """Data rows with the physical line each starts on; blank rows are skipped."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    rows: list[_Row] = []
    header: list[str] | None = None
    end = 0
    try:
        for raw in reader:
            start, end = end + 1, reader.line_num
            if header is None:
                header = [h.strip().lower() for h in raw]
                absent = [c for c in COLUMNS if c not in header]
                if absent:
                    raise InvalidRecord(
                        f"the header lacks the column(s) {', '.join(absent)}.",
                        path=path,
                        line=start,
                        hint=f"The first row must name the columns {', '.join(COLUMNS)}. "
                        + _REEXPORT,
                    )
                continue
            if not any(cell.strip() for cell in raw):
                continue
            padded = raw + [""] * (len(header) - len(raw))
            cells = {name: _unprotect(padded[i]) for i, name in enumerate(header) if name}
            rows.append(_Row(start, cells))
    except csv.Error as exc:
        raise InvalidRecord(
            f"not valid CSV ({exc}).",
            path=path,
            line=reader.line_num,
            hint="Check the quotes around that cell; save the file as CSV from your spreadsheet.",
        ) from exc
    if header is None:
        raise InvalidRecord("the file is empty.", path=path, line=1, hint=_REEXPORT)
    return rows


def _tags(cell: str) -> list[str]:
    return [t.strip() for t in cell.split(",") if t.strip()]


def _parse_messages(cell: str, path: Path, line: int) -> list[dict[str, Any]]:
    hint = (
        'messages_json must be a JSON list like [{"role": "user", "content": "…"}, '
        '{"role": "assistant", "content": "…"}]; fix the cell or re-export it.'
    )
    try:
        messages = json.loads(cell)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(
            f"messages_json is not valid JSON ({exc.msg} at line {exc.lineno} column "
            f"{exc.colno} of the cell).",
            path=path,
            line=line,
            hint=hint,
        ) from exc
    if not isinstance(messages, list) or not messages:
        raise InvalidRecord(
            "messages_json must be a non-empty list.", path=path, line=line, hint=hint
        )
    for number, message in enumerate(messages, start=1):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise InvalidRecord(
                f"messages_json: message {number} needs a role ({', '.join(ROLES)}).",
                path=path,
                line=line,
                hint=hint,
            )
        if "content" in message and not isinstance(message["content"], str | None | list):
            raise InvalidRecord(
                f"messages_json: message {number} has a content that is not text.",
                path=path,
                line=line,
                hint=hint,
            )
    if not any(m.get("role") == "assistant" for m in messages):
        raise InvalidRecord(
            "messages_json has no assistant message.",
            path=path,
            line=line,
            hint="A training conversation needs at least one assistant reply; use status reject "
            "to drop the row instead.",
        )
    return messages


def _qa_messages(record: Example, cells: dict[str, str], path: Path, line: int) -> list[Any]:
    question, answer, system = cells["question"], cells["answer"], cells["system"]
    if not question.strip() or not answer.strip():
        raise InvalidRecord(
            "a qa row needs a question and an answer.",
            path=path,
            line=line,
            hint="Fill both cells, or set status to reject to drop the row.",
        )
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    for message in record.messages:
        role = message["role"]
        if role == "user":
            messages.append({**message, "content": question})
        elif role == "assistant":
            messages.append({**message, "content": answer})
    return messages


def _check_cells_fit_kind(kind: str, cells: dict[str, str], path: Path, line: int) -> None:
    allowed = {
        "qa": {"question", "answer", "system", "tags"},
        "conversation": {"messages_json", "tags"},
        "document": {"text"},
    }[kind]
    stray = [c for c in _CONTENT if c not in allowed and cells[c].strip()]
    if stray:
        where = {
            "qa": "question, answer, system and tags",
            "conversation": "messages_json and tags",
            "document": "text",
        }[kind]
        raise InvalidRecord(
            f"a {kind} row has text in {', '.join(stray)}.",
            path=path,
            line=line,
            hint=f"Only {where} can be edited for {kind} rows; clear the other cells.",
        )


def _apply(record: Record, row: _Row, path: Path) -> tuple[Record, tuple[str, ...]]:
    """The record with the row's content edits, and the edited column names."""
    cells, exported = row.cells, _row(record)
    kind = exported["kind"]
    changed = tuple(c for c in _CONTENT if cells[c] != exported[c])
    if not changed:
        return record, ()
    _check_cells_fit_kind(kind, cells, path, row.line)
    if isinstance(record, Document):
        if not cells["text"].strip():
            raise InvalidRecord(
                "a document row needs text.",
                path=path,
                line=row.line,
                hint="Fill the text cell, or set status to reject to drop the document.",
            )
        return replace(record, text=cells["text"]), changed
    tags = _tags(cells["tags"]) if "tags" in changed else record.tags
    if kind == "qa":
        messages = _qa_messages(record, cells, path, row.line)
    elif "messages_json" in changed:
        messages = _parse_messages(cells["messages_json"], path, row.line)
    else:
        messages = record.messages
    return replace(record, messages=messages, tags=tags), changed


def import_label_csv(
    path: str | Path,
    records: Sequence[Record],
    *,
    allow_missing: bool = False,
    keep_rejected: bool = False,
) -> LabelResult:
    """Apply a reviewed CSV to ``records`` (see the module docstring for the rules)."""
    path = Path(path)
    by_id = _unique_ids(records, "the record file")
    seen: dict[str, int] = {}
    rows: dict[str, _Row] = {}
    for row in _rows(path):
        record_id = row.cells["id"].strip()
        if not record_id:
            raise InvalidRecord(
                "the row has no id.", path=path, line=row.line, hint="Restore its id. " + _REEXPORT
            )
        if record_id in seen:
            raise InvalidRecord(
                f"id {record_id} appears again (first on line {seen[record_id]}).",
                path=path,
                line=row.line,
                hint="Keep one row per id: delete the copy, or merge the two rows' edits.",
            )
        seen[record_id] = row.line
        if record_id not in by_id:
            raise InvalidRecord(
                f"id {record_id} is not in the record file.",
                path=path,
                line=row.line,
                hint="Ids must not be edited, and --records must be the file the CSV was exported "
                "from. " + _REEXPORT,
            )
        status = row.cells["status"].strip().lower()
        if status not in STATUSES:
            raise InvalidRecord(
                f"status {row.cells['status']!r} is not one of: empty, accept, reject, edit.",
                path=path,
                line=row.line,
                hint="Leave the status empty (no decision) or write accept, reject or edit.",
            )
        kind = _row(by_id[record_id])["kind"]
        if row.cells["kind"].strip() != kind:
            raise InvalidRecord(
                f"kind {row.cells['kind']!r} does not match the record, which is {kind!r}.",
                path=path,
                line=row.line,
                hint="The kind column is read-only; restore it.",
            )
        rows[record_id] = _Row(row.line, {**row.cells, "status": status})
    absent = [r.id for r in records if r.id not in rows]
    if absent and not allow_missing:
        shown = ", ".join(absent[:5]) + (" …" if len(absent) > 5 else "")
        raise InvalidRecord(
            f"{len(absent)} record(s) have no row in the CSV ({shown}).",
            path=path,
            hint="Pass --allow-missing to keep them unchanged (e.g. a CSV filtered to part of "
            "the data), or check that --records is the file the CSV was exported from.",
        )
    result = LabelResult(missing=len(absent))
    for record in records:
        reviewed = rows.get(record.id)
        if reviewed is None:
            result.records.append(record)
            continue
        updated = _review(record, reviewed, path, result, keep_rejected)
        if updated is not None:
            result.records.append(updated)
    return result


def _review(
    record: Record, row: _Row, path: Path, result: LabelResult, keep_rejected: bool
) -> Record | None:
    exported = _row(record)
    status, notes = row.cells["status"], row.cells["notes"]
    if row.cells["source"] != exported["source"]:
        result.warnings.append(
            f"{path}:{row.line}: the source column is read-only; the change was not applied."
        )
    updated, edited = _apply(record, row, path)
    relabelled = (status, notes) != (exported["status"], exported["notes"])
    if status == "reject":
        result.rejected += 1
    elif edited:
        result.edited += 1
    elif status in ("accept", "edit"):
        result.accepted += 1
    else:
        result.unchanged += 1
    if status == "edit" and not edited:
        result.warnings.append(f"{path}:{row.line}: status is edit but no cell was changed.")
    if not edited and not relabelled:
        return None if status == "reject" and not keep_rejected else record
    label: dict[str, Any] = {"status": status or ("edit" if edited else ""), "notes": notes}
    if edited:
        label["edited"] = list(edited)
    updated = replace(updated, meta={**record.meta, "label": label})
    result.changes.append(LabelChange(record.id, row.line, label["status"], edited, notes))
    if status == "reject" and not keep_rejected:
        return None
    return updated
