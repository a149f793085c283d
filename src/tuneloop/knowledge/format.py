"""Retrieved passages as the numbered sources a model reads: one format for prompts and training.

Why one function: a model fine-tuned on context-aware examples (``data prepare`` with
``qa.context``) must see its passages at serving time exactly as it saw them in training — same
numbering, same source suffix — or the citing habit it learned does not transfer. Prompts,
``chat``, the eval runner and the training-data builder all call :func:`format_sources`.

The format, one block per hit, blocks separated by a blank line::

    [1] 경복궁은 매주 화요일에 쉽니다. (docs/gyeongbokgung.md:12)

    [2] … (docs/deoksugung.md@340)

Numbers start at 1 in the order given (the caller decides the order: rank, or shuffled for
training); the suffix is :attr:`~tuneloop.knowledge.base.Passage.where`. Lines inside a passage are
kept, surrounding whitespace is not.
"""

from __future__ import annotations

from collections.abc import Sequence

from tuneloop.knowledge.base import Hit

__all__ = ["format_sources"]


def format_sources(hits: Sequence[Hit]) -> str:
    """``[n] text (source:line)`` for each hit, numbered from 1, separated by blank lines."""
    return "\n\n".join(
        f"[{number}] {hit.passage.text.strip()} ({hit.passage.where})"
        for number, hit in enumerate(hits, start=1)
    )
