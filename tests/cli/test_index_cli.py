"""`tuneloop index build / search / list / show / alias` on a real project (SQLite store)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tuneloop.errors import ConfigError, UnknownReference

SAMPLE_DOCS = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel" / "docs"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("gyeongbokgung.md", "taxi.md", "n-seoul-tower.html", "tipping.md"):
        shutil.copy(SAMPLE_DOCS / name, folder / name)
    return folder


def test_build_is_versioned_and_a_rebuild_of_unchanged_documents_is_a_no_op(invoke, project, docs):
    first = invoke("--project", project, "index", "build", "docs", "--name", "seoul-docs")
    assert first.exit_code == 0, first.output
    assert "Built seoul-docs@1: 4 documents" in first.output

    again = invoke("--project", project, "index", "build", "docs", "--name", "seoul-docs", "--json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert data["ref"] == "seoul-docs@1" and data["created"] is False

    (docs / "tipping.md").unlink()
    third = invoke("--project", project, "index", "build", "docs", "--name", "seoul-docs")
    assert third.exit_code == 0, third.output
    assert "Built seoul-docs@2" in third.output and "parent seoul-docs@1" in third.output
    assert "removed: docs/tipping.md" in third.output
    assert "0 chunked" in third.output  # nothing changed but a deletion: everything reused


def test_search_shows_hits_with_source_lines_and_json(invoke, project, docs):
    assert (
        invoke("--project", project, "index", "build", "docs", "--name", "seoul-docs").exit_code
        == 0
    )

    shown = invoke(
        "--project", project, "index", "search", "남산 케이블카", "--index", "seoul-docs", "-k", "2"
    )
    assert shown.exit_code == 0, shown.output
    first_line = shown.output.splitlines()[0]
    assert first_line.startswith("[1] docs/n-seoul-tower.html:")
    assert "score" in first_line

    result = invoke(
        "--project", project, "index", "search", "택시 요금", "--index", "seoul-docs", "--json"
    )
    data = json.loads(result.output)
    assert data["index"] == "seoul-docs@1"
    assert data["hits"][0]["source"] == "docs/taxi.md"
    assert [h["rank"] for h in data["hits"]] == list(range(1, len(data["hits"]) + 1))
    hit = data["hits"][0]
    assert hit["line"] >= 1 and len(hit["id"]) == 12 and "택시" in hit["text"]

    nothing = invoke("--project", project, "index", "search", "zzzqqq", "--index", "seoul-docs")
    assert nothing.exit_code == 0 and "No passage" in nothing.output


def test_search_uses_the_configured_default_index_and_aliases(invoke, project, docs):
    assert (
        invoke("--project", project, "index", "build", "docs", "--name", "seoul-docs").exit_code
        == 0
    )
    no_default = invoke("--project", project, "index", "search", "택시")
    assert isinstance(no_default.exception, ConfigError)
    assert "[knowledge]" in no_default.exception.hint

    moved = invoke("--project", project, "index", "alias", "set", "seoul-docs@1", "production")
    assert moved.exit_code == 0, moved.output
    toml = project / "tuneloop.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[knowledge]\nindex = "seoul-docs@production"\n',
        encoding="utf-8",
    )
    found = invoke("--project", project, "index", "search", "택시", "--json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["index"] == "seoul-docs@1"

    history = invoke("--project", project, "index", "alias", "history", "seoul-docs", "--json")
    assert [e["to_version"] for e in json.loads(history.output)] == [1]


def test_list_and_show_report_versions_changes_and_documents(invoke, project, docs):
    invoke("--project", project, "index", "build", "docs", "--name", "seoul-docs")
    (docs / "new.md").write_text("# 새 문서\n\n덕수궁 돌담길은 산책하기 좋아요.\n", "utf-8")
    invoke("--project", project, "index", "build", "docs", "--name", "seoul-docs", "-m", "new doc")

    listed = json.loads(
        invoke("--project", project, "index", "list", "seoul-docs", "--json").output
    )
    assert [v["ref"] for v in listed] == ["seoul-docs@1", "seoul-docs@2"]
    assert listed[1]["changes"]["added"] == ["docs/new.md"]
    assert listed[1]["message"] == "new doc"

    shown = invoke("--project", project, "index", "show", "seoul-docs@2")
    assert shown.exit_code == 0, shown.output
    assert "added: docs/new.md" in shown.output and "docs/taxi.md" in shown.output
    data = json.loads(invoke("--project", project, "index", "show", "seoul-docs", "--json").output)
    assert data["documents"]["docs/new.md"]["passages"] == 1


def test_unknown_index_and_missing_sources_fail_with_hints(invoke, project, tmp_path):
    unknown = invoke("--project", project, "index", "search", "택시", "--index", "nope")
    assert isinstance(unknown.exception, UnknownReference)
    assert "tuneloop index build" in unknown.exception.hint

    missing = invoke("--project", project, "index", "build", "nowhere", "--name", "x")
    assert isinstance(missing.exception, ConfigError)
    assert "nowhere" in missing.exception.message


def test_the_console_script_reports_errors_with_exit_codes(run_cli, project):
    result = run_cli("--project", str(project), "index", "show", "nope")
    assert result.returncode != 0
    assert "No index named 'nope'" in result.stderr and "Fix:" in result.stderr
