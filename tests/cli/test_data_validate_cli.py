"""``tuneloop data validate``: errors by file:line, token stats, cost, and exit codes for CI."""

from __future__ import annotations

import json
from pathlib import Path

from tuneloop.data.records import Example, Source, write_records

GOOD = {
    "messages": [
        {"role": "system", "content": "당신은 서울 여행 도우미입니다."},
        {"role": "user", "content": "북촌한옥마을은 몇 시까지 방문할 수 있나요?"},
        {"role": "assistant", "content": "주민 생활을 위해 오전 10시부터 오후 5시까지 방문하세요."},
    ]
}


def jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_validate_good_file_exits_0_and_shows_stats_and_prices(invoke, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "train.jsonl", [GOOD] * 3)
    result = invoke("data", "validate", path)
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.stdout
    assert "p10" in result.stdout and "p90" in result.stdout
    assert "gpt-4o-mini" in result.stdout  # the price table when no model or price is given
    assert "25 epochs" in result.stdout  # 3 examples → the cookbook raises epochs to 25


def test_validate_bad_lines_exit_1_with_file_and_line(invoke, tmp_path: Path) -> None:
    bad = {"messages": [{"role": "user", "content": "질문만 있어요"}]}
    path = jsonl(tmp_path / "train.jsonl", [GOOD, bad, {"messages": [{"role": "bot"}]}])
    result = invoke("data", "validate", path, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    errors = {(e["line"], e["code"]) for e in data["files"][0]["errors"]}
    assert (2, "example_missing_assistant_message") in errors
    assert {(3, "message_missing_key"), (3, "unrecognized_role")} <= errors
    table = invoke("data", "validate", "train.jsonl")  # cwd is tmp_path
    assert table.exit_code == 1
    assert "train.jsonl:2" in table.stdout and "example_missing_assistant_message" in table.stdout


def test_validate_prices_with_model_epochs_and_override(invoke, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "train.jsonl", [GOOD] * 10)
    result = invoke("data", "validate", path, "--model", "gpt-4.1-nano", "--epochs", "2", "--json")
    assert result.exit_code == 0, result.output
    cost = json.loads(result.stdout)["files"][0]["cost"]
    assert cost["epochs"] == 2 and cost["price_per_million"] == 1.5
    assert cost["cost_usd"] == round(cost["billed_tokens"] * 1.5 / 1e6, 6)
    override = invoke(
        "data", "validate", path, "--price-per-million", "4", "--max-tokens", "20", "--json"
    )
    data = json.loads(override.stdout)["files"][0]
    assert data["cost"]["price_per_million"] == 4.0
    assert data["cost"]["tokens_per_epoch"] == 20 * 10  # every example capped at the limit
    assert data["stats"]["n_over_limit"] == 10
    assert {w["code"] for w in data["warnings"]} == {"too_many_tokens"}


def test_validate_counts_with_a_local_models_tokenizer(invoke, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "train.jsonl", [GOOD])
    result = invoke("data", "validate", path, "--model", "echo:test", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)["files"][0]["stats"]
    assert stats["exact"] is True and stats["counter"] == "echo:test"
    words = sum(len(m["content"].split()) for m in GOOD["messages"])
    assert stats["total_tokens"]["max"] == words


def test_validate_several_files_including_a_record_file(invoke, tmp_path: Path) -> None:
    good = jsonl(tmp_path / "a.jsonl", [GOOD])
    records = tmp_path / "examples.jsonl"
    write_records(records, [Example(messages=GOOD["messages"], source=Source("a.md", 1))])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = invoke("data", "validate", good, records, empty, "--json")
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert [f["format"] for f in files] == ["openai", "tuneloop", "openai"]
    assert [f["ok"] for f in files] == [True, True, False]
    assert files[2]["errors"][0]["code"] == "empty_file"


def test_validate_missing_file_is_a_data_error(invoke, tmp_path: Path) -> None:
    result = invoke("data", "validate", tmp_path / "missing.jsonl")
    assert result.exit_code != 0
    assert "no such file" in str(result.exception)


def test_validate_a_cp949_file_names_the_encoding_and_its_fix_works(
    invoke, tmp_path: Path, monkeypatch
) -> None:
    row = {"messages": [{"role": "user", "content": "똠방각하가 뭐예요?"}, *GOOD["messages"][2:]]}
    path = tmp_path / "train.jsonl"
    path.write_bytes((json.dumps(row, ensure_ascii=False) + "\n").encode("cp949") * 3)

    result = invoke("data", "validate", path)

    assert result.exit_code == 1
    assert "cp949, not UTF-8" in result.stdout
    assert "iconv -f cp949 -t utf-8" in " ".join(result.stdout.split())

    # The tuneloop way the message offers (no iconv on Windows) gives a file that validates.
    monkeypatch.chdir(tmp_path)
    assert invoke("data", "ingest", "train.jsonl", "-o", "train.records.jsonl").exit_code == 0
    exported = invoke("data", "export", "train.records.jsonl", "-o", "train.utf8.jsonl")
    assert exported.exit_code == 0, exported.output
    fixed = invoke("data", "validate", "train.utf8.jsonl")
    assert fixed.exit_code == 0, fixed.output
    assert "똠방각하" in (tmp_path / "train.utf8.jsonl").read_text(encoding="utf-8")


def test_validate_says_which_token_counter_it_used(invoke, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "train.jsonl", [GOOD] * 3)
    default = invoke("data", "validate", path)
    assert "exact, o200k_base" in default.stdout and "(estimate)" not in default.stdout
    old = invoke("data", "validate", path, "--model", "gpt-3.5-turbo", "--json")
    assert json.loads(old.stdout)["files"][0]["stats"]["counter"] == "cl100k_base"


def test_validate_labels_the_estimate_without_encodings(
    invoke, tmp_path: Path, no_openai_encodings: None
) -> None:
    path = jsonl(tmp_path / "train.jsonl", [GOOD] * 3)
    fallback = invoke("data", "validate", path, "--model", "gpt-4o-mini")
    assert fallback.exit_code == 0, fallback.output
    assert "estimate, ~4 characters per token" in fallback.stdout
    assert "billed tokens (estimate)" in fallback.stdout
