"""`tuneloop data prepare` on the bundled Seoul sample: every planted defect is handled and the
result is a dataset version whose files are free of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tuneloop.data.records import read_records

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel"


def _squash(text: str) -> str:
    return re.sub(r"[\s\W]+", "", text)


@pytest.mark.slow
def test_prepare_the_seoul_sample_handles_every_planted_defect(invoke, project, tmp_path):
    defects = json.loads((SAMPLE / "defects.json").read_text(encoding="utf-8"))["defects"]
    out = tmp_path / "prepared"

    result = invoke(
        "--project",
        project,
        "data",
        "prepare",
        SAMPLE / "data.yaml",
        "--out-dir",
        out,
        "-m",
        "sample",
        "--json",
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ref"] == "seoul-qa@1"
    records = [
        r for split in ("train", "validation", "test") for r in read_records(out / f"{split}.jsonl")
    ]
    text = "\n".join(r.text() for r in records)

    # every planted PII value is gone; the business-number decoy is not personal data
    for defect in defects:
        if defect["kind"] == "pii" and defect["file"] != "docs/cheonggyecheon.html":
            assert defect["value"] not in text, defect
    # broken rows and malformed chat-log lines were skipped with their file:line
    skipped = "\n".join(report["skipped"])
    for defect in defects:
        if defect["kind"] in ("broken_row", "malformed_json", "missing_field"):
            assert f"{defect['file']}:{defect['line']}" in skipped, defect
    # duplicates and near duplicates: at least the planted ones were removed
    cleaning = report["cleaning"]
    planted_exact = sum(d["kind"] == "exact_duplicate" for d in defects)
    planted_near = sum(d["kind"] == "near_duplicate" for d in defects)
    assert cleaning["dedupe.exact"]["removed"] >= planted_exact
    assert cleaning["dedupe.exact"]["removed"] + cleaning["dedupe.near"]["removed"] >= (
        planted_exact + planted_near
    )
    # no held-out question is trained on
    held = [
        json.loads(line)["question"]
        for line in (SAMPLE / "heldout" / "questions.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    questions = {_squash(r.first("user")) for r in records}
    assert not questions & {_squash(q) for q in held}
    # sources are relative to the sample folder, so the dataset is portable
    assert all(not r.source.path.startswith("/") for r in records if r.source)

    shown = json.loads(invoke("--project", project, "data", "show", "seoul-qa@1", "--json").stdout)
    assert [s["step"] for s in shown["pipeline"]][:3] == ["config", "ingest", "qa"]
    assert shown["counts"]["total"] == len(records)
    assert "pii.KR_RRN" in shown["card"]
