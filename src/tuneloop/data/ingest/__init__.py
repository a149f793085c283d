"""``tuneloop data ingest``: documents, spreadsheets, JSON lines and chat exports in, one record
file out.

Each input format is a :class:`Reader` registered through the ``register_readers`` plugin hook;
the built-ins (text, markdown, html, pdf, csv, jsonl, kakaotalk) live beside this file, one module
each, and are registered by :mod:`tuneloop.default_plugins.readers`. :func:`ingest` walks the
paths, picks a reader per file (suffix, then ``sniff``), detects text encodings
(:func:`read_text`) and chunks long documents (:func:`chunk_text`).
"""

from __future__ import annotations

from tuneloop.data.ingest.base import IngestOptions, Reader
from tuneloop.data.ingest.chunk import Chunk, chunk_document, chunk_text
from tuneloop.data.ingest.encoding import DecodedText, NotText, read_text
from tuneloop.data.ingest.pipeline import FileResult, collect_files, ingest, summarize
from tuneloop.data.ingest.registry import pick_reader, readers

__all__ = [
    "Chunk",
    "DecodedText",
    "FileResult",
    "IngestOptions",
    "NotText",
    "Reader",
    "chunk_document",
    "chunk_text",
    "collect_files",
    "ingest",
    "pick_reader",
    "read_text",
    "readers",
    "summarize",
]
