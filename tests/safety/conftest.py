"""Shared fixtures: one default scanner per session (Kiwi loads once)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tuneloop.safety.pii import PiiScanner


@pytest.fixture(scope="session")
def scanner() -> PiiScanner:
    return PiiScanner.default()


Entities = Callable[[str], list[tuple[str, str]]]


@pytest.fixture(scope="session")
def entities(scanner: PiiScanner) -> Entities:
    """``entities(text)``: ``(entity, matched text)`` for each finding, in order."""

    def _entities(text: str) -> list[tuple[str, str]]:
        return [(f.entity, f.text) for f in scanner.analyze(text)]

    return _entities
