"""Eval runs and the response cache in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tuneloop.errors import NotFound, StoreError
from tuneloop.store.eval_results import CaseResult, EvalRun
from tuneloop.store.eval_runs import new_run_id
from tuneloop.store.response_cache import CachedResponse

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def case(i, *, output="경복궁은 화요일에 쉽니다.", error=None, passed=True, cached=False):
    return CaseResult(
        case_id=f"h{i:02d}",
        tags=("palace", "hours"),
        messages=[{"role": "user", "content": f"질문 {i}: 경복궁은 언제 쉬나요?"}],
        output=output,
        references=("매주 화요일에 쉽니다.",),
        scores={} if error else {"token_f1": 0.25 * i, "contains": 1.0},
        details={} if error else {"token_f1": {"matched": ["화요일"], "raw": math.nan}},
        passed=False if error else passed,
        latency_ms=120.5,
        prompt_tokens=10,
        completion_tokens=7,
        cached=cached,
        error=error,
    )


def run(results, *, suite="seoul-travel", created=T0, run_id=None, model="smollm2-135m"):
    return EvalRun(
        id=run_id or new_run_id(created),
        suite=suite,
        suite_hash="a" * 64,
        model=model,
        created_at=created,
        metrics=("token_f1", "contains", "never_scored"),
        results=tuple(results),
        prompt_ref="seoul-guide@production",
        params={"temperature": 0, "seed": 7},
        meta={"wall_s": 1.5},
    )


def test_run_ids_carry_the_utc_date_and_six_hex_digits():
    run_id = new_run_id(datetime(2026, 11, 25, 23, 30, tzinfo=UTC))
    prefix, date, tail = run_id.split("-")
    assert (prefix, date, len(tail)) == ("ev", "20261125", 6)
    int(tail, 16)
    assert new_run_id() != new_run_id()


def test_saved_run_reads_back_equal_in_case_order(store):
    original = run([case(1), case(3, error="backend_error: down"), case(2, cached=True)])
    store.eval_runs.save(original)
    loaded = store.eval_runs.get(original.id)
    assert [r.case_id for r in loaded.results] == ["h01", "h03", "h02"]
    assert loaded.results[1].error == "backend_error: down"
    assert loaded.results[1].output == "경복궁은 화요일에 쉽니다."
    assert loaded.results[2].cached is True
    assert loaded.results[0].tags == ("palace", "hours")
    assert loaded.results[0].references == ("매주 화요일에 쉽니다.",)
    assert loaded.created_at == T0
    assert loaded.metrics == original.metrics
    assert loaded.prompt_ref == "seoul-guide@production"
    assert loaded.params == {"temperature": 0, "seed": 7}
    assert loaded.summary()["token_f1"] == pytest.approx(original.summary()["token_f1"])
    # NaN in metric details cannot be stored as JSON: it comes back as None.
    assert loaded.results[0].details["token_f1"] == {"matched": ["화요일"], "raw": None}


def _counts(store):
    with store.engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM eval_runs")).scalar()
        results = conn.execute(sa.text("SELECT count(*) FROM eval_results")).scalar()
    return runs, results


def test_a_run_whose_results_fail_to_serialise_leaves_no_partial_run(store, monkeypatch):
    import tuneloop.store.eval_runs as module

    real = module.case_result_to_dict
    calls = []

    def flaky(result):
        calls.append(result.case_id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(result)

    monkeypatch.setattr(module, "case_result_to_dict", flaky)
    with pytest.raises(RuntimeError):
        store.eval_runs.save(run([case(1), case(2), case(3)]))
    assert _counts(store) == (0, 0)


def test_saving_a_second_run_with_an_existing_id_fails_and_writes_nothing(store):
    first = run([case(1)])
    store.eval_runs.save(first)
    with pytest.raises(StoreError, match="already exists"):
        store.eval_runs.save(run([case(1), case(2)], run_id=first.id))
    assert _counts(store) == (1, 1)


def test_get_accepts_a_unique_prefix_of_the_id_or_of_its_random_part(store):
    first = run([case(1)], run_id="ev-20261125-ab12cd")
    second = run([case(1)], run_id="ev-20261125-ab99ff", created=T0 + timedelta(minutes=1))
    store.eval_runs.save(first)
    store.eval_runs.save(second)
    assert store.eval_runs.get("ev-20261125-ab1").id == first.id
    assert store.eval_runs.get("ab9").id == second.id
    with pytest.raises(NotFound, match="ambiguous") as err:
        store.eval_runs.get("ab")
    assert first.id in err.value.message and second.id in err.value.message


def test_unknown_run_lists_recent_runs_in_the_hint(store):
    store.eval_runs.save(run([case(1)], run_id="ev-20261125-000001"))
    with pytest.raises(NotFound) as err:
        store.eval_runs.get("ev-20250101-zzzzzz")
    assert "ev-20261125-000001" in (err.value.hint or "")


def test_unknown_run_in_an_empty_store_says_how_to_make_one(store):
    with pytest.raises(NotFound) as err:
        store.eval_runs.get("ev-1")
    assert "tuneloop eval run" in (err.value.hint or "")


def test_like_wildcards_in_a_prefix_match_literally(store):
    store.eval_runs.save(run([case(1)], run_id="ev-20261125-abcdef"))
    with pytest.raises(NotFound):
        store.eval_runs.get("ev-2026%")
    with pytest.raises(NotFound):
        store.eval_runs.get("ev-_0261125")


def test_list_is_newest_first_with_counts_and_means(store):
    older = run([case(1), case(2, passed=False)], created=T0)
    newer = run(
        [case(2, cached=True), case(4, error="timeout")],
        created=T0 + timedelta(hours=1),
        suite="other",
    )
    store.eval_runs.save(older)
    store.eval_runs.save(newer)
    listed = store.eval_runs.list()
    assert [s.id for s in listed] == [newer.id, older.id]
    top = listed[0]
    assert (top.n_cases, top.n_errors, top.n_passed, top.n_failed, top.n_cached) == (2, 1, 1, 1, 1)
    assert top.pass_rate == 0.5
    assert top.means["token_f1"] == pytest.approx(0.5)
    assert math.isnan(top.means["never_scored"])
    assert top.as_dict()["means"]["never_scored"] is None
    assert [s.id for s in store.eval_runs.list(suite="seoul-travel")] == [older.id]
    assert len(store.eval_runs.list(limit=1)) == 1


def test_latest_returns_the_newest_run_of_a_suite_or_none(store):
    assert store.eval_runs.latest() is None
    a = run([case(1)], created=T0)
    b = run([case(2)], created=T0 + timedelta(days=1), suite="other")
    store.eval_runs.save(a)
    store.eval_runs.save(b)
    assert store.eval_runs.latest().id == b.id
    latest_seoul = store.eval_runs.latest("seoul-travel")
    assert latest_seoul.id == a.id and latest_seoul.results[0].case_id == "h01"
    assert store.eval_runs.latest("nope") is None


def entry(key, output="네, 월요일에도 엽니다.", latency=80.0):
    return CachedResponse(
        key=key,
        model="tiny",
        output=output,
        finish_reason="stop",
        prompt_tokens=9,
        completion_tokens=4,
        latency_ms=latency,
    )


def test_response_cache_upserts_and_reads_many(store):
    cache = store.response_cache
    assert cache.put_many([entry("k1"), entry("k2", "Yes, it opens on Mondays.")]) == 2
    assert cache.put_many([entry("k1", "덮어쓴 답", latency=5.0)]) == 1  # same key: overwritten
    found = cache.get_many(["k1", "k2", "missing"])
    assert set(found) == {"k1", "k2"}
    assert found["k1"].output == "덮어쓴 답" and found["k1"].latency_ms == 5.0
    assert found["k2"].output == "Yes, it opens on Mondays."
    assert found["k2"].created_at is not None
    assert cache.count() == 2
    assert cache.get("missing") is None


def test_response_cache_handles_more_keys_than_one_statement_takes(store):
    cache = store.response_cache
    keys = [f"key-{i:04d}" for i in range(450)]
    cache.put_many(entry(k) for k in keys)
    assert len(cache.get_many(keys)) == 450
    assert cache.clear(model="other") == 0
    assert cache.clear() == 450
    assert cache.count() == 0


def test_a_run_keeps_what_was_typed_and_what_it_resolved_to(store):
    from dataclasses import replace

    resolved = replace(
        run([case(0), case(1)]),
        model="seoul-guide@staging",
        model_version="seoul-guide@2",
        model_hash="sha256:" + "ab12" * 16,
        meta={"model_identity": {"version_ref": "seoul-guide@2", "version": 2}},
    )
    store.eval_runs.save(resolved)
    loaded = store.eval_runs.get(resolved.id)
    assert (loaded.model, loaded.model_version, loaded.model_hash) == (
        "seoul-guide@staging", "seoul-guide@2", "sha256:" + "ab12" * 16,
    )  # fmt: skip
    assert loaded.model_label == "seoul-guide@staging → seoul-guide@2 (sha256:ab12ab12ab12…)"
    assert loaded.identity == {"version_ref": "seoul-guide@2", "version": 2}
    summary = store.eval_runs.list()[0]
    assert summary.model_version == "seoul-guide@2"
    assert summary.model_hash == resolved.model_hash
