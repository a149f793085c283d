"""The whole provider exit, as a team would run it: ``tuneloop migrate openai`` inventory → pull →
record → retrain → parity → promote → switch, against tuneloop's own server playing "OpenAI"
(files and fine-tuning API, two finished jobs whose ``ft:`` models really answer), and at the end
the application's unchanged code — the official ``openai`` SDK naming the old ``ft:`` model — is
answered by the local model through the user's own tuneloop server.

Two servers on real sockets, two stores: the "OpenAI" account (``seeded_openai``) and the user's
project, whose server the application switches to. They must be different servers, or the route
of the old name would loop back to "OpenAI".
"""

from __future__ import annotations

import json

import openai
import pytest

from fixtures.server import create_key, run_server
from migrate.openai_fakes import seeded_openai
from tuneloop.config import load_settings
from tuneloop.models.catalog import Catalog
from tuneloop.models.types import Message, SamplingParams
from tuneloop.registry import Store
from tuneloop.serve.app import create_app

pytestmark = pytest.mark.slow

QUESTIONS = [
    "경복궁은 언제 쉬나요?",
    "명동에서 홍대까지 지하철로 어떻게 가요?",
    "What time does Namsan Tower close?",
    "북촌 한옥마을 관람 시간이 있나요?",
    "Is the Seoul City Pass worth it?",
]


@pytest.fixture(scope="module")
def account(tmp_path_factory, tiny_model_dir):
    with seeded_openai(tmp_path_factory.mktemp("openai"), tiny_model_dir) as seeded:
        yield seeded


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_inventory_pull_record_retrain_parity_promote_switch(
    invoke, project, account, tiny_model_dir, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", account.api_key)
    remote = ("--base-url", account.base_url)
    ft_id = account.job_a.fine_tuned_model
    with Store.from_settings(load_settings(project)) as store:
        store.registrations.register("tiny", "local", {"path": str(tiny_model_dir)})

    def migrate(*args: str):
        return invoke("--project", project, "migrate", "openai", *args)

    # 1. inventory: both finished jobs and their models, with their settings.
    inventory = _json(migrate("inventory", *remote, "--json"))
    jobs = {job["id"]: job for job in inventory["jobs"]}
    assert set(jobs) >= {account.job_a.id, account.job_b.id}
    assert jobs[account.job_a.id]["fine_tuned_model"] == ft_id
    assert jobs[account.job_a.id]["hyperparameters"]["n_epochs"] == 2

    # 2. pull: data, metrics and the source model; a second pull downloads nothing.
    pulled = _json(migrate("pull", account.job_a.id, *remote, "--json"))
    downloads = account.downloads.count()
    again = migrate("pull", account.job_a.id, *remote, "--json")
    assert again.exit_code == 0, again.output
    assert account.downloads.count() == downloads
    name = "support"
    with Store.from_settings(load_settings(project)) as store:
        source = store.models.get(ft_id)
        assert (source.name, source.version, source.backend) == (name, 1, "openai")
        assert store.models.aliases(name) == {"production": 1}
        dataset = store.datasets.get(f"{name}-openai@latest")
        assert dataset.version == 1 and set(dataset.splits) == {"train", "validation"}
    [job] = pulled
    assert (job["dataset"], job["source"], job["production_set"]) == (
        f"{name}-openai@1",
        f"{name}@1",
        True,
    )
    assert job["pii"]["counts"] == {"PHONE": 1} and job["pii"]["redacted"]
    assert {f["role"] for f in job["files"]} == {"training", "validation", "result"}

    # 3. record: the old fine-tune's own answers become the golden suite — the pulled prompts
    # plus the team's own question file.
    extra = project / "app-questions.jsonl"
    extra.write_text(
        "".join(json.dumps({"question": q}, ensure_ascii=False) + "\n" for q in QUESTIONS),
        encoding="utf-8",
    )
    record = ("record", ft_id, *remote, "--prompts", str(extra), "--max-tokens", "12", "--json")
    assert _json(migrate(*record))
    golden = project / "migrate" / name / "golden.jsonl"
    lines = [json.loads(line) for line in golden.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4 + len(QUESTIONS)  # the validation prompt, 3 training prompts, the file
    tags = {tag for line in lines for tag in line["tags"]}
    assert tags == {"validation", "train-sample", "user:app-questions"}
    assert all(line["source_model"] == ft_id for line in lines)
    assert all(line["usage"]["completion_tokens"] > 0 for line in lines)
    _json(migrate(*record))
    assert len(golden.read_text(encoding="utf-8").splitlines()) == len(lines)  # none asked twice

    # 4. retrain: the same name's next version, trained here on the pulled data.
    retrained = _json(migrate("retrain", name, "--base", "tiny", "--steps", "2", "--json"))
    assert retrained["registered"] == [f"{name}@2"]

    # Production is protected: the local version cannot take it without evidence.
    refused = invoke("--project", project, "models", "promote", f"{name}@2", "--to", "production")
    assert refused.exit_code != 0

    # 5. parity: the agreement report, and its passing gate is the evidence production needs.
    # (The tiny random models both answer with runs of newlines, so they agree; what a failing
    # gate does is tested in tests/migrate/test_parity.py with answers that differ.)
    parity = _json(migrate("parity", name, "--gate", "0.9", "--json"))
    assert parity["agreement"]["n"] == len(lines) and parity["agreement"]["low"] >= 0.9
    assert (project / "migrate" / name / "parity.html").is_file()
    promoted = invoke("--project", project, "models", "promote", f"{name}@2", "--to", "production")
    assert promoted.exit_code == 0, promoted.output

    # 6. switch: the application's code is unchanged but for base_url; the old name answers
    # from the local version.
    settings = load_settings(project)
    with (
        Store.from_settings(settings) as store,
        run_server(create_app(settings, store=store)) as url,
    ):
        switched = _json(migrate("switch", name, "--server-url", url, "--json"))
        assert switched["base_url"] == url + "/v1"
        key = create_key(store, "chat")
        app_client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
        question = [{"role": "user", "content": "남산서울타워 가는 방법 알려 주세요."}]
        reply = app_client.chat.completions.create(
            model=ft_id, messages=question, temperature=0, max_tokens=12, seed=0
        )
        local = Catalog(settings, store).get(f"{name}@2")
        expected = local.generate(
            [Message("user", question[0]["content"])],
            SamplingParams(temperature=0.0, max_tokens=12, seed=0),
        )
        assert reply.model == ft_id
        assert reply.choices[0].message.content == expected.text
        assert ft_id in {m.id for m in app_client.models.list()}
        # Served by the local version (backend `local`), not forwarded to the old account.
        assert app_client.models.retrieve(ft_id).owned_by == "local"
