"""Versions of the things the loop produces and consumes, and the labels that pick one.

A version is immutable and referred to as ``name@version``; a label (production, staging …) is a
movable pointer to a version, so a release or roll back moves a label instead of changing code.
Prompts are here now (:mod:`tuneloop.registry.prompts`, reached as ``Store.prompts``).
"""

from __future__ import annotations

from tuneloop.registry.prompts import (
    LATEST,
    PromptLabel,
    PromptLabelEvent,
    PromptRegistry,
    PromptSummary,
    PromptVersion,
    content_hash,
    parse_ref,
)

__all__ = [
    "LATEST",
    "PromptLabel",
    "PromptLabelEvent",
    "PromptRegistry",
    "PromptSummary",
    "PromptVersion",
    "content_hash",
    "parse_ref",
]
