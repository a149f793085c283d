"""``tuneloop migrate openai pull``: the real console script against tuneloop's own server playing
OpenAI — killed in the middle of a download and run again, then a third time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from migrate.openai_fakes import PHONE, seeded_openai
from tuneloop.config import load_settings
from tuneloop.registry import Store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, tiny_model_dir):
    with seeded_openai(tmp_path_factory.mktemp("openai"), tiny_model_dir) as server:
        yield server


def _args(seeded, *refs: str) -> list[str]:
    return ["migrate", "openai", "pull", *refs, "--base-url", seeded.base_url,
            "--key-env", "OLD_OPENAI_KEY"]  # fmt: skip


def _files_in(manifest: Path, job_id: str) -> int:
    try:
        return len(json.loads(manifest.read_text(encoding="utf-8"))["jobs"][job_id]["files"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return 0


def test_a_pull_killed_mid_download_resumes_without_duplicates(
    seeded, project, tuneloop_exe, cli_env, run_cli
):
    job = seeded.job_a
    env = {**cli_env, "OLD_OPENAI_KEY": seeded.api_key}
    manifest = project / "migrate" / "support" / "pull.json"
    seeded.downloads.hold[job.validation_file] = 60.0  # the second file hangs: kill in it
    start = len(seeded.downloads.seen)
    process = subprocess.Popen(
        [tuneloop_exe, *_args(seeded, job.id)],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not (
            _files_in(manifest, job.id) == 1 and job.validation_file in seeded.downloads.seen
        ):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the pull never reached its second file"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        seeded.downloads.hold.clear()

    settings = load_settings(project)
    with Store.from_settings(settings) as store:
        assert store.datasets.names() == [] and store.models.names() == []
        parts = list((settings.resolved_artifact_dir / "tmp").glob("*.part"))
        assert len(parts) == 1  # the killed download's part, never indexed
    assert _files_in(manifest, job.id) == 1

    resumed = run_cli(*_args(seeded, job.id), cwd=project, env={"OLD_OPENAI_KEY": seeded.api_key})
    assert resumed.returncode == 0, resumed.stderr
    fetched = seeded.downloads.seen[start:]
    assert fetched.count(job.training_file) == 1  # not again after the kill
    assert fetched.count(job.validation_file) == 2  # the killed download, then the resumed one
    assert fetched.count(job.result_files[0]) == 1
    assert "already pulled" in resumed.stdout and "downloaded" in resumed.stdout
    assert "support-openai@1 (new" in resumed.stdout and "support@1" in resumed.stdout
    assert f"openai:{job.training_file}:2" in resumed.stdout and "PHONE" in resumed.stdout
    assert PHONE not in resumed.stdout
    assert f"tuneloop migrate openai record {job.fine_tuned_model} --name support" in (
        resumed.stdout
    )

    again = run_cli(*_args(seeded, job.fine_tuned_model, "--json"), cwd=project,
                    env={"OLD_OPENAI_KEY": seeded.api_key})  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert seeded.downloads.seen[start:] == fetched  # the third run downloads nothing
    (report,) = json.loads(again.stdout)
    assert report["downloaded"] == 0 and not report["dataset_created"]
    assert not report["source_created"] and report["source"] == "support@1"

    with Store.from_settings(settings) as store:
        assert [v.ref for v in store.datasets.versions("support-openai")] == ["support-openai@1"]
        assert [v.ref for v in store.models.versions("support")] == ["support@1"]
        assert store.models.aliases("support") == {"production": 1}
        pulled = [a for a in store.artifacts.list() if a.metadata.get("openai_file")]
        assert sorted(a.metadata["openai_file"] for a in pulled) == sorted(
            [job.training_file, job.validation_file, *job.result_files]
        )
        for artifact in store.artifacts.list():
            store.artifacts.read(artifact.sha256, verify=True)  # every indexed file is whole
        assert list((settings.resolved_artifact_dir / "tmp").glob("*.part")) == []


def test_nothing_to_pull_is_a_usage_error(run_cli, project, seeded):
    done = run_cli(*_args(seeded), cwd=project, env={"OLD_OPENAI_KEY": seeded.api_key})
    assert done.returncode == 2 and "--all" in done.stderr
