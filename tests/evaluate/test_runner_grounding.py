"""The whole grounded path: a suite whose prompt retrieves, scored by faithfulness and
context_recall in the runner, stored, and shown in the report — only where sources exist."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tuneloop.evaluate.report import report_html, summarize
from tuneloop.evaluate.runner import run_suite_sync
from tuneloop.evaluate.suite import load_suite
from tuneloop.models.canned import CannedReplyModel, last_user_message
from tuneloop.models.types import Message
from tuneloop.registry import Store

PROMPT = """\
name: grounded
system: 당신은 서울 여행 안내원입니다. 자료에 있는 내용만 답하세요.
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
params: {temperature: 0, max_tokens: 80}
metrics: [faithfulness, context_recall]
cases:
  - {id: palace, input: "경복궁은 언제 쉬나요?", facts: [화요일]}
  - {id: fee, input: "경복궁 입장료는 얼마예요?", facts: [3000원]}
  - {id: nothing, input: 양자 색역학, facts: [쿼크]}
"""

ANSWERS = {
    "경복궁은 언제 쉬나요?": "경복궁은 매주 화요일에 쉽니다. 즐거운 여행 되세요!",
    "경복궁 입장료는 얼마예요?": "입장료는 3,000원이에요. 외국인은 50% 할인돼요.",
}


class ByQuestion(CannedReplyModel):
    """Answers each question with its scripted reply, whatever order the runner uses."""

    def _reply(self, messages: Sequence[Message]) -> str:
        return ANSWERS.get(last_user_message(messages), "잘 모르겠어요.")


def suite_dir(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gyeongbokgung.md").write_text(
        "# 경복궁\n\n경복궁은 매주 화요일에 쉽니다. 입장료는 성인 3,000원입니다.\n",
        encoding="utf-8",
    )
    (docs / "namsan.md").write_text(
        "# 남산서울타워\n\n남산서울타워 전망대는 오전 10시에 문을 엽니다.\n", encoding="utf-8"
    )
    evals = tmp_path / "evals"
    evals.mkdir()
    (evals / "grounded.yaml").write_text(PROMPT, encoding="utf-8")
    (evals / "suite.yaml").write_text(SUITE, encoding="utf-8")
    return evals


def test_a_retrieving_suite_is_scored_stored_and_reported(tmp_path: Path, store: Store) -> None:
    suite = load_suite(suite_dir(tmp_path) / "suite.yaml")
    run = run_suite_sync(suite, ByQuestion("scripted-rag"), store=store)
    store.eval_runs.save(run)
    results = {r.case_id: r for r in store.eval_runs.get(run.id).results}

    assert results["palace"].scores == {"faithfulness": 1.0, "context_recall": 1.0}
    fee = results["fee"]
    assert fee.scores == {"faithfulness": 0.5, "context_recall": 1.0}
    assert [u["sentence"] for u in fee.details["faithfulness"]["unsupported"]] == [
        "외국인은 50% 할인돼요."
    ]
    assert fee.details["faithfulness"]["supported"][0]["sources"] == [1]
    # retrieval found nothing for this case: neither metric scores it
    assert results["nothing"].sources == []
    assert "skipped" in results["nothing"].details["faithfulness"]
    assert "skipped" in results["nothing"].details["context_recall"]

    report = summarize(store.eval_runs.get(run.id))
    assert [g.case_id for g in report.grounded] == ["fee", "palace"]
    html = report_html(report)
    assert '<mark class="unsupported">외국인은 50% 할인돼요.</mark>' in html
    assert 'data-case="nothing"' not in html.split('id="grounding"', 1)[1].split("</table>")[0]
