"""Turn the bytes of an input file into text, whatever encoding it was saved in.

Why charset-normalizer: Korean teams still have files saved as cp949/euc-kr (Windows Notepad,
Excel's "CSV" export, old intranet pages), and opening them as UTF-8 either fails or turns every
Hangul syllable into mojibake. charset-normalizer is pure Python with optional speedups, has no
C dependency to build (unlike cchardet), is maintained, and is what ``requests`` uses; it tries
each codec and measures how "chaotic" the decoded text looks instead of guessing from byte
frequencies, which is what chardet gets wrong on Korean.

Rules, in order: a forced ``encoding`` is used as is; a byte-order mark decides; text that decodes
as UTF-8 is UTF-8 (the common case, and charset-normalizer can mistake short UTF-8 for something
else); a charset the file declares (HTML ``<meta charset>``) is honoured when it decodes; otherwise
charset-normalizer picks. On short inputs several codecs decode equally cleanly (a few Hangul
syllables in cp949 are also valid Big5); tuneloop's users write Korean, so among equally plausible
readings one in a Korean codec that yields Hangul wins. NUL bytes without a UTF-16/32 BOM, or bytes
no codec explains, mean "binary file, not text" (:class:`NotText`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from tuneloop.errors import DataError, InvalidRecord
from tuneloop.text.korean import has_hangul

__all__ = ["DecodedText", "NotText", "decode_bytes", "looks_binary", "read_text"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_KOREAN_CODECS = ("cp949", "euc_kr", "johab")
# A reading this much more "chaotic" than the best one is not a tie.
_CHAOS_TIE = 0.1


class NotText(InvalidRecord):
    """The file is binary (or in no encoding we know): ingest skips it with ``reason``."""

    def __init__(self, reason: str, *, path: str | Path, hint: str | None = None) -> None:
        super().__init__(reason, path=path, hint=hint)
        self.reason = reason


@dataclass(frozen=True)
class DecodedText:
    """Decoded text (BOM stripped, newlines ``\\n``), its codec name and how sure we are (0-1)."""

    text: str
    encoding: str
    confidence: float


def looks_binary(head: bytes) -> bool:
    """NUL bytes and no UTF-16/32 byte-order mark: what text files never contain."""
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _declared(data: bytes) -> str | None:
    match = _DECLARED.search(data[:4096])
    return _codec(match.group(1).decode("ascii")) if match else None


def decode_bytes(data: bytes, *, path: str | Path, encoding: str | None = None) -> DecodedText:
    """Decode ``data`` (the contents of ``path``, named in errors) following the module's rules."""
    if encoding:
        codec = _codec(encoding)
        if codec is None:
            raise DataError(
                f"unknown encoding {encoding!r}.",
                hint="Use a Python codec name such as utf-8, cp949, euc-kr or latin-1.",
            )
        try:
            return DecodedText(_normalise(data.decode(codec)), codec, 1.0)
        except UnicodeDecodeError as exc:
            raise InvalidRecord(
                f"does not decode as {encoding} (byte {exc.start}: {exc.reason})",
                path=path,
                hint="Leave out --encoding to detect it, or name the right one.",
            ) from exc
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(_normalise(data.decode(codec)), codec, 1.0)
            except UnicodeDecodeError:
                break
    if looks_binary(data[:65536]):
        raise NotText("binary file, not text", path=path)
    try:
        return DecodedText(_normalise(data.decode("utf-8")), "utf-8", 1.0)
    except UnicodeDecodeError:
        pass
    declared = _declared(data)
    if declared:
        try:
            return DecodedText(_normalise(data.decode(declared)), declared, 1.0)
        except UnicodeDecodeError:
            pass
    return _guess(data, path)


def _guess(data: bytes, path: str | Path) -> DecodedText:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise NotText(
            "binary file, not text",
            path=path,
            hint="If it is text, name its encoding with --encoding.",
        )
    best = min(matches, key=lambda m: m.chaos)
    for match in matches:
        korean = match.encoding in _KOREAN_CODECS or any(
            c in _KOREAN_CODECS for c in match.could_be_from_charset
        )
        if korean and match.chaos <= best.chaos + _CHAOS_TIE and has_hangul(str(match)):
            best = match
            break
    return DecodedText(_normalise(str(best)), best.encoding, round(1.0 - best.chaos, 3))


def read_text(path: str | Path, encoding: str | None = None) -> DecodedText:
    """Read a text file in whatever encoding it has (see the module docstring)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror}).") from exc
    return decode_bytes(data, path=path, encoding=encoding)
