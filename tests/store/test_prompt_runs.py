"""Prompt runs are stored whole (run + every case) or not at all, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tuneloop.errors import NotFound


def result(i, output="답", error=None):
    return {
        "index": i,
        "variables": {"count": i, "place": "경복궁"},
        "messages": [{"role": "user", "content": f"질문 {i}"}],
        "tags": ["palace"],
        "output": output,
        "finish_reason": "stop" if output else None,
        "prompt_tokens": 5,
        "completion_tokens": 2,
        "latency_ms": 12.5,
        "error": error,
    }


def save(store, results, name="seoul-guide"):
    return store.prompt_runs.save(
        prompt_ref=f"{name}@1",
        prompt_name=name,
        prompt_version=1,
        prompt_hash="a" * 64,
        model="tiny",
        params={"temperature": 0},
        results=results,
    )


def test_run_and_results_round_trip(store):
    run_id = save(store, [result(1), result(0), result(2, None, "boom")])
    run = store.prompt_runs.get(run_id)
    assert (run.n_cases, run.n_errors, run.prompt_version) == (3, 1, 1)
    results = store.prompt_runs.results(run_id)
    assert [r.index for r in results] == [0, 1, 2]
    assert results[0].variables == {"count": 0, "place": "경복궁"}
    assert results[2].error == "boom" and results[2].output is None
    assert results[1].tags == ["palace"] and results[1].latency_ms == 12.5


def test_a_failing_result_leaves_no_partial_run(store):
    with pytest.raises(sa.exc.IntegrityError):
        save(store, [result(0), result(0)])  # duplicate case index violates the unique key
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM prompt_runs")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM prompt_run_results")).scalar() == 0


def test_list_filters_by_prompt_newest_first(store):
    first = save(store, [result(0)], "a")
    second = save(store, [result(0)], "b")
    third = save(store, [result(0)], "a")
    assert [r.id for r in store.prompt_runs.list(prompt_name="a")] == [third, first]
    assert {r.id for r in store.prompt_runs.list()} == {first, second, third}
    assert len(store.prompt_runs.list(limit=1)) == 1


def test_unknown_run_is_not_found(store):
    with pytest.raises(NotFound):
        store.prompt_runs.get("prun_nope")
