"""The built-in input formats of ``tuneloop data ingest``, registered through the same hook a
third-party package would use.

Order matters only among readers sharing a suffix: the one registered later is asked first, so
``kakaotalk`` (which recognises its header) comes after the generic ``text`` reader of ``.txt``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.data.ingest import Reader


@hookimpl
def register_readers(register: Callable[[Reader], None]) -> None:
    from tuneloop.data.ingest.html_page import HtmlReader
    from tuneloop.data.ingest.jsonl import JsonlReader
    from tuneloop.data.ingest.kakaotalk import KakaoTalkReader
    from tuneloop.data.ingest.pdf import PdfReader
    from tuneloop.data.ingest.qa_csv import CsvReader
    from tuneloop.data.ingest.text import MarkdownReader, TextReader

    for reader in (
        TextReader(),
        MarkdownReader(),
        HtmlReader(),
        PdfReader(),
        CsvReader(),
        JsonlReader(),
        KakaoTalkReader(),
    ):
        register(reader)
