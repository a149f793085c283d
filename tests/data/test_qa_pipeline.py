"""`data qa` as one step: documents become pairs in place, conversations pass through."""

from __future__ import annotations

import json

import pytest

from tuneloop.data.qa.pipeline import build_qa
from tuneloop.data.records import Document, Example, Source
from tuneloop.errors import InvalidRequest
from tuneloop.models.testing import ScriptedModel

PALACE = Document("# 경복궁\n- 휴무일: 매주 화요일\n", Source("docs/palace.md", 1))
MARKET = Document("# 광장시장\n- 영업 시간: 09:00~23:00\n", Source("docs/market.md", 1))
CHAT = Example(
    [
        {"role": "user", "content": "명동에서 남산 가는 법?"},
        {"role": "assistant", "content": "케이블카를 타세요."},
        {"role": "user", "content": "얼마예요?"},
        {"role": "assistant", "content": "자료에 없습니다."},
    ],
    Source("chats/kakao.txt", 12),
    tags=["chat"],
)


def test_conversations_pass_through_unchanged_between_document_pairs():
    result = build_qa([PALACE, CHAT, MARKET], method="rules")
    out = result.output()
    assert out[1] is CHAT
    assert [str(e.source) for e in out] == [
        "docs/palace.md:2",
        "chats/kakao.txt:12",
        "docs/market.md:2",
    ]
    assert result.documents == 2
    assert result.passed == [CHAT]
    assert result.generators() == {"rules:kv": {"kept": 2, "flagged": 0}}


def test_both_methods_put_rule_pairs_first_for_each_document():
    reply = json.dumps(
        {"pairs": [{"question": "쉬는 날은?", "answer": "매주 화요일입니다."}]}, ensure_ascii=False
    )
    result = build_qa([PALACE], method="both", rules=["kv"], model=ScriptedModel([reply], name="m"))
    assert [e.meta["generator"] for e in result.output()] == ["rules:kv", "llm:m"]


def test_llm_method_without_a_model_is_refused():
    with pytest.raises(InvalidRequest, match="needs a model"):
        build_qa([PALACE], method="llm")


def test_failures_from_the_llm_are_collected():
    result = build_qa([PALACE, MARKET], method="llm", model=ScriptedModel(["모르겠어요"]))
    assert sorted(str(f.source) for f in result.failures) == [
        "docs/market.md:1",
        "docs/palace.md:1",
    ]
    assert result.output() == []
