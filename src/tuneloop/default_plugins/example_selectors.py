"""Registers the built-in few-shot example selectors: ``first``, ``bm25`` and ``embedding``.

The selectors live in :mod:`tuneloop.prompts.fewshot` and are imported only when one is built, so
loading the plugin manager stays cheap (bm25s, torch and transformers load on first use).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.prompts.fewshot import ExampleSelector, SelectorFactory
    from tuneloop.prompts.template import Example


def _first(examples: Sequence[Example]) -> ExampleSelector:
    from tuneloop.prompts.fewshot import FirstSelector

    return FirstSelector(examples)


def _bm25(examples: Sequence[Example]) -> ExampleSelector:
    from tuneloop.prompts.fewshot import BM25Selector

    return BM25Selector(examples)


def _embedding(examples: Sequence[Example]) -> ExampleSelector:
    from tuneloop.prompts.fewshot import EmbeddingSelector

    return EmbeddingSelector(examples)


@hookimpl
def register_example_selectors(register: Callable[[str, SelectorFactory], None]) -> None:
    register("first", _first)
    register("bm25", _bm25)
    register("embedding", _embedding)
