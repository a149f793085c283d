"""Turning generated tokens into text that never ends in half a character.

Why: byte-level BPE tokenizers (GPT-2, SmolLM2, Llama 3, Qwen) split a Hangul syllable's three
UTF-8 bytes over two or three tokens. Decoding a prefix that stops inside a syllable gives
U+FFFD (``�``), so an answer cut by ``max_tokens`` or a stop sequence, or a streamed piece sent
before the next token arrives, would show a broken character. Every backend holds those bytes
back: while streaming only complete characters go out, and when generation ends an incomplete
tail is dropped.

:class:`IncrementalDecoder` is the usual incremental detokenizer (as in vLLM and TGI): it decodes
the new tokens together with the last emitted ones, so tokenizers that decode a token differently
at the start of a string (SentencePiece's leading space) come out right, and it waits while the
text ends in U+FFFD. :class:`TextHoldback` does the same for backends that receive text, not
tokens (an OpenAI-compatible upstream that itself sent half a character at a cut).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

__all__ = ["REPLACEMENT", "IncrementalDecoder", "TextHoldback", "drop_incomplete_tail"]

REPLACEMENT = "\ufffd"
"""What a decoder puts where bytes do not (yet) form a character."""


def drop_incomplete_tail(text: str) -> str:
    """``text`` without the U+FFFD characters at its end (what is left of a cut character)."""
    return text.rstrip(REPLACEMENT)


class IncrementalDecoder:
    """Token ids in, complete characters out.

    ``decode(ids)`` is the tokenizer's decode (special tokens already skipped). :meth:`push`
    returns the text the new ids complete (possibly ``""``); :meth:`finish` returns what is left
    when generation ends, less an incomplete character.
    """

    def __init__(self, decode: Callable[[Sequence[int]], str]) -> None:
        self._decode = decode
        self._ids: list[int] = []
        self._prefix = 0  # first id of the context decoded together with new ids
        self._read = 0  # ids before this have been emitted as text

    def _pending(self) -> str:
        emitted = self._decode(self._ids[self._prefix : self._read])
        text = self._decode(self._ids[self._prefix :])
        return text[len(emitted) :]

    def push(self, ids: Iterable[int]) -> str:
        self._ids.extend(ids)
        pending = self._pending()
        if not pending or pending.endswith(REPLACEMENT):
            return ""
        self._prefix, self._read = self._read, len(self._ids)
        return pending

    def finish(self) -> str:
        pending = drop_incomplete_tail(self._pending())
        self._prefix = self._read = len(self._ids)
        return pending


class TextHoldback:
    """Text pieces in, pieces that do not end in U+FFFD out (for backends that receive text).

    A trailing U+FFFD is held until more text follows it (then it was a real, if broken,
    character in the middle of the answer and goes out) or the stream ends (then it is the rest
    of a character cut off by ``max_tokens`` or a stop sequence, and is dropped).
    """

    def __init__(self) -> None:
        self._held = ""

    def push(self, piece: str) -> str:
        text = self._held + piece
        out = drop_incomplete_tail(text)
        self._held = text[len(out) :]
        return out

    def finish(self) -> str:
        """What is still held back is an incomplete character: nothing more goes out."""
        self._held = ""
        return ""
