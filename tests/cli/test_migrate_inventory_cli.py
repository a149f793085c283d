"""``tuneloop migrate openai inventory``: tables with days left (red under 30), ``--json`` with
everything, and a rejected key's exit code — the real console script against a fake OpenAI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from migrate.openai_fakes import FT_ID, GOOD_KEY, JOB_ID, FakeOpenAI, checkpoint, fake_openai
from tuneloop.errors import AuthError

OTHER = "ft:gpt-4o-2024-08-06:acme:other:Zz9"


@pytest.fixture
def upstream():
    today = datetime.now(UTC).date()
    fake = FakeOpenAI(
        models=[
            {
                "id": FT_ID,
                "object": "model",
                "created": 1,
                "owned_by": "acme",
                "shutdown_date": (today + timedelta(days=12)).isoformat(),
            },
            {
                "id": OTHER,
                "object": "model",
                "created": 1,
                "owned_by": "acme",
                "shutdown_date": int(datetime.now(UTC).timestamp()) + 300 * 86400,
            },
        ],
        checkpoints={JOB_ID: [checkpoint(3, train_loss=0.4321, full_valid_loss=0.52)]},
    )
    with fake_openai(fake) as running:
        yield running


def _inventory(run_cli, upstream, *extra, key=GOOD_KEY, env=None):
    return run_cli(
        "migrate", "openai", "inventory", "--base-url", upstream.base_url,
        "--key-env", "OLD_OPENAI_KEY", *extra, env={"OLD_OPENAI_KEY": key, **(env or {})},
    )  # fmt: skip


def test_tables_show_jobs_models_and_days_left_in_red_under_30(run_cli, upstream):
    done = _inventory(run_cli, upstream, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert done.returncode == 0, done.stderr
    plain = done.stdout
    assert JOB_ID in plain and "gpt-4o-mini-2024-07-18" in plain and "succeeded" in plain
    assert "5,768" in plain  # trained tokens
    assert "epochs=3" in plain and "lr×1.8" in plain and "0.4321" in plain
    assert "file-train1" in plain and "file-results1" in plain
    lines = plain.splitlines()
    soon = next(line for line in lines if FT_ID in line and "days" in line)
    later = next(line for line in lines if OTHER in line)
    assert "12 days" in soon and "\x1b[1;31m12 days" in soon  # bold red
    assert "days" in later and "\x1b[1;31m" not in later
    assert "OpenAI stops new fine-tuning jobs on 2027-01-06" in plain
    assert "tuneloop migrate openai pull" in plain


def test_json_gives_every_field(run_cli, upstream):
    done = _inventory(run_cli, upstream, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    (job,) = data["jobs"]
    assert job["hyperparameters"]["method"]["type"] == "supervised"
    assert job["hyperparameters"]["hyperparameters"]["batch_size"] == 1  # the legacy object
    assert job["metrics"] == {"step": 3.0, "train_loss": 0.4321, "full_valid_loss": 0.52}
    assert job["checkpoints"][0]["model_id"] == f"{FT_ID}:ckpt-step-3"
    assert job["default_name"] == "support" and job["result_files"] == ["file-results1"]
    models = {m["id"]: m for m in data["models"]}
    assert models[FT_ID]["days_left"] == 12 and models[FT_ID]["shutdown_source"] == "model"
    assert models[OTHER]["days_left"] in (299, 300)
    assert data["new_jobs_stop"] == "2027-01-06" and data["is_openai"] is False


def test_a_rejected_key_exits_with_the_auth_code_and_names_the_variable(run_cli, upstream):
    done = _inventory(run_cli, upstream, key="sk-bad")
    assert done.returncode == AuthError.exit_code
    assert "Incorrect API key" in done.stderr and "OLD_OPENAI_KEY" in done.stderr
    assert "sk-bad" not in done.stderr.replace("Incorrect API key provided: sk-bad.", "")


def test_no_key_at_all_is_refused_before_any_request(run_cli, upstream):
    done = run_cli("migrate", "openai", "inventory", "--base-url", upstream.base_url,
                   "--key-env", "UNSET_KEY_VAR")  # fmt: skip
    assert done.returncode == AuthError.exit_code and "UNSET_KEY_VAR" in done.stderr
    assert upstream.requests == []
