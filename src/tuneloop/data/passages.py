"""Which files are the project's documents, and turning them into passages.

Documents are named by a list of entries — folders (read recursively), files, or glob patterns
(``docs/**/*.md``) — relative to the file that names them (``tuneloop.toml`` or a suite). They are
read by the data stage's own readers and chunker (:func:`tuneloop.data.ingest.ingest`), so
Markdown, text, HTML, PDF and Q/A spreadsheets in UTF-8, cp949 or euc-kr become passages exactly
as ``tuneloop data ingest`` would read them, only cut smaller (a passage should hold one fact, a
training document a whole topic). A Q/A row becomes a passage whose text is the answer and whose
title is the question.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tuneloop.config import KnowledgeSettings
from tuneloop.errors import ConfigError
from tuneloop.text.retrieval import Passage, passage_id

__all__ = [
    "DEFAULT_OVERLAP_CHARS",
    "DEFAULT_PASSAGE_CHARS",
    "DocumentSet",
    "load_passages",
    "resolve_documents",
]

DEFAULT_PASSAGE_CHARS: int = KnowledgeSettings.model_fields["passage_chars"].default
DEFAULT_OVERLAP_CHARS: int = KnowledgeSettings.model_fields["overlap_chars"].default
NO_DOCUMENTS_HINT = (
    "Name the documents folder in the suite (`documents: ../docs`) or in tuneloop.toml "
    '(`[knowledge]` `documents = ["docs/"]`); see docs/eval.md, "Trivial baselines".'
)


@dataclass(frozen=True)
class DocumentSet:
    """The files to index, each with the name its passages cite (see :class:`Passage.source`)."""

    files: tuple[tuple[Path, str], ...]
    entries: tuple[str, ...]


def _label(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def resolve_documents(entries: Sequence[str], base: Path, *, where: str) -> DocumentSet:
    """Expand ``entries`` (folders, files, globs relative to ``base``) to files.

    ``where`` names the setting in errors (``suite.yaml: documents``). No entries, an entry that
    matches nothing, or no file at all raise :class:`~tuneloop.errors.ConfigError`.
    """
    if not entries:
        raise ConfigError(
            f"No documents are configured ({where} is empty).", hint=NO_DOCUMENTS_HINT
        )
    files: dict[Path, str] = {}
    for entry in entries:
        target = Path(entry).expanduser()
        target = (target if target.is_absolute() else base / target).resolve()
        labels: list[tuple[Path, str]]
        if glob.has_magic(entry):
            matches = sorted(Path(p) for p in glob.glob(str(target), recursive=True))
            labels = [(p, _label(p, base.resolve())) for p in matches if p.is_file()]
        elif target.is_dir():
            labels = [
                (p, _label(p, target.parent))
                for p in sorted(target.rglob("*"))
                if p.is_file() and not _hidden(p.relative_to(target))
            ]
        elif target.is_file():
            labels = [(target, target.name)]
        else:
            raise ConfigError(
                f"{where}: {entry!r} does not exist (looked for {target}).",
                hint="Fix the path; relative paths are relative to the file that names them.",
            )
        if not labels:
            raise ConfigError(
                f"{where}: {entry!r} matches no file (looked in {target}).",
                hint="Fix the folder or pattern, or add the documents there.",
            )
        for path, label in labels:
            files.setdefault(path, label)
    return DocumentSet(tuple(files.items()), tuple(entries))


def load_passages(
    documents: DocumentSet,
    *,
    passage_chars: int = DEFAULT_PASSAGE_CHARS,
    overlap_chars: int = DEFAULT_OVERLAP_CHARS,
) -> tuple[list[Passage], list[str]]:
    """Read every file into passages; also return one line per file or row that was skipped.

    Raises :class:`~tuneloop.errors.ConfigError` when nothing readable is left (the skips say
    why), because a retriever over no passages would answer every question with nothing.
    """
    from tuneloop.data.ingest import IngestOptions, ingest
    from tuneloop.data.records import Document, SkipReport

    options = IngestOptions(chunk_chars=passage_chars, overlap_chars=overlap_chars)
    labels = {str(path): label for path, label in documents.files}
    skips = SkipReport()
    records = ingest([path for path, _ in documents.files], options, skips)
    passages: list[Passage] = []
    for record in records:
        source = record.source
        label = labels.get(source.path, source.path) if source is not None else "?"
        line = source.line if source is not None else None
        if isinstance(record, Document):
            start = (source.offset or 0) if source is not None else 0
            text, title = record.text, record.title
        else:
            text, title = record.first("assistant"), record.first("user") or None
            start = 0
        if text.strip():
            end = start + len(text)
            pid = passage_id(label, start, end, text)
            passages.append(Passage(text, label, start, end, line, title, pid))
    skipped = [f"{labels.get(s.source.path, s.source.path)}: {s.reason}" for s in skips]
    if not passages:
        shown = "; ".join(skipped[:5]) or "the files hold no text"
        raise ConfigError(
            f"No passages could be read from the documents {', '.join(documents.entries)} "
            f"({len(documents.files)} file(s): {shown}).",
            hint="Point the documents setting at Markdown, text, HTML, PDF or Q/A CSV files.",
        )
    return passages, skipped
