"""Recognizers by name, collected from plugins through the ``register_pii_recognizers`` hook.

The built-ins are themselves a default plugin (:mod:`tuneloop.default_plugins.pii_recognizers`);
a third-party package that registers a recognizer of the same ``name`` replaces the built-in
(:func:`tuneloop.plugins.collect` decides precedence for every hook).
"""

from __future__ import annotations

from tuneloop.plugins import collect
from tuneloop.safety.pii.types import PiiRecognizer

__all__ = ["known_entities", "pii_recognizers"]


def pii_recognizers() -> dict[str, PiiRecognizer]:
    """Every registered recognizer by name; a later registration replaces an earlier one."""
    return collect("register_pii_recognizers", key=_name)


def _name(recognizer: PiiRecognizer) -> str:
    return recognizer.name


def known_entities(recognizers: dict[str, PiiRecognizer] | None = None) -> list[str]:
    """Every entity some registered recognizer can find, sorted."""
    found = pii_recognizers() if recognizers is None else recognizers
    return sorted({entity for r in found.values() for entity in r.entities})
