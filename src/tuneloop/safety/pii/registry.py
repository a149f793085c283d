"""Recognizers by name, collected from plugins through the ``register_pii_recognizers`` hook.

The built-ins are themselves a default plugin (:mod:`tuneloop.default_plugins.pii_recognizers`),
registered first, so a third-party package that registers a recognizer of the same ``name``
replaces the built-in.
"""

from __future__ import annotations

from tuneloop.plugins import plugin_manager
from tuneloop.safety.pii.types import PiiRecognizer

__all__ = ["known_entities", "pii_recognizers"]


def pii_recognizers() -> dict[str, PiiRecognizer]:
    """Every registered recognizer by name; a later registration replaces an earlier one."""
    found: dict[str, PiiRecognizer] = {}

    def register(recognizer: PiiRecognizer) -> None:
        found[recognizer.name] = recognizer

    plugin_manager().hook.register_pii_recognizers(register=register)
    return found


def known_entities(recognizers: dict[str, PiiRecognizer] | None = None) -> list[str]:
    """Every entity some registered recognizer can find, sorted."""
    found = pii_recognizers() if recognizers is None else recognizers
    return sorted({entity for r in found.values() for entity in r.entities})
