"""Versions of the things the loop produces and consumes, and the labels that pick one.

A version is immutable and referred to as ``name@version``; a label (production, staging …) is a
movable pointer to a version, so a release or roll back moves a label instead of changing code.
Prompts (:mod:`tuneloop.registry.prompts`, ``Store.prompts``), datasets
(:mod:`tuneloop.registry.datasets`, ``Store.datasets``) and models (:mod:`tuneloop.registry.models`,
``Store.models``) share one reference syntax (:mod:`tuneloop.registry.refs`).
"""

from __future__ import annotations

from tuneloop.registry.datasets import DatasetRegistry, DatasetVersion
from tuneloop.registry.models import ModelRegistry, ModelVersion
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
    "DatasetRegistry",
    "DatasetVersion",
    "ModelRegistry",
    "ModelVersion",
    "PromptLabel",
    "PromptLabelEvent",
    "PromptRegistry",
    "PromptSummary",
    "PromptVersion",
    "content_hash",
    "parse_ref",
]
