"""Context words near a match: the cheap signal most recognizers use to raise (or require)
confidence.

Why searching around the match instead of tokenising the text: a compiled alternation searched
in a window (``pattern.search(text, pos, endpos)``, no slicing) costs well under a microsecond,
and a cue word such as 계좌 or "passport" is evidence wherever it sits in that window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["cue_pattern", "near", "word_set"]


def cue_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One alternation of ``words`` in lower, Capitalised and UPPER case (longest first, so
    예금주 beats 예금).

    Why spelled-out case variants instead of ``re.IGNORECASE``: with IGNORECASE Python's regex
    engine cannot use its literal-prefix scan, and searching a Korean sentence for a few dozen
    cue words becomes about ten times slower.
    """
    variants = {v for w in words for v in (w, w.lower(), w.capitalize(), w.upper())}
    ordered = sorted(variants, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered))


def near(
    text: str, start: int, end: int, cues: re.Pattern[str], *, before: int = 40, after: int = 20
) -> bool:
    """True when a cue occurs within ``before`` characters before ``start`` or ``after``
    characters after ``end``."""
    if cues.search(text, max(0, start - before), start) is not None:
        return True
    return cues.search(text, end, min(len(text), end + after)) is not None


def word_set(words: str) -> frozenset[str]:
    """Space-separated ``words`` as a set (keeps long Korean word lists readable)."""
    return frozenset(words.split())
