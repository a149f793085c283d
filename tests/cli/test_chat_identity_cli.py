"""`tuneloop chat` resolves the model once, up front, and says which version it talks to."""

from __future__ import annotations

import json
from pathlib import Path

from tuneloop.config import load_settings
from tuneloop.registry import Store


def _stage(project: Path) -> None:
    with Store.from_settings(load_settings(project)) as store:
        version = store.models.register_version(
            "seoul-guide", model_id="ft:one", backend="echo", config={"build": 1},
            base_model="smollm2-135m", author="test",
        )  # fmt: skip
        store.models.promote(version.ref, "production", by="test", force=True, reason="test setup")


def test_chat_json_names_the_version_and_hash_it_talked_to(invoke, project):
    _stage(project)
    result = invoke(
        "--project", project, "chat", "--model", "seoul-guide@production", "-m", "안녕", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model_version"] == "seoul-guide@1"
    assert data["model_hash"].startswith("sha256:") and len(data["model_hash"]) == 71


def test_the_chat_repl_says_which_version_it_is(invoke, project):
    _stage(project)
    result = invoke("--project", project, "chat", "--model", "seoul-guide@production", input="")
    assert result.exit_code == 0, result.output
    assert "seoul-guide@production → seoul-guide@1 (sha256:" in result.stderr
