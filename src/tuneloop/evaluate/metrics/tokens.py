"""The units reference-based metrics compare: Korean morphemes, English words.

Why morphemes for Korean: particles and endings attach to words (경복궁은, 화요일에), so whitespace
tokens would count 경복궁은 and 경복궁이 as different words and make token-F1 and ROUGE-L punish
correct answers. Kiwi (:func:`tuneloop.text.korean.tokens`) splits them into 경복궁 + 은 and
drops punctuation. Kiwi is not trusted with English words: it splits some oddly and keeps a
trailing period ("Tuesdays." → Tue + sdays., "big." stays "big."), so text without Hangul, and
each run of Latin morphemes inside Korean text, is lower-cased and split into words with
punctuation removed, as SQuAD's answer normalisation does.

``content_only`` keeps meaning-bearing units only: Kiwi's content morphemes for Korean
(:func:`tuneloop.text.korean.content_tokens`: no particles or endings), and for English the words
minus a short list of function words (articles, auxiliaries, pronouns, prepositions).
"""

from __future__ import annotations

import re
import unicodedata

from tuneloop.text.korean import CONTENT_TAGS, has_hangul, morphemes

__all__ = ["ENGLISH_FUNCTION_WORDS", "text_units"]

# Kiwi's punctuation and symbol tags, left out as tuneloop.text.korean.tokens does.
_PUNCTUATION_TAGS = ("SF", "SP", "SS", "SE", "SO", "SW")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_FUNCTION_WORD_TEXT = """
    a an the of to in on at for from by with and or but is are was were be been being it its
    this that these those there here as do does did has have had will would can could should
    may might i you he she we they me him her us them my your our their so if than then also
"""
ENGLISH_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_TEXT.split())


def text_units(text: str, *, content_only: bool = False) -> list[str]:
    """The metric tokens of ``text`` in order (see the module docstring); NFC-normalised first,
    so decomposed Hangul (as macOS writes file names and some editors paste) matches."""
    text = unicodedata.normalize("NFC", text)
    if not has_hangul(text):
        return _words(text, content_only)
    found = morphemes(text)
    units: list[str] = []
    i = 0
    while i < len(found):
        first = found[i]
        if first.tag == "SL":  # a run of touching Latin morphemes is one English span
            end = first.end
            while i + 1 < len(found) and found[i + 1].tag == "SL" and found[i + 1].start == end:
                i += 1
                end = found[i].end
            units += _words(text[first.start : end], content_only)
        elif (
            first.tag.startswith(CONTENT_TAGS)
            if content_only
            else not first.tag.startswith(_PUNCTUATION_TAGS)
        ):
            units.append(first.form.lower())
        i += 1
    return units


def _words(text: str, content_only: bool) -> list[str]:
    words = _WORD.findall(text.casefold())
    return [w for w in words if not (content_only and w in ENGLISH_FUNCTION_WORDS)]
