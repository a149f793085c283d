"""PDF files: the text layer of each page, joined and chunked.

Why pypdf: pure Python (no poppler/MuPDF binary to install), maintained, decrypts the common
"owner password only" PDFs that open without a password, and extracts text in reading order
well enough for prose. It does not do OCR: a scanned, image-only PDF has no text layer and is
skipped with that reason (run OCR first, e.g. ``ocrmypdf``).

Pages are joined with a blank line and chunked as one text, so a paragraph running over a page
break stays together; ``source.line`` of a chunk is the **page number** (1-based) it starts on,
``source.offset`` its offset in the joined text. The title is the PDF's metadata title, else the
first line of text.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from pathlib import Path

from tuneloop.data.ingest.base import IngestOptions
from tuneloop.data.ingest.chunk import chunk_document
from tuneloop.data.ingest.text import first_line_title
from tuneloop.data.records import Record, SkipReport, Source

__all__ = ["PdfReader"]


class PdfReader:
    name = "pdf"
    suffixes: tuple[str, ...] = (".pdf",)
    description = "PDF text layer (no OCR), chunked; source line = page number."
    binary = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return True

    def read(self, path: Path, options: IngestOptions, skips: SkipReport) -> Iterator[Record]:
        import pypdf
        from pypdf.errors import DependencyError, PyPdfError

        where = Source(str(path))
        try:
            reader = pypdf.PdfReader(path)
            if reader.is_encrypted and not reader.decrypt(""):
                skips.skip(
                    where,
                    "encrypted PDF that needs a password; save a decrypted copy "
                    "(e.g. qpdf --decrypt --password=… in.pdf out.pdf) and ingest that",
                )
                return
            pages = [(page.extract_text() or "").replace("\r\n", "\n") for page in reader.pages]
            meta_title = reader.metadata.title if reader.metadata else None
        except DependencyError as exc:
            skips.skip(where, f"cannot decrypt this PDF ({exc}); pip install cryptography")
            return
        except (PyPdfError, ValueError, KeyError, OSError) as exc:
            skips.skip(where, f"not a readable PDF ({type(exc).__name__}: {exc})")
            return
        if not any(page.strip() for page in pages):
            skips.skip(
                where,
                f"no text layer in {len(pages)} page(s) (scanned or image-only PDF?); "
                "run OCR first, e.g. ocrmypdf",
            )
            return
        starts, offset = [], 0
        for page in pages:
            starts.append(offset)
            offset += len(page) + 2
        text = "\n\n".join(pages)

        def page_at(position: int) -> int:
            return bisect.bisect_right(starts, position)

        title = str(meta_title).strip() if meta_title and str(meta_title).strip() else None
        yield from chunk_document(
            text,
            path=str(path),
            title=title or first_line_title(text),
            chunk_chars=options.chunk_chars,
            overlap_chars=options.overlap_chars,
            line_at=page_at,
            meta={"pages": len(pages)},
        )
