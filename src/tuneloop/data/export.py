"""Write examples in the formats other tools read: OpenAI JSONL, CSV, Parquet, a Hugging Face
dataset folder.

* ``openai`` — what OpenAI's fine-tuning API (and tuneloop's own server) accept byte for byte: one
  ``{"messages": [...]}`` per line with only the keys the API knows (role, content, name, weight,
  tool_calls, tool_call_id, function_call; ``developer`` becomes ``system``), UTF-8 without BOM,
  Hangul kept as is (``ensure_ascii=False``), ``\\n`` line endings, nothing after the JSON. U+2028
  and U+2029 are escaped, because line splitters such as ``str.splitlines`` break lines at them.
  Every line is checked with :mod:`tuneloop.data.validate` first: an example the API would reject
  raises :class:`DataError` naming it, instead of failing a job later.
* ``csv`` — ``id,question,answer,system,tags,source,messages``: single-turn examples fill
  question/answer/system; other conversations leave them empty and put the messages as JSON in
  ``messages``. Tags are joined with ``|``. Written as ``utf-8-sig`` so Excel shows Hangul.
* ``parquet`` (pyarrow) — ``id``, ``messages`` as ``list<struct<role, content>>``, ``tags`` as
  ``list<string>``, ``source``. Non-string content (content parts) is stored as its JSON.
* ``hf`` — ``datasets.Dataset.from_list(...).save_to_disk(folder)`` with the same columns.

Every format is written atomically: a temporary file or folder beside the target, renamed over it.
pyarrow and datasets are imported only when their format is asked for.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from tuneloop.atomicfile import atomic_write_bytes, atomic_write_text
from tuneloop.data.openai_format import OPENAI_MESSAGE_KEYS, api_message, openai_line
from tuneloop.data.records import Example
from tuneloop.errors import DataError

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "OPENAI_MESSAGE_KEYS",
    "ExportFormat",
    "api_message",
    "export_examples",
    "format_for_path",
    "openai_line",
    "single_turn",
]

ExportFormat = Literal["openai", "csv", "parquet", "hf"]
FORMATS: tuple[ExportFormat, ...] = ("openai", "csv", "parquet", "hf")
CSV_COLUMNS = ("id", "question", "answer", "system", "tags", "source", "messages")
_SUFFIXES: dict[str, ExportFormat] = {".jsonl": "openai", ".csv": "csv", ".parquet": "parquet"}


def format_for_path(path: Path) -> ExportFormat | None:
    """The format a file name implies (``.jsonl`` → openai, ``.csv``, ``.parquet``), else None."""
    return _SUFFIXES.get(path.suffix.lower())


def _where(example: Example) -> str:
    return f"example {example.id}" + (f" (from {example.source})" if example.source else "")


def _openai(examples: Sequence[Example], path: Path) -> Path:
    from tuneloop.data.validate import check_example

    lines = []
    for number, example in enumerate(examples, start=1):
        line = openai_line(example)
        errors = [
            i
            for i in check_example(json.loads(line), path=str(path), line=number)
            if i.severity == "error"
        ]
        if errors:
            raise DataError(
                f"{_where(example)} would be rejected by OpenAI: {errors[0].code}: "
                f"{errors[0].message}.",
                hint="Fix or drop it (run `tuneloop data validate` on the input to see every "
                "problem), then export again.",
            )
        lines.append(line + "\n")
    return atomic_write_text(path, "".join(lines))


def single_turn(example: Example) -> tuple[str, str, str] | None:
    """``(question, answer, system)`` when the example is an optional (non-empty) system
    message, one user and one assistant message, each with only a string ``content``; else None
    (such examples go to the CSV's ``messages`` column whole)."""
    messages = example.messages
    system = ""
    if messages and messages[0].get("role") == "system":
        content = messages[0].get("content")
        if set(messages[0]) != {"role", "content"} or not isinstance(content, str) or not content:
            return None
        system, messages = content, messages[1:]
    if [m.get("role") for m in messages] != ["user", "assistant"]:
        return None
    if any(set(m) != {"role", "content"} or not isinstance(m["content"], str) for m in messages):
        return None
    return messages[0]["content"], messages[1]["content"], system


def _csv(examples: Sequence[Example], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for example in examples:
        simple = single_turn(example)
        question, answer, system = simple if simple else ("", "", "")
        writer.writerow(
            [
                example.id,
                question,
                answer,
                system,
                "|".join(example.tags),
                str(example.source) if example.source else "",
                "" if simple else json.dumps(example.messages, ensure_ascii=False),
            ]
        )
    return atomic_write_text(path, buffer.getvalue(), encoding="utf-8-sig")


def _rows(examples: Sequence[Example]) -> list[dict[str, Any]]:
    def content(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return [
        {
            "id": e.id,
            "messages": [
                {"role": str(m.get("role", "")), "content": content(m.get("content"))}
                for m in e.messages
            ],
            "tags": list(e.tags),
            "source": str(e.source) if e.source else None,
        }
        for e in examples
    ]


def _parquet(examples: Sequence[Example], path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("messages", pa.list_(message)),
            ("tags", pa.list_(pa.string())),
            ("source", pa.string()),
        ]
    )
    table = pa.Table.from_pylist(_rows(examples), schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return atomic_write_bytes(path, sink.getvalue().to_pybytes())


def _hf(examples: Sequence[Example], path: Path) -> Path:
    from datasets import Dataset, Features, List, Value

    features = Features(
        {
            "id": Value("string"),
            "messages": List({"role": Value("string"), "content": Value("string")}),
            "tags": List(Value("string")),
            "source": Value("string"),
        }
    )
    dataset = Dataset.from_list(_rows(examples), features=features)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        dataset.save_to_disk(str(tmp))
        _replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _replace_dir(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``; an existing folder there is moved aside first and
    deleted only after the rename, so ``target`` is always a whole dataset."""
    if target.exists() and not target.is_dir():
        raise DataError(
            f"{target} exists and is not a folder.",
            hint="A Hugging Face dataset is a folder: pick a new path or remove the file.",
        )
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_examples(examples: Sequence[Example], path: Path, fmt: ExportFormat) -> Path:
    """Write ``examples`` to ``path`` in format ``fmt`` (atomically); return the path."""
    path = Path(path)
    writers = {"openai": _openai, "csv": _csv, "parquet": _parquet, "hf": _hf}
    writer = writers.get(fmt)
    if writer is None:
        raise DataError(
            f"Unknown export format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}."
        )
    return writer(examples, path)
