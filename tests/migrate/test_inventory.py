"""``migrate/inventory.py``: the account's jobs and fine-tuned models, read through the official
SDK from tuneloop's own server playing OpenAI and from a fake OpenAI with shutdown dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from migrate.openai_fakes import (
    FT_ID,
    GOOD_KEY,
    JOB_ID,
    FakeOpenAI,
    checkpoint,
    fake_openai,
    openai_job,
    seeded_openai,
)
from tuneloop.errors import AuthError
from tuneloop.migrate.client import connect
from tuneloop.migrate.inventory import (
    default_name,
    effective_hyperparameters,
    job_info,
    model_infos,
    parse_shutdown_date,
    take_inventory,
)
from tuneloop.registry.refs import check_name

SHUTDOWN = date(2027, 1, 14)
UNIX = int(datetime(2027, 1, 14, 12, 30, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    "value",
    [
        "2027-01-14",
        "2027-01-14T00:00:00Z",
        "2027-01-14T23:59:59+00:00",
        UNIX,
        str(UNIX),
        UNIX + 0.5,
    ],
)
def test_shutdown_date_reads_iso_dates_datetimes_and_unix_seconds(value):
    assert parse_shutdown_date(value) == SHUTDOWN


@pytest.mark.parametrize("value", [None, "", "soon", True])
def test_shutdown_date_is_none_when_absent_or_unreadable(value):
    assert parse_shutdown_date(value) is None


def test_method_hyperparameters_override_the_legacy_ones_and_dpo_keeps_beta():
    method = {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": 2}}}
    legacy = {"n_epochs": "auto", "batch_size": 4, "learning_rate_multiplier": None}
    assert effective_hyperparameters(method, legacy, 7) == {
        "n_epochs": 2,
        "batch_size": 4,
        "beta": 0.1,
        "seed": 7,
    }
    assert effective_hyperparameters({}, legacy, None) == {"n_epochs": "auto", "batch_size": 4}


@pytest.mark.parametrize(
    ("model", "job_id", "expected"),
    [
        ("ft:gpt-4o-mini-2024-07-18:acme:Support_Bot.v2:AbC123", "ftjob-x", "support_bot.v2"),
        ("ft:gpt-4o-mini-2024-07-18:acme:서울 Guide!:AbC123", "ftjob-x", "guide-"),
        ("ft:gpt-4o-mini-2024-07-18:acme::AbC123", "ftjob-ABCDEFGH12345678", "openai-12345678"),
        (None, "ftjob-abc", "openai-jobabc"),
    ],
)
def test_default_name_is_the_suffix_else_openai_and_the_job_ids_tail(model, job_id, expected):
    name = default_name(model, job_id)
    assert name == expected.replace("jobabc", "ftjob-abc"[-8:])
    check_name(name, kind="model")


def test_a_fine_tune_without_its_own_date_takes_its_base_models_then_openais():
    jobs = [
        job_info(openai_job()),
        job_info(
            openai_job(
                id="ftjob-2",
                fine_tuned_model="ft:gpt-4.1-2025-04-14:acme:x:1",
                model="gpt-4.1-2025-04-14",
            )
        ),
    ]
    listed = [
        {"id": "gpt-4o-mini-2024-07-18", "shutdown_date": "2027-01-14"},
        {"id": FT_ID},
        {"id": "ft:babbage-002:acme:old:9", "shutdown_date": UNIX},
    ]
    on_openai = {m.id: m for m in model_infos(jobs, listed, is_openai=True)}
    assert on_openai[FT_ID].shutdown_date == SHUTDOWN
    assert on_openai[FT_ID].shutdown_source == "base model" and on_openai[FT_ID].listed
    assert on_openai["ft:gpt-4.1-2025-04-14:acme:x:1"].shutdown_source == "deprecations"
    assert not on_openai["ft:gpt-4.1-2025-04-14:acme:x:1"].listed
    assert on_openai["ft:babbage-002:acme:old:9"].shutdown_source == "model"
    assert on_openai["ft:babbage-002:acme:old:9"].job_id is None
    elsewhere = {m.id: m for m in model_infos(jobs, listed, is_openai=False)}
    assert elsewhere["ft:gpt-4.1-2025-04-14:acme:x:1"].shutdown_date is None


def test_job_metrics_are_the_newest_checkpoints():
    job = job_info(
        openai_job(),
        [checkpoint(3, train_loss=0.4, full_valid_loss=0.5), checkpoint(1, train_loss=2.0)],
    )
    assert [c.step for c in job.checkpoints] == [1, 3]
    assert job.metrics == {"step": 3.0, "train_loss": 0.4, "full_valid_loss": 0.5}


# -- against a fake OpenAI with shutdown dates ---------------------------------------------------


@pytest.fixture
def upstream():
    soon = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    later = int((datetime.now(UTC) + timedelta(days=200)).timestamp())
    fake = FakeOpenAI(
        models=[
            {
                "id": FT_ID,
                "object": "model",
                "created": 1735693200,
                "owned_by": "acme",
                "shutdown_date": soon,
            },
            {
                "id": "ft:gpt-4o-2024-08-06:acme:other:Zz9",
                "object": "model",
                "created": 1,
                "owned_by": "acme",
                "shutdown_date": later,
            },
            {"id": "gpt-4o-mini-2024-07-18", "object": "model", "created": 1, "owned_by": "system"},
        ],
        checkpoints={JOB_ID: [checkpoint(3, train_loss=0.4, full_valid_loss=0.52)]},
    )
    with fake_openai(fake) as running:
        yield running


def test_inventory_reads_jobs_checkpoint_metrics_and_shutdown_dates(upstream):
    found = take_inventory(connect(base_url=upstream.base_url, api_key=GOOD_KEY))
    (job,) = found.jobs
    assert job.id == JOB_ID and job.base_model == "gpt-4o-mini-2024-07-18"
    assert job.hyperparameters == {
        "n_epochs": 3,
        "batch_size": 1,
        "learning_rate_multiplier": 1.8,
        "seed": 42,
    }
    assert job.metrics["full_valid_loss"] == 0.52 and job.result_files == ("file-results1",)
    models = {m.id: m for m in found.models}
    assert models[FT_ID].days_left(found.today) == 10 and models[FT_ID].job_id == JOB_ID
    assert models["ft:gpt-4o-2024-08-06:acme:other:Zz9"].days_left(found.today) in (199, 200)
    assert "gpt-4o-mini-2024-07-18" not in models  # base models are not fine-tunes
    assert not any("/content" in path for _, path, _ in upstream.requests)  # nothing downloaded


def test_a_bad_key_is_an_auth_error_naming_the_variable_without_retrying(upstream):
    account = connect(base_url=upstream.base_url, api_key="sk-bad", key_env="OLD_OPENAI_KEY")
    with pytest.raises(AuthError) as caught:
        take_inventory(account)
    assert "Incorrect API key" in caught.value.message
    assert "OLD_OPENAI_KEY" in caught.value.hint
    assert [status for _, _, status in upstream.requests] == [401]


def test_a_429_is_retried_after_the_servers_retry_after(upstream):
    upstream.rate_limited = 1
    found = take_inventory(connect(base_url=upstream.base_url, api_key=GOOD_KEY))
    assert [j.id for j in found.jobs] == [JOB_ID]
    (first, _, limited), (second, path, status) = upstream.requests[:2]
    assert limited == 429 and status == 200 and path == "/v1/fine_tuning/jobs"
    assert second - first >= 0.9  # Retry-After: 1


# -- against tuneloop's own server playing OpenAI --------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, tiny_model_dir):
    with seeded_openai(tmp_path_factory.mktemp("openai"), tiny_model_dir) as server:
        yield server


def test_inventory_pages_through_every_job_of_tuneloops_server(seeded):
    before = seeded.downloads.count()
    account = connect(base_url=seeded.base_url, api_key=seeded.api_key)
    found = take_inventory(account, page_size=1)  # one job per page: two pages
    jobs = {j.id: j for j in found.jobs}
    assert set(jobs) == {seeded.job_a.id, seeded.job_b.id}
    a = jobs[seeded.job_a.id]
    assert a.fine_tuned_model == seeded.job_a.fine_tuned_model and a.base_model == "tiny"
    assert a.hyperparameters["n_epochs"] == 2 and a.hyperparameters["seed"] == 7
    assert a.validation_file == seeded.job_a.validation_file
    assert a.result_files == tuple(seeded.job_a.result_files) and a.result_files
    assert [c.step for c in a.checkpoints] == [2, 4] and "train_loss" in a.metrics
    assert a.default_name == "support" and jobs[seeded.job_b.id].default_name == "seoul"
    models = {m.id: m for m in found.models}
    assert models[seeded.job_a.fine_tuned_model].listed
    assert models[seeded.job_a.fine_tuned_model].shutdown_date is None  # not OpenAI: no date
    assert seeded.downloads.count() == before
