"""Shared fixtures live in tests/fixtures/, one module per concern, loaded here."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytest_plugins = [
    "fixtures.db",
    "fixtures.encodings",
    "fixtures.models",
    "fixtures.server",
]
