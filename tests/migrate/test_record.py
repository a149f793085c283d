"""``migrate openai record`` against tuneloop's own server playing "OpenAI": the old fine-tune's
answers become the golden suite, once each, resumably; rate limits slow the run down."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.server import make_project
from migrate.record_fakes import (
    OpenAIPlay,
    golden_lines,
    openai_play,
    questions_file,
    rate_limited_upstream,
)
from migrate.sources import FT_ID, GOLDEN, JOB_ID, NAME, SYSTEM, seed_source
from tuneloop.data.tokenstats import inference_price, openai_counter
from tuneloop.errors import BackendError, DataError, RateLimited, UnknownReference
from tuneloop.evaluate.suite import load_suite
from tuneloop.migrate.client import connect
from tuneloop.migrate.record import (
    RecordOptions,
    golden_paths,
    record,
    record_answers,
    request_id,
    resolve_source,
)
from tuneloop.registry import Store


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    """A project as pull leaves it: seoul-guide-openai@1 (8 train, 2 validation) and the source
    model version of FT_ID."""
    settings = make_project(tmp_path / "proj")
    store = Store.from_settings(settings)
    seed_source(store, tmp_path, production=False)
    yield settings.project_dir, store
    store.close()


@pytest.fixture
def play(tmp_path: Path) -> Iterator[OpenAIPlay]:
    with openai_play(tmp_path / "openai") as server:
        yield server


def _record(project: tuple[Path, Store], play: OpenAIPlay, ref: str = NAME, **options: Any):
    folder, store = project
    dry_run = options.pop("dry_run", False)
    return record(
        ref,
        project_dir=folder,
        store=store,
        options=RecordOptions(**options),
        base_url=play.base_url,
        api_key=play.api_key,
        dry_run=dry_run,
    )


def _question(line: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(line["messages"]) if m["role"] == "user")


def test_records_the_validation_prompts_and_a_train_sample_with_usage_and_latency(project, play):
    done = _record(project, play, train_sample=5)
    yaml_path, jsonl = golden_paths(project[0], NAME)
    lines = golden_lines(jsonl)

    assert done.result is not None and done.result.recorded == len(lines) == 7
    assert len(play.chats) == 7  # one request per answer, nothing asked twice
    tags = [line["tags"] for line in lines]
    assert tags.count(["validation"]) == 2 and tags.count(["train-sample"]) == 5
    validation = {_question(line) for line in lines if line["tags"] == ["validation"]}
    assert validation == {q for q, _ in GOLDEN[8:]}
    train = {_question(line) for line in lines if line["tags"] == ["train-sample"]}
    assert train <= {q for q, _ in GOLDEN[:8]} and len(train) == 5
    for line in lines:
        prompt, answer = line["messages"][:-1], line["messages"][-1]
        assert prompt[0] == {"role": "system", "content": SYSTEM}
        assert answer == {"role": "assistant", "content": _question(line)}  # echo's answer
        assert line["id"] == request_id({**line["params"], "messages": prompt})
        assert line["source_model"] == FT_ID
        assert line["params"] == {"model": FT_ID, "temperature": 0.0, "seed": 0}
        usage = line["usage"]
        assert usage["prompt_tokens"] > 0
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        assert line["latency_ms"] > 0 and line["finish_reason"] == "stop"
        assert line["where"].startswith("seoul-guide-openai@1:")

    suite = load_suite(yaml_path)
    assert suite.name == f"{NAME}-golden" and not suite.metrics
    assert suite.params.temperature == 0.0 and suite.params.seed == 0
    by_id = {case.id: case for case in suite.cases}
    assert set(by_id) == {line["id"] for line in lines}
    for line in lines:
        case = by_id[line["id"]]
        assert case.references == (line["messages"][-1]["content"],)
        assert list(case.messages or ()) == line["messages"][:-1]
        assert case.meta["source_model"] == FT_ID


def test_the_source_is_found_by_name_ft_id_or_job_and_brings_its_dataset_and_server(project):
    _, store = project
    by_name = resolve_source(store, NAME)
    assert by_name == resolve_source(store, FT_ID) == resolve_source(store, JOB_ID)
    assert by_name.ft_id == FT_ID and by_name.dataset == "seoul-guide-openai@1"
    assert by_name.base_url is None  # OpenAI itself: the account's default
    remote_id = "ft:gpt-4o-mini-2024-07-18:acme:remote:R1"
    store.models.register_version(
        "remote", model_id=remote_id, backend="openai",
        config={"model": remote_id, "base_url": "http://gateway.internal/v1"},
        base_model="gpt-4o-mini-2024-07-18", author="test", artifacts={"source": True},
    )  # fmt: skip
    remote = resolve_source(store, "remote")
    assert remote.base_url == "http://gateway.internal/v1" and remote.dataset is None
    with pytest.raises(UnknownReference, match="migrate openai pull nobody"):
        resolve_source(store, "nobody")


def test_a_second_run_sends_nothing_and_leaves_the_file_as_it_was(project, play):
    _record(project, play, train_sample=3)
    jsonl = golden_paths(project[0], NAME)[1]
    before, asked = jsonl.read_bytes(), len(play.chats)

    again = _record(project, play, train_sample=3)

    assert again.result is not None
    assert again.result.recorded == 0 and again.result.already == 5
    assert again.plan.to_send == 0 and again.plan.already == 5
    assert len(play.chats) == asked and jsonl.read_bytes() == before


def test_a_prompt_given_by_two_sources_is_recorded_once_under_the_first(project, play, tmp_path):
    mine = tmp_path / "mine.jsonl"
    duplicate = {"system": SYSTEM, "question": GOLDEN[8][0]}  # = a validation prompt
    own = {"question": "덕수궁 돌담길은 어디예요?", "tags": ["walk"]}
    mine.write_text(
        "\n".join(json.dumps(o, ensure_ascii=False) for o in (duplicate, own)) + "\n", "utf-8"
    )

    done = _record(project, play, train_sample=0, prompt_files=(mine,))

    assert done.plan.duplicates == 1
    assert done.plan.sources == {"validation": 2, "user:mine": 1}
    lines = golden_lines(golden_paths(project[0], NAME)[1])
    tags = {_question(line): line["tags"] for line in lines}
    assert tags[GOLDEN[8][0]] == ["validation"]
    assert tags["덕수궁 돌담길은 어디예요?"] == ["user:mine", "walk"]
    assert len(lines) == len(play.chats) == 3


def test_a_torn_last_line_is_dropped_and_its_prompt_asked_again(project, play):
    _record(project, play, train_sample=4)
    jsonl = golden_paths(project[0], NAME)[1]
    whole = golden_lines(jsonl)
    raw = jsonl.read_bytes()
    jsonl.write_bytes(raw[: raw.rindex(b"\n", 0, len(raw) - 1) + 1] + raw[-40:-1][:20])

    again = _record(project, play, train_sample=4)

    lines = golden_lines(jsonl)  # every line whole again
    assert again.result is not None and again.result.recorded == 1
    assert sorted(line["id"] for line in lines) == sorted(line["id"] for line in whole)
    assert len(play.chats) == len(whole) + 1


def test_dry_run_sends_nothing_and_prices_exact_input_and_capped_output(project, play):
    done = _record(project, play, train_sample=8, max_tokens=3, dry_run=True)

    assert done.result is None and len(play.chats) == 0
    yaml_path, jsonl = golden_paths(project[0], NAME)
    assert not jsonl.exists() and not yaml_path.exists()
    plan = done.plan
    counter = openai_counter("gpt-4o-mini-2024-07-18")
    prompts = [
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}] for q, _ in GOLDEN
    ]
    assert plan.to_send == 10 and plan.exact and plan.counter == counter.name
    assert plan.input_tokens == sum(counter.chat(p) for p in prompts)
    assert plan.output_tokens == sum(min(counter.text(a), 3) for _, a in GOLDEN)
    family, price_in, price_out = inference_price(FT_ID) or ("", 0.0, 0.0)
    assert plan.price == (family, price_in, price_out) and family == "gpt-4o-mini"
    expected = (plan.input_tokens * price_in + plan.output_tokens * price_out) / 1_000_000
    assert plan.cost_usd == pytest.approx(expected)


def test_limit_takes_the_first_distinct_prompts_and_a_later_run_adds_the_rest(project, play):
    first = _record(project, play, train_sample=8, limit=4)
    rest = _record(project, play, train_sample=8)

    assert first.result is not None and first.result.recorded == 4
    assert first.plan.sources == {"validation": 2, "train-sample": 2}
    assert rest.result is not None and rest.result.recorded == 6 and rest.result.already == 4
    assert len(golden_lines(golden_paths(project[0], NAME)[1])) == len(play.chats) == 10


def test_other_params_do_not_mix_into_an_existing_golden_suite(project, play):
    _record(project, play, train_sample=1)
    with pytest.raises(
        DataError, match=r"golden\.jsonl:1: holds answers of .*\"temperature\": 0\.7"
    ):
        _record(project, play, train_sample=1, temperature=0.7)


def test_an_unpulled_fine_tune_records_prompt_files_only(tmp_path, play):
    settings = make_project(tmp_path / "empty")
    questions = questions_file(tmp_path / "qs.jsonl", 3)
    with Store.from_settings(settings) as store:
        with pytest.raises(UnknownReference, match="pull ft:"):
            _record((settings.project_dir, store), play, ref=FT_ID)
        done = _record((settings.project_dir, store), play, ref=FT_ID, prompt_files=(questions,))

    assert done.source.name == "seoul-guide"  # the ft id's suffix
    assert any("no pulled dataset seoul-guide-openai" in note for note in done.plan.notes)
    lines = golden_lines(golden_paths(settings.project_dir, "seoul-guide")[1])
    assert [line["tags"] for line in lines] == [["user:qs"]] * 3


def test_stop_finishes_the_requests_in_flight_and_writes_them(project, tmp_path):
    questions = questions_file(tmp_path / "qs.jsonl", 40)
    stop = threading.Event()
    with openai_play(tmp_path / "slow", delay=0.05) as slow:

        def progress(stage: str, done: int, total: int) -> None:
            if done >= 3:
                stop.set()

        done = record(
            NAME,
            project_dir=project[0],
            store=project[1],
            options=RecordOptions(
                validation=False, train_sample=0, prompt_files=(questions,), concurrency=4
            ),
            base_url=slow.base_url,
            api_key=slow.api_key,
            stop=stop,
            progress=progress,
        )
        time.sleep(0.2)  # anything still sent would have reached the server by now
        asked = len(slow.chats)

    assert done.result is not None and done.result.interrupted
    lines = golden_lines(golden_paths(project[0], NAME)[1])
    assert 3 <= len(lines) < 40
    assert len(lines) == asked == done.result.recorded  # every request sent was written


# --------------------------------------------------------------------------- rate limits


def _direct(folder: Path, url: str, questions: Path, **options: Any):
    """record_answers with the SDK's own retries off, so 429s reach the run's pause."""
    source = resolve_source(None, FT_ID, name="limits")
    account = connect(base_url=url, api_key="sk-test", max_retries=0)
    options = {"validation": False, "train_sample": 0, "prompt_files": (questions,), **options}
    return record_answers(account, source, RecordOptions(**options), project_dir=folder, store=None)


def test_a_429_that_gets_through_pauses_every_worker_until_retry_after(tmp_path):
    questions = questions_file(tmp_path / "qs.jsonl", 30)
    with rate_limited_upstream(limited=1, retry_after="1", delay=0.02) as upstream:
        result = _direct(tmp_path, upstream.url, questions, concurrency=3)

    assert result.recorded == 30 and result.pauses == 1 and not result.failures
    limited_at, _, limited_question = upstream.arrivals[0]
    assert upstream.arrivals[0][1] == 429
    retried = [t for t, status, q in upstream.arrivals[1:] if q == limited_question]
    assert retried and retried[0] - limited_at >= 1.0
    # Every worker waited: nothing reached the upstream while the pause was in force.
    during = [t for t, _, _ in upstream.arrivals if limited_at + 0.15 < t < limited_at + 0.95]
    assert during == []
    lines = golden_lines(golden_paths(tmp_path, "limits")[1])
    assert len({line["id"] for line in lines}) == 30


def test_the_sdk_retries_honour_retry_after_before_the_run_has_to_pause(tmp_path, monkeypatch):
    questions = questions_file(tmp_path / "qs.jsonl", 2)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with rate_limited_upstream(limited=1, retry_after="1") as upstream:
        done = record(
            FT_ID,
            project_dir=tmp_path,
            store=None,
            options=RecordOptions(
                validation=False, train_sample=0, prompt_files=(questions,), concurrency=1
            ),
            base_url=upstream.url,
        )

    assert done.result is not None and done.result.recorded == 2 and done.result.pauses == 0
    (first, status, question), (second, _, again) = upstream.arrivals[:2]
    assert status == 429 and again == question and second - first >= 1.0
    lines = golden_lines(golden_paths(tmp_path, "seoul-guide")[1])
    assert [line.get("retries") for line in lines if _question(line) == question] == [1]


def test_insufficient_quota_stops_the_run_and_keeps_what_was_recorded(tmp_path):
    questions = questions_file(tmp_path / "qs.jsonl", 5)
    with (
        rate_limited_upstream(limited=1000, code="insufficient_quota") as upstream,
        pytest.raises(RateLimited) as caught,
    ):
        _direct(tmp_path, upstream.url, questions, concurrency=1)

    assert len(upstream.arrivals) == 1  # no retry: quota is not a rate limit
    assert "run the same command again" in (caught.value.hint or "")


def test_a_refused_prompt_is_reported_and_asked_again_next_time(tmp_path):
    questions = questions_file(tmp_path / "qs.jsonl", 4)
    refused = json.loads(questions.read_text("utf-8").splitlines()[2])["question"]
    with rate_limited_upstream(limited=0, refuse=frozenset({refused})) as upstream:
        first = _direct(tmp_path, upstream.url, questions)
        second = _direct(tmp_path, upstream.url, questions)

    assert first.recorded == 3 and [f.where for f in first.failures] == [f"{questions}:3"]
    assert "too long" in first.failures[0].message
    assert second.recorded == 0 and second.already == 3 and len(second.failures) == 1


def test_an_answer_without_choices_stops_the_run_instead_of_losing_a_worker(tmp_path):
    questions = questions_file(tmp_path / "qs.jsonl", 6)
    with (
        rate_limited_upstream(limited=0, empty=True) as upstream,
        pytest.raises(BackendError, match=r"Unexpected answer .*qs\.jsonl:") as caught,
    ):
        _direct(tmp_path, upstream.url, questions, concurrency=2)

    assert "run the same command again" in (caught.value.hint or "")
    assert golden_lines(golden_paths(tmp_path, "limits")[1]) == []


def test_personal_information_is_redacted_before_the_golden_file_is_written(tmp_path, play):
    settings = make_project(tmp_path / "empty")
    questions = tmp_path / "pii.jsonl"
    questions.write_text(
        json.dumps({"question": "예약자 번호 010-2345-6789 로 확인해 주세요."}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    with Store.from_settings(settings) as store:
        _record((settings.project_dir, store), play, ref=FT_ID, prompt_files=(questions,))

    path = golden_paths(settings.project_dir, "seoul-guide")[1]
    text = path.read_text(encoding="utf-8")
    assert "010-2345-6789" not in text
    [line] = golden_lines(path)
    user, answer = line["messages"][-2]["content"], line["messages"][-1]["content"]
    assert "<PHONE>" in user and "<PHONE>" in answer  # the echo upstream said it back
