"""Web pages (``.html``, ``.htm``): the article text, without menus, scripts and footers.

Why BeautifulSoup with Python's own ``html.parser``: saved pages are often broken HTML, which
BeautifulSoup repairs; ``html.parser`` needs no compiled dependency (lxml) and records each tag's
source line, so a chunk can point at the line of the page it came from. A readability-style
scorer (trafilatura, readability-lxml) would be another dependency for little gain on the pages
teams actually feed in (their own guides and FAQ pages), where dropping ``nav``, ``header``,
``footer``, ``aside``, ``form``, ``script`` and ``style`` (an article's own ``<header>``, which
holds its title, stays) and preferring ``<main>`` or ``<article>`` is enough.

Headings, paragraphs, list items and table rows become paragraphs of plain text (a blank line
between them); ``<br>`` becomes a line break; table cells are joined with `` | ``. The title is
the first ``<h1>`` of the article, else ``<title>``. The page's ``<meta charset>`` is honoured
when its bytes are not UTF-8 (see :mod:`tuneloop.data.ingest.encoding`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneloop.data.ingest.base import IngestOptions
from tuneloop.data.ingest.chunk import chunk_document
from tuneloop.data.ingest.encoding import read_text
from tuneloop.data.records import Record, SkipReport, Source

__all__ = ["HtmlReader", "PageText", "extract_page"]

_DROP = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "canvas", "button", "select", "dialog",
)  # fmt: skip
_BLOCKS = frozenset((
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
    "ol", "dl", "dt", "dd", "pre", "blockquote", "table", "thead", "tbody", "tfoot", "tr",
    "caption", "figure", "figcaption", "address", "details", "summary", "hr", "body",
))  # fmt: skip
_CELLS = frozenset(("td", "th"))
_BR = "\ue000"  # stands for <br> while whitespace is collapsed
_SPACES = re.compile(r"\s+")
_TITLE_MAX = 120


@dataclass(frozen=True)
class PageText:
    """The readable text of a page, its title, and the source line of each paragraph."""

    text: str
    title: str | None
    starts: tuple[int, ...] = ()
    lines: tuple[int | None, ...] = ()

    def line_at(self, offset: int) -> int | None:
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.lines[index] if index >= 0 else None


@dataclass
class _Collector:
    blocks: list[tuple[str, int | None]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    line: int | None = None

    def flush(self, *, keep_spaces: bool = False) -> None:
        raw = "".join(self.parts)
        self.parts.clear()
        if keep_spaces:
            text = raw.strip("\n").rstrip()
        else:
            lines = (" ".join(part.split()) for part in _SPACES.sub(" ", raw).split(_BR))
            text = "\n".join(line for line in lines if line).strip(" |")
        if text.strip():
            self.blocks.append((text, self.line))
        self.line = None

    def text(self, value: str, line: int | None) -> None:
        if self.line is None and value.strip():
            self.line = line
        self.parts.append(value)

    def walk(self, node: Any) -> None:
        from bs4.element import NavigableString, Tag

        for child in node.children:
            if isinstance(child, Tag):
                name = child.name
                if name == "br":
                    self.parts.append(_BR)
                elif name == "pre":
                    self.flush()
                    self.text(child.get_text(), child.sourceline)
                    self.flush(keep_spaces=True)
                elif name in _BLOCKS:
                    self.flush()
                    self.line = None
                    self.walk(child)
                    self.flush()
                elif name in _CELLS:
                    self.walk(child)
                    self.parts.append(" | ")
                else:
                    self.walk(child)
            elif type(child) is NavigableString:  # not comments, doctypes, CDATA
                self.text(str(child), getattr(child.parent, "sourceline", None))


def extract_page(html: str) -> PageText:
    """The article text of an HTML page (pure: text in, text out)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    head_title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup.find_all(_DROP):
        # An article's own <header> holds its title: keep it; the page's header goes.
        keep = tag.name == "header" and tag.find_parent(("article", "main")) is not None
        if not keep and not tag.decomposed:
            tag.decompose()
    root = (
        soup.find("main")
        or soup.find(True, attrs={"role": "main"})
        or soup.find("article")
        or soup.body
        or soup
    )
    h1 = root.find("h1")
    title = h1.get_text(" ", strip=True) if h1 is not None else head_title
    collector = _Collector()
    collector.walk(root)
    collector.flush()
    texts, starts, lines, offset = [], [], [], 0
    for text, line in collector.blocks:
        texts.append(text)
        starts.append(offset)
        lines.append(line)
        offset += len(text) + 2
    title = (title or "")[:_TITLE_MAX] or None
    return PageText("\n\n".join(texts), title, tuple(starts), tuple(lines))


class HtmlReader:
    name = "html"
    suffixes: tuple[str, ...] = (".html", ".htm", ".xhtml")
    description = "Web pages: article text without menus/scripts/footers, chunked."
    binary = False

    def sniff(self, path: Path, head: bytes) -> bool:
        return True

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        page = extract_page(read_text(path, options.encoding).text)
        if not page.text.strip():
            skips.skip(Source(str(path)), "no readable text in the page")
            return
        yield from chunk_document(
            page.text,
            path=str(path),
            title=page.title,
            chunk_chars=options.chunk_chars,
            overlap_chars=options.overlap_chars,
            line_at=page.line_at,
        )
