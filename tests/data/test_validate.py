"""OpenAI's fine-tuning data checks (each pointing at file:line), token stats and cost math."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tuneloop.data.records import Document, Example, Source, write_records
from tuneloop.data.tokenstats import (
    TRAINING_PRICE_PER_MILLION,
    Distribution,
    EstimateCounter,
    ModelCounter,
    default_epochs,
    estimate_cost,
    language_of,
    percentile,
    token_stats,
    training_price,
)
from tuneloop.data.validate import validate_file
from tuneloop.errors import DataError
from tuneloop.models.testing import EchoModel

GOOD: dict[str, Any] = {
    "messages": [
        {"role": "system", "content": "당신은 서울 여행 도우미입니다."},
        {"role": "user", "content": "경복궁은 언제 쉬나요?"},
        {"role": "assistant", "content": "경복궁은 매주 화요일에 쉽니다."},
    ]
}


def msgs(*pairs: tuple[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": r, "content": c} for r, c in pairs], **extra}


def write_lines(path: Path, lines: list[Any]) -> Path:
    text = "".join(
        (x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines
    )
    path.write_text(text, encoding="utf-8")
    return path


def codes_at(report: Any, severity: str = "errors") -> set[tuple[int | None, str]]:
    return {(i.line, i.code) for i in getattr(report, severity)}


BAD_LINES: list[tuple[str, Any]] = [
    ("data_type", ["not", "an", "object"]),
    ("missing_messages_list", {"prompt": "hi", "completion": "there"}),
    ("missing_messages_list", {"messages": []}),
    (
        "message_missing_key",
        {"messages": [{"role": "user"}, {"role": "assistant", "content": "a"}]},
    ),
    (
        "message_missing_key",
        {"messages": [{"content": "q"}, {"role": "assistant", "content": "a"}]},
    ),
    (
        "message_unrecognized_key",
        {"messages": [{"role": "user", "content": "q", "lang": "ko"}, GOOD["messages"][2]]},
    ),
    ("unrecognized_role", msgs(("human", "q"), ("assistant", "a"))),
    ("unrecognized_role", msgs(("developer", "규칙"), ("user", "q"), ("assistant", "a"))),
    ("missing_content", msgs(("user", ""), ("assistant", "a"))),
    ("missing_content", msgs(("user", None), ("assistant", "a"))),
    ("invalid_content", msgs(("user", 42), ("assistant", "a"))),
    ("invalid_content", msgs(("user", "q"), ("assistant", [{"type": "text", "text": "a"}]))),
    ("invalid_content", msgs(("user", [{"type": "audio"}]), ("assistant", "a"))),
    ("example_missing_assistant_message", msgs(("system", "s"), ("user", "q"))),
    (
        "invalid_weight",
        {"messages": [{"role": "user", "content": "q", "weight": 1}, GOOD["messages"][2]]},
    ),
    (
        "invalid_weight",
        {"messages": [GOOD["messages"][1], {"role": "assistant", "content": "a", "weight": 0.5}]},
    ),
    (
        "invalid_weight",
        {"messages": [GOOD["messages"][1], {"role": "assistant", "content": "a", "weight": True}]},
    ),
    ("invalid_json", '{"messages": [}'),
]


@pytest.mark.parametrize(
    ("code", "bad"), BAD_LINES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(BAD_LINES)]
)
def test_validate_flags_each_error_on_its_line(tmp_path: Path, code: str, bad: Any) -> None:
    path = write_lines(tmp_path / "train.jsonl", [GOOD, bad, GOOD])
    report = validate_file(path)
    assert (2, code) in codes_at(report)
    assert all(i.line == 2 for i in report.errors), [str(i) for i in report.errors]
    assert not report.ok
    assert str(report.errors[0]).startswith(f"{path}:2: {code}: ")


def test_validate_accepts_a_good_file_with_zero_errors(tmp_path: Path) -> None:
    weighted = {
        "messages": [
            {"role": "system", "content": "서울 여행 도우미"},
            {"role": "user", "content": "명동 맛집?"},
            {"role": "assistant", "content": "예전 답", "weight": 0},
            {"role": "user", "content": "다시요"},
            {"role": "assistant", "content": "명동교자를 추천합니다.", "weight": 1},
        ]
    }
    parts = {
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": [{"type": "text", "text": "이 사진은 어디예요?"}]},
            {"role": "assistant", "content": "광화문입니다."},
        ]
    }
    tools = {
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "날씨?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "맑음"},
            {"role": "assistant", "content": "맑습니다."},
        ],
        "tools": [{"type": "function", "function": {"name": "w", "parameters": {}}}],
    }
    path = write_lines(tmp_path / "good.jsonl", [GOOD, weighted, parts, tools])
    report = validate_file(path)
    assert report.errors == []
    assert report.warnings == []
    assert report.format == "openai"
    assert report.stats is not None and report.stats.n_examples == 4


def test_validate_reports_an_empty_file(tmp_path: Path) -> None:
    for content in ("", "\n\n  \n"):
        path = tmp_path / "empty.jsonl"
        path.write_text(content, encoding="utf-8")
        report = validate_file(path)
        assert [(i.line, i.code) for i in report.errors] == [(None, "empty_file")]
        assert report.stats is None


def test_validate_warns_about_blank_lines_bom_and_unknown_top_level_keys(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    body = "\n".join([json.dumps(GOOD), "", json.dumps({**GOOD, "id": 3})]) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    report = validate_file(path)
    assert report.errors == []
    assert {(1, "utf8_bom"), (2, "blank_line"), (3, "unrecognized_key")} <= codes_at(
        report, "warnings"
    )


def test_validate_reports_invalid_utf8_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cp949.jsonl"
    path.write_bytes(
        json.dumps(GOOD).encode() + b"\n" + json.dumps(GOOD, ensure_ascii=False).encode("cp949")
    )
    report = validate_file(path)
    assert codes_at(report) == {(2, "invalid_utf8"), (None, "not_utf8")}
    assert report.encoding == "euc-kr"  # GOOD's Hangul is all in euc-kr, cp949's strict subset


@pytest.mark.parametrize(
    ("text", "codec", "found"),
    [
        ("경복궁은 화요일에 쉽니다.", "euc-kr", "euc-kr"),
        ("똠방각하 햏 뷁", "cp949", "cp949"),  # syllables only cp949 (Windows, Excel) has
    ],
)
def test_validate_names_a_korean_legacy_encoding_and_how_to_convert(
    tmp_path: Path, text: str, codec: str, found: str
) -> None:
    row = msgs(("user", text), ("assistant", text))
    path = tmp_path / "train.jsonl"
    path.write_bytes((json.dumps(row, ensure_ascii=False) + "\n").encode(codec) * 2)

    report = validate_file(path)

    assert report.encoding == found
    [whole] = [i for i in report.errors if i.code == "not_utf8"]
    assert whole.line is None
    assert f"2 of 2 lines are {found}, not UTF-8" in whole.message
    assert f"iconv -f {found} -t utf-8 train.jsonl > train.utf8.jsonl" in whole.message
    assert "tuneloop data ingest train.jsonl" in whole.message
    assert report.as_dict()["encoding"] == found


def test_utf8_files_and_undecodable_bytes_name_no_encoding(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x81bad\n")

    assert validate_file(good).encoding is None
    assert validate_file(binary).encoding is None
    assert "not_utf8" not in validate_file(binary).counts()


def test_validate_warns_about_missing_system_and_user_and_untrained_examples(
    tmp_path: Path,
) -> None:
    no_system = msgs(("user", "q"), ("assistant", "a"))
    no_user = msgs(("system", "s"), ("assistant", "a"))
    untrained = {
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a", "weight": 0},
        ]
    }
    report = validate_file(write_lines(tmp_path / "w.jsonl", [no_system, no_user, untrained]))
    assert report.errors == []
    assert codes_at(report, "warnings") == {
        (1, "missing_system_message"),
        (2, "missing_user_message"),
        (3, "no_trained_assistant_message"),
    }
    assert report.stats is not None
    assert (report.stats.n_missing_system, report.stats.n_missing_user) == (1, 1)


def test_validate_warns_about_examples_over_the_token_limit(tmp_path: Path) -> None:
    long = msgs(("system", "s"), ("user", "q"), ("assistant", "긴 답변 " * 100))
    report = validate_file(
        write_lines(tmp_path / "l.jsonl", [GOOD, long]), max_tokens_per_example=100
    )
    assert codes_at(report, "warnings") == {(2, "too_many_tokens")}
    assert report.stats is not None and report.stats.n_over_limit == 1


def test_validate_reads_tuneloop_record_files_with_real_line_numbers(tmp_path: Path) -> None:
    good = Example(messages=GOOD["messages"], tags=["palace"], source=Source("a.md", 3))
    bad = Example(messages=[{"role": "user", "content": "질문만 있음"}], source=Source("b.md", 1))
    path = tmp_path / "records.jsonl"
    write_records(path, [good, Document(text="문서", source=Source("c.md")), bad])
    report = validate_file(path)
    assert report.format == "tuneloop"
    assert codes_at(report) == {(3, "example_missing_assistant_message")}
    assert (2, "document_skipped") in codes_at(report, "warnings")
    assert report.stats is not None and report.stats.n_examples == 2


def test_validate_raises_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        validate_file(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    "values",
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 1, 9], [7, 7], [3, 100, 4, 18, 1, 2, 2, 60, 41]],
)
def test_percentiles_match_numpy_and_statistics(values: list[int]) -> None:
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert percentile(values, 0.1) == pytest.approx(deciles[0])
    assert percentile(values, 0.9) == pytest.approx(deciles[8])
    assert percentile(values, 0.1) == pytest.approx(float(np.quantile(values, 0.1)))
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
    dist = Distribution.of(values)
    assert dist is not None
    assert (dist.min, dist.max) == (min(values), max(values))
    assert dist.mean == pytest.approx(statistics.mean(values))


def test_percentile_of_a_single_value_and_bounds() -> None:
    assert percentile([4], 0.9) == 4
    assert percentile([1, 3], 0.0) == 1 and percentile([1, 3], 1.0) == 3
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_token_stats_tell_korean_from_english() -> None:
    korean = [
        {"role": "user", "content": "경복궁은 언제 쉬나요"},
        {"role": "assistant", "content": "화요일에 쉽니다"},
    ]
    english = [
        {"role": "user", "content": "When is the palace closed"},
        {"role": "assistant", "content": "It is closed on Tuesdays"},
    ]
    stats = token_stats([korean, english])
    ko, en = stats.chars_per_token["korean"], stats.chars_per_token["english"]
    assert ko is not None and en is not None
    assert en > 2 * ko  # English packs several characters into a token, Korean about one
    hangul = sum(1 for m in korean for ch in m["content"] if "가" <= ch <= "힣")
    visible = sum(1 for c in (*korean, *english) for ch in c["content"] if not ch.isspace())
    assert stats.hangul_share == pytest.approx(hangul / visible)
    assert stats.assistant == [
        EstimateCounter().text("화요일에 쉽니다"),
        EstimateCounter().text("It is closed on Tuesdays"),
    ]
    assert language_of("경복궁 정문 앞 gate") == "korean"
    assert language_of("Gyeongbokgung 궁") == "english"
    assert language_of("12345") is None


def test_token_stats_with_a_model_use_its_tokenizer() -> None:
    model = EchoModel(name="echo")  # counts space-separated words
    stats = token_stats([GOOD["messages"]], counter=ModelCounter(model))
    words = sum(len(m["content"].split()) for m in GOOD["messages"])
    assert stats.totals == [words]
    assert stats.assistant == [len(GOOD["messages"][2]["content"].split())]
    assert stats.exact and stats.counter == "echo"


@pytest.mark.parametrize(
    ("n", "epochs"),
    [(1, 25), (5, 20), (33, 3), (34, 3), (100, 3), (8333, 3), (8334, 2), (30000, 1)],
)
def test_default_epochs_follow_the_cookbook(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


def test_cost_is_capped_tokens_times_epochs_times_price() -> None:
    totals = [100, 250, 5000]
    cost = estimate_cost(totals, limit=1000, epochs=3, price_per_million=2.0)
    assert cost.tokens_per_epoch == 100 + 250 + 1000
    assert cost.billed_tokens == 1350 * 3
    assert cost.cost_usd == pytest.approx(1350 * 3 * 2.0 / 1_000_000)
    auto = estimate_cost(totals, limit=1000, model="gpt-4o-mini-2024-07-18")
    assert auto.epochs == 25 and auto.epochs_source == "default heuristic"  # 3 examples
    assert auto.price_per_million == TRAINING_PRICE_PER_MILLION["gpt-4o-mini"]
    assert auto.cost_usd == pytest.approx(1350 * 25 * auto.price_per_million / 1e6)
    assert estimate_cost(totals, limit=1000).cost_usd is None


def test_training_price_matches_names_snapshots_and_prefixes() -> None:
    assert training_price("gpt-4o") == ("gpt-4o", TRAINING_PRICE_PER_MILLION["gpt-4o"])
    assert training_price("gpt-4o-2024-08-06") == ("gpt-4o", TRAINING_PRICE_PER_MILLION["gpt-4o"])
    assert training_price("openai:gpt-4.1-nano")[0] == "gpt-4.1-nano"  # type: ignore[index]
    assert training_price("gpt-4.1-mini-2025-04-14")[0] == "gpt-4.1-mini"  # type: ignore[index]
    assert training_price("smollm2-135m") is None


def test_validate_file_prices_with_model_and_given_price(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", [GOOD] * 4)
    report = validate_file(path, model="gpt-4.1-mini", epochs=2)
    assert report.cost is not None and report.stats is not None
    assert report.cost.billed_tokens == sum(report.stats.totals) * 2
    assert report.cost.cost_usd == pytest.approx(report.cost.billed_tokens * 5.0 / 1e6)
    override = validate_file(path, model="gpt-4.1-mini", price_per_million=10.0, epochs=2)
    assert override.cost is not None
    assert override.cost.cost_usd == pytest.approx(report.cost.billed_tokens * 10.0 / 1e6)


def test_validate_file_counts_with_a_local_model_through_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUNELOOP_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    path = write_lines(tmp_path / "t.jsonl", [GOOD])
    report = validate_file(path, model="echo:x")  # ad-hoc spec of the test backend
    assert report.stats is not None and report.stats.exact
    assert report.stats.totals == [sum(len(m["content"].split()) for m in GOOD["messages"])]


def test_validate_checks_record_files_as_their_export_would_look(tmp_path: Path) -> None:
    messages = [
        {"role": "developer", "content": "짧게 답하세요."},
        {"role": "user", "content": "광장시장 휴무일?", "lang": "ko"},
        {"role": "assistant", "content": "대부분 일요일에 쉽니다."},
    ]
    records = tmp_path / "records.jsonl"
    write_records(records, [Example(messages=messages, source=Source("a.md", 1))])
    assert validate_file(records).errors == []  # export maps developer → system, drops "lang"
    raw = write_lines(tmp_path / "raw.jsonl", [{"messages": messages}])
    assert codes_at(validate_file(raw)) == {
        (1, "unrecognized_role"),
        (1, "message_unrecognized_key"),
    }
