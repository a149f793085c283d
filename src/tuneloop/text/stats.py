"""Cheap text statistics shared by cleaning (quality filters) and evaluation (fluency metrics):
which scripts a text is written in, and how repetitive it is.

Why script shares instead of a language-ID model: tuneloop's data is Korean and English, which are
told apart perfectly by their scripts (Hangul vs Latin), offline and in microseconds; a language-ID
model would add a download and still confuse short mixed texts such as "N서울타워 가는 법".
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ScriptShares", "dominant_language", "ngram_repetition", "script_shares"]


@dataclass(frozen=True)
class ScriptShares:
    """Share of letters that are Hangul, Latin, Han (CJK ideographs), Kana or other scripts."""

    hangul: float
    latin: float
    han: float
    kana: float
    other: float
    letters: int


def _script(char: str) -> str:
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if char.isascii() or 0x00C0 <= code <= 0x024F:
        return "latin"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
        return "han"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    return "other"


def script_shares(text: str) -> ScriptShares:
    """Shares of each script among the letters of ``text`` (digits, spaces, punctuation ignored)."""
    counts: Counter[str] = Counter(
        _script(c) for c in text if unicodedata.category(c).startswith("L")
    )
    total = sum(counts.values())
    if total == 0:
        return ScriptShares(0.0, 0.0, 0.0, 0.0, 0.0, 0)
    return ScriptShares(
        hangul=counts["hangul"] / total,
        latin=counts["latin"] / total,
        han=counts["han"] / total,
        kana=counts["kana"] / total,
        other=counts["other"] / total,
        letters=total,
    )


def dominant_language(text: str, *, korean_share: float = 0.3) -> str:
    """``"ko"`` when at least ``korean_share`` of the letters are Hangul (Korean text is full of
    Latin names: "N서울타워", "DDP"), ``"en"`` when Latin dominates, ``"other"`` otherwise, and
    ``"none"`` for text without letters."""
    shares = script_shares(text)
    if shares.letters == 0:
        return "none"
    if shares.hangul >= korean_share:
        return "ko"
    if shares.latin >= 0.5:
        return "en"
    return "other"


def ngram_repetition(tokens: Sequence[str], n: int = 3) -> float:
    """Share of ``n``-grams that repeat an earlier one: 0.0 for no repetition, close to 1.0 for a
    loop like "서울 서울 서울 …". Texts shorter than ``n`` tokens score 0.0."""
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)
