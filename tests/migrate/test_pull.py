"""``migrate/pull.py``: an OpenAI fine-tune's files, settings and metrics into a dataset version
and a source model version — against tuneloop's own server playing OpenAI (two finished jobs)
and a fake OpenAI for what that server cannot produce (a malformed file, base64 results)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from fixtures.server import make_project
from migrate.openai_fakes import (
    FT_ID,
    GOOD_KEY,
    JOB_ID,
    PHONE,
    RESULT_CSV,
    TRAIN_A,
    TRAIN_B,
    VALID_A,
    FakeOpenAI,
    base64_csv,
    checkpoint,
    fake_openai,
    jsonl,
    openai_job,
    seeded_openai,
)
from tuneloop.data.records import read_records
from tuneloop.errors import BadReference, DataError, InvalidRequest, UnknownReference
from tuneloop.migrate.client import connect
from tuneloop.migrate.inventory import job_info
from tuneloop.migrate.pull import (
    MIGRATED_REASON,
    find_source,
    manifest_path,
    parse_step_metrics,
    pull,
    pull_job,
    pulled_dataset_ref,
)
from tuneloop.registry import Store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, tiny_model_dir):
    with seeded_openai(tmp_path_factory.mktemp("openai"), tiny_model_dir) as server:
        yield server


@pytest.fixture
def project(tmp_path):
    settings = make_project(tmp_path / "project")
    with Store.from_settings(settings) as store:
        yield settings.project_dir, store


def _account(seeded):
    return connect(base_url=seeded.base_url, api_key=seeded.api_key)


def test_pull_registers_the_dataset_and_the_source_model_per_the_contract(seeded, project):
    folder, store = project
    job = seeded.job_a
    (result,) = pull(store, _account(seeded), [job.fine_tuned_model], project_dir=folder,
                     author="kim")  # fmt: skip

    dataset = store.datasets.get("support-openai")
    assert result.dataset.ref == dataset.ref == "support-openai@1"
    assert dataset.splits == ["train", "validation"]
    assert dataset.counts["splits"]["train"]["examples"] == len(TRAIN_A)
    assert dataset.counts["splits"]["validation"]["examples"] == len(VALID_A)
    step = dataset.pipeline[0]
    assert step["step"] == "openai-pull" and step["job"] == job.id
    assert step["training_file"] == f"openai:{job.training_file}"
    assert step["validation_file"] == f"openai:{job.validation_file}"
    assert step["base_url"] == seeded.base_url
    train = list(read_records(store.datasets.path(dataset, "train")))
    assert [str(r.source) for r in train] == [
        f"openai:{job.training_file}:{n}" for n in range(1, len(TRAIN_A) + 1)
    ]
    assert train[0].messages == TRAIN_A[0]

    source = store.models.get("support")
    assert source.ref == result.source.ref == "support@1"
    assert source.model_id == job.fine_tuned_model and source.backend == "openai"
    assert source.config == {"model": job.fine_tuned_model, "base_url": seeded.base_url}
    assert source.base_model == "tiny" and source.job_id == job.id
    assert source.dataset_ref == "support-openai@1:train"
    assert source.hyperparameters["n_epochs"] == 2 and source.hyperparameters["seed"] == 7
    assert source.hyperparameters["method"]["supervised"]["hyperparameters"]["n_epochs"] == 2
    csv_rows = list(
        csv.DictReader(io.StringIO(seeded.store.files.content(job.result_files[0]).decode()))
    )
    assert source.metrics["train_loss"] == pytest.approx(float(csv_rows[-1]["train_loss"]))
    assert source.metrics["steps"] == float(csv_rows[-1]["step"])
    assert source.artifacts["provider"] == "openai" and source.artifacts["source"] is True
    assert source.artifacts["result_files"] == list(job.result_files)
    assert source.artifacts["trained_tokens"] == job.trained_tokens
    assert source.artifacts["shutdown_date"] is None  # tuneloop's server announces none
    assert "api_key" not in json.dumps(source.as_dict())

    assert store.models.aliases("support") == {"production": 1}
    (event,) = store.models.alias_history("support", "production")
    assert event.reason == MIGRATED_REASON
    metadata = json.loads(store.artifacts.read(result.metadata_sha256))
    assert metadata["job"]["id"] == job.id
    assert any(e["message"] == "The job has successfully completed" for e in metadata["events"])

    for ref in ("support", "support@1", job.fine_tuned_model, job.id):
        assert find_source(store, ref).ref == "support@1"
    assert pulled_dataset_ref(store, "support") == "support-openai@1:train"
    assert result.next_command == (
        f"tuneloop migrate openai record {job.fine_tuned_model} --name support"
    )


def test_pii_is_reported_with_the_remote_file_and_line_and_redacted(seeded, project):
    folder, store = project
    (result,) = pull(store, _account(seeded), [seeded.job_a.id], project_dir=folder, author="kim")
    phones = [h for h in result.pii_hits if h.entity == "PHONE"]
    assert [h.where for h in phones] == [f"openai:{seeded.job_a.training_file}:2"]
    assert phones[0].field == "messages[1].content" and PHONE not in phones[0].preview
    assert result.pii_counts["PHONE"] == 1 and result.pii_redacted
    text = store.datasets.path(result.dataset, "train").read_text(encoding="utf-8")
    assert PHONE not in text and "<PHONE>" in text
    assert result.dataset.pipeline[1] == {
        "step": "pii",
        "policy": "redact",
        "mode": "placeholder",
        "found": result.pii_counts,
    }


def test_keep_pii_registers_the_records_as_they_are_with_a_warning(seeded, project):
    folder, store = project
    (result,) = pull(store, _account(seeded), [seeded.job_a.id], project_dir=folder,
                     author="kim", keep_pii=True)  # fmt: skip
    assert PHONE in store.datasets.path(result.dataset, "train").read_text(encoding="utf-8")
    assert not result.pii_redacted and any("--keep-pii" in w for w in result.warnings)


def test_a_second_pull_downloads_nothing_and_adds_no_version_row_or_artifact(seeded, project):
    folder, store = project
    account = _account(seeded)
    first = seeded.downloads.count()
    (one,) = pull(store, account, [seeded.job_a.id], project_dir=folder, author="kim")
    assert seeded.downloads.count() - first == 3 == one.downloaded  # train, validation, result
    artifacts = {a.sha256 for a in store.artifacts.list()}
    before = seeded.downloads.count()
    (two,) = pull(store, account, [seeded.job_a.fine_tuned_model], project_dir=folder,
                  author="kim")  # fmt: skip
    assert seeded.downloads.count() == before and two.downloaded == 0
    assert not two.dataset_created and not two.source_created and not two.production_set
    assert two.dataset.ref == one.dataset.ref and two.source.ref == one.source.ref
    assert two.pii_counts == one.pii_counts == {"PHONE": 1} and two.metrics == one.metrics
    assert len(store.datasets.versions("support-openai")) == 1
    assert len(store.models.versions("support")) == 1
    assert {a.sha256 for a in store.artifacts.list()} == artifacts
    manifest = json.loads(manifest_path(folder, "support").read_text(encoding="utf-8"))
    entry = manifest["jobs"][seeded.job_a.id]
    assert entry["done"] and entry["source"] == "support@1"
    assert set(entry["files"]) == {
        seeded.job_a.training_file,
        seeded.job_a.validation_file,
        *seeded.job_a.result_files,
    }


def test_all_pulls_every_succeeded_job_under_its_own_name(seeded, project):
    folder, store = project
    results = pull(store, _account(seeded), [], all_jobs=True, project_dir=folder, author="kim")
    assert {r.name for r in results} == {"support", "seoul"}
    seoul = store.datasets.get("seoul-openai")
    assert seoul.splits == ["train"] and seoul.counts["splits"]["train"]["examples"] == len(TRAIN_B)
    assert store.models.get("seoul").model_id == seeded.job_b.fine_tuned_model
    assert store.models.aliases("seoul") == {"production": 1}


def test_name_overrides_the_default_and_production_is_left_where_it_is(seeded, project):
    folder, store = project
    account = _account(seeded)
    pull(store, account, [seeded.job_a.id], name="guide", project_dir=folder, author="kim")
    (second,) = pull(store, account, [seeded.job_b.id], name="guide", project_dir=folder,
                     author="kim")  # fmt: skip
    assert second.source.ref == "guide@2" and second.dataset.ref == "guide-openai@2"
    assert not second.production_set and store.models.aliases("guide") == {"production": 1}
    assert find_source(store, "guide").ref == "guide@2"  # the newest source version
    (again,) = pull(store, account, [seeded.job_a.id], project_dir=folder, author="kim")
    assert again.name == "guide" and again.source.ref == "guide@1"  # the name it was pulled as
    with pytest.raises(BadReference) as caught:
        pull(store, account, [seeded.job_a.id], name="other", project_dir=folder, author="kim")
    assert "--name guide" in caught.value.hint and store.datasets.names() == ["guide-openai"]


def test_nothing_pulled_is_an_error_naming_the_pull_command(project):
    _, store = project
    with pytest.raises(UnknownReference) as caught:
        find_source(store, "ft:gpt-4o-mini-2024-07-18:acme:support:AbC123")
    assert "tuneloop migrate openai pull ft:gpt-4o-mini-2024-07-18:acme:support:AbC123" in (
        caught.value.hint
    )
    with pytest.raises(InvalidRequest):
        pull(store, connect(base_url="http://127.0.0.1:9", api_key="x"), [],
             project_dir=store.artifacts.root, author="kim")  # fmt: skip


# -- against a fake OpenAI ---------------------------------------------------------------------


def test_a_malformed_remote_file_names_its_id_line_and_copy_and_registers_nothing(project):
    folder, store = project
    bad = (
        jsonl(TRAIN_B[:1])
        + b'{"messages": [{"role": "user", "content": "no answer"}]}\n'
        + b'{"messages": [\n'
    )
    fake = FakeOpenAI(files={"file-train1": bad, "file-results1": RESULT_CSV.encode()})
    with fake_openai(fake):
        account = connect(base_url=fake.base_url, api_key=GOOD_KEY)
        with pytest.raises(DataError) as caught:
            pull(store, account, [JOB_ID], project_dir=folder, author="kim")
    message = caught.value.message
    assert "openai:file-train1:2: example_missing_assistant_message" in message
    assert "openai:file-train1:3: invalid_json" in message
    copy = message.split("openai:file-train1 → ")[1].split(";")[0].strip()
    assert store.artifacts.root in Path(copy).parents
    assert Path(copy).read_bytes() == bad
    assert store.datasets.names() == [] and store.models.names() == []


def test_a_job_that_did_not_succeed_is_refused():
    with pytest.raises(InvalidRequest) as caught:
        job = job_info(openai_job(status="failed", fine_tuned_model=None))
        pull_job(None, None, job, project_dir=Path("."), author="kim")  # type: ignore[arg-type]
    assert "failed" in caught.value.message


def test_base64_results_give_the_same_rows_as_plain_csv():
    plain = parse_step_metrics(RESULT_CSV.encode())
    assert parse_step_metrics(base64_csv()) == plain
    assert [r["step"] for r in plain] == [1.0, 2.0, 3.0]
    assert plain[1] == {
        "step": 2.0,
        "train_loss": 1.8,
        "train_accuracy": 0.4,
        "valid_loss": 1.9,
        "valid_mean_token_accuracy": 0.41,
    }
    with pytest.raises(DataError):
        parse_step_metrics(b"\x00\x01 not csv")


def test_metrics_come_from_the_result_csv_and_checkpoints_and_the_date_from_models(project):
    folder, store = project
    fake = FakeOpenAI(
        models=[
            {"id": FT_ID, "object": "model", "created": 1, "owned_by": "acme"},
            {
                "id": "gpt-4o-mini-2024-07-18",
                "object": "model",
                "created": 1,
                "owned_by": "system",
                "shutdown_date": "2027-01-14",
            },
        ],
        checkpoints={JOB_ID: [checkpoint(3, train_loss=1.2, full_valid_loss=1.75)]},
        files={"file-train1": jsonl(TRAIN_B), "file-results1": base64_csv()},
    )
    with fake_openai(fake):
        account = connect(base_url=fake.base_url, api_key=GOOD_KEY, key_env="OLD_KEY")
        (result,) = pull(store, account, [FT_ID], project_dir=folder, author="kim")
    source = store.models.get("support")
    assert source.metrics == {
        "train_loss": 1.2,
        "train_accuracy": 0.55,
        "valid_loss": 1.9,
        "valid_mean_token_accuracy": 0.41,
        "steps": 3.0,
        "full_valid_loss": 1.75,
    }
    assert source.artifacts["shutdown_date"] == "2027-01-14"
    assert source.config == {"model": FT_ID, "base_url": fake.base_url, "api_key_env": "OLD_KEY"}
    assert source.hyperparameters["learning_rate_multiplier"] == 1.8
    assert source.hyperparameters["hyperparameters"]["batch_size"] == 1
    assert result.step_metrics == parse_step_metrics(RESULT_CSV.encode())
