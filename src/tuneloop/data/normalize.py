"""Text normalisation applied to every record before it is filtered, deduplicated or trained on.

Why NFC: Korean text arrives both precomposed (가) and as conjoining jamo (ᄀ + ᅡ), e.g. from macOS
file names or some web pages; the two look identical but tokenise, deduplicate and match
differently. NFC makes them one string. Why strip control and zero-width characters: they are
invisible in review, break tokenisers' byte statistics, and make "identical" rows differ.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NORMALIZE_RULES", "normalize_text"]

NORMALIZE_RULES = ("normalize.nfc", "normalize.control", "normalize.whitespace")

# Zero-width space/joiners, word joiner, BOM, soft hyphen; C0/C1 controls except \t and \n.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2000-\u200a]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> tuple[str, list[str]]:
    """Return the normalised text and the ids of the rules that changed it.

    NFC; CR/LF → LF; invisible and control characters removed; runs of spaces (incl. NBSP and
    the ideographic space) → one space; spaces around line ends trimmed; 3+ newlines → 2; the
    whole text stripped. Idempotent: normalising twice changes nothing the second time.
    """
    changed: list[str] = []
    nfc = unicodedata.normalize("NFC", text)
    if nfc != text:
        changed.append("normalize.nfc")
    unified = nfc.replace("\r\n", "\n").replace("\r", "\n")
    visible = _INVISIBLE.sub("", unified)
    if visible != unified:
        changed.append("normalize.control")
    lines = [_SPACES.sub(" ", line).strip() for line in visible.split("\n")]
    tidy = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    if tidy != visible or unified != nfc:
        changed.append("normalize.whitespace")
    return tidy, changed
