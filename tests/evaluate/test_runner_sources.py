"""A suite whose prompt retrieves: each case carries and stores the sources its answer was given,
and the response cache keys on the index's content."""

from __future__ import annotations

from pathlib import Path

from tuneloop.evaluate.cache import ResponseCache
from tuneloop.evaluate.runner import run_suite_sync
from tuneloop.evaluate.suite import load_suite
from tuneloop.models.testing import EchoModel
from tuneloop.registry import Store

PROMPT = """\
name: grounded
system: 당신은 서울 여행 안내원입니다.
context:
  - name: 관광 자료
    retrieve: {index: ../docs, k: 2}
variables:
  question: {required: true}
user: "{{ question }}"
"""

SUITE = """\
name: grounded-suite
prompt: grounded.yaml
params: {temperature: 0, max_tokens: 50}
metrics:
  - {name: language_match}
cases:
  - {id: palace, input: "경복궁은 언제 쉬나요?"}
  - {id: tower, input: "남산서울타워 전망대는 몇 시에 여나요?"}
  - {id: nothing, input: 양자 색역학}
"""


def _suite_dir(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gyeongbokgung.md").write_text(
        "# 경복궁\n\n경복궁은 화요일에 쉽니다.\n", encoding="utf-8"
    )
    (docs / "namsan.md").write_text(
        "# 남산서울타워\n\n남산서울타워 전망대는 오전 10시에 문을 엽니다.\n", encoding="utf-8"
    )
    evals = tmp_path / "evals"
    evals.mkdir()
    (evals / "grounded.yaml").write_text(PROMPT, encoding="utf-8")
    (evals / "suite.yaml").write_text(SUITE, encoding="utf-8")
    return evals


def test_eval_cases_carry_the_retrieved_passages(tmp_path: Path) -> None:
    suite = load_suite(_suite_dir(tmp_path) / "suite.yaml")
    cases = {c.id: c for c in suite.eval_cases()}
    assert [h.passage.source for h in cases["palace"].sources] == ["docs/gyeongbokgung.md"]
    assert [h.passage.source for h in cases["tower"].sources] == ["docs/namsan.md"]
    assert cases["nothing"].sources == ()
    assert "index_hashes" in cases["palace"].meta
    expected = "[1] # 경복궁\n\n경복궁은 화요일에 쉽니다. (docs/gyeongbokgung.md:1)"
    assert expected in cases["palace"].messages[0]["content"]


def test_an_eval_run_stores_each_answers_sources(tmp_path: Path, store: Store) -> None:
    suite = load_suite(_suite_dir(tmp_path) / "suite.yaml")
    run = run_suite_sync(suite, EchoModel(), store=store)
    store.eval_runs.save(run)
    loaded = {r.case_id: r for r in store.eval_runs.get(run.id).results}
    palace = loaded["palace"].sources
    assert [(s["id"], s["source"], s["line"]) for s in palace] == [(1, "docs/gyeongbokgung.md", 1)]
    assert palace[0]["score"] > 0 and "화요일" in palace[0]["text"]
    assert loaded["nothing"].sources == []
    indexes = store.eval_runs.get(run.id).meta["indexes"]
    assert list(indexes) == ["../docs"] and indexes["../docs"].startswith("sha256:")


def test_a_changed_index_is_not_served_the_old_cached_answers(tmp_path: Path, store: Store) -> None:
    folder = _suite_dir(tmp_path)
    cache = ResponseCache.from_store(store)
    first = run_suite_sync(load_suite(folder / "suite.yaml"), EchoModel(), cache=cache)
    again = run_suite_sync(load_suite(folder / "suite.yaml"), EchoModel(), cache=cache)
    assert first.meta["cached"] == 0 and again.meta["cached"] == 3
    # Same passages shown for "palace" and "tower", but the index now holds another document:
    (tmp_path / "docs" / "bibimbap.md").write_text(
        "# 비빔밥\n\n비빔밥은 나물과 고추장을 비벼 먹습니다.\n", encoding="utf-8"
    )
    changed = run_suite_sync(load_suite(folder / "suite.yaml"), EchoModel(), cache=cache)
    assert changed.meta["cached"] == 0
