"""Fixtures for the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_jobs_fakes import build_tiny_adapter


@pytest.fixture(scope="session")
def tiny_adapter_dir(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """A real LoRA adapter for the tiny model (what a checkpoint's ``adapter/`` holds)."""
    return build_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("tiny-adapter"))
