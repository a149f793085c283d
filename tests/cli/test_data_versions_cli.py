"""`tuneloop data push / list / show` and dataset references in data commands."""

from __future__ import annotations

import json

from tuneloop.data.records import Document, Example, Source, read_records, write_records
from tuneloop.errors import DataError, NotFound


def qa(q, a, tag, line):
    return Example(
        messages=[{"role": "user", "content": q}, {"role": "assistant", "content": a}],
        source=Source("qa/seed-qa.csv", line),
        tags=[tag],
    )


def write_splits(folder):
    folder.mkdir(parents=True, exist_ok=True)
    train = [
        qa("경복궁은 언제 쉬나요?", "매주 화요일에 쉽니다.", "palace", 2),
        qa("광장시장 대표 음식은?", "빈대떡과 마약김밥입니다.", "food", 3),
        qa("창덕궁 후원은 예약이 필요한가요?", "네, 해설 관람 예약이 필요합니다.", "palace", 4),
    ]
    test = [qa("명동 가는 지하철은?", "4호선 명동역입니다.", "transport", 5)]
    write_records(folder / "train.jsonl", train)
    write_records(folder / "test.jsonl", test)
    return folder / "train.jsonl", folder / "test.jsonl"


def test_push_list_show_round_trip(invoke, project, tmp_path):
    train, test = write_splits(tmp_path / "work")

    pushed = invoke(
        "--project",
        project,
        "data",
        "push",
        "seoul-qa",
        f"train={train}",
        f"test={test}",
        "-m",
        "first cut",
        "--description",
        "서울 여행 Q&A",
        "--json",
    )
    assert pushed.exit_code == 0, pushed.output
    first = json.loads(pushed.stdout)
    assert (first["ref"], first["created"]) == ("seoul-qa@1", True)
    assert first["counts"]["splits"]["train"]["examples"] == 3
    assert first["counts"]["tags"] == {"palace": 2, "food": 1, "transport": 1}

    again = json.loads(
        invoke(
            "--project",
            project,
            "data",
            "push",
            "seoul-qa",
            f"train={train}",
            f"test={test}",
            "--json",
        ).stdout
    )
    assert (again["ref"], again["created"]) == ("seoul-qa@1", False)

    listed = invoke("--project", project, "data", "list")
    assert "seoul-qa@1" in listed.stdout and "train:3" in listed.stdout

    shown = json.loads(invoke("--project", project, "data", "show", "seoul-qa@1", "--json").stdout)
    assert shown["message"] == "first cut"
    assert "# Dataset card: seoul-qa" in shown["card"]
    assert "서울 여행 Q&A" in shown["card"]
    assert "| palace | 2 | 0 |" in shown["card"]

    card = invoke("--project", project, "data", "show", "seoul-qa", "--card")
    assert card.exit_code == 0 and "Dataset card" in card.stdout


def test_push_refuses_a_file_that_is_not_a_record_file(invoke, project, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "example", "messages": []}\nnot json\n', encoding="utf-8")

    result = invoke("--project", project, "data", "push", "seoul-qa", str(bad))

    assert result.exit_code != 0
    assert isinstance(result.exception, DataError)
    assert f"{bad}:2" in str(result.exception)
    listed = json.loads(invoke("--project", project, "data", "list", "--json").stdout)
    assert listed == []


def test_show_of_an_unknown_dataset_names_what_exists(invoke, project, tmp_path):
    train, _ = write_splits(tmp_path / "work")
    invoke("--project", project, "data", "push", "seoul-qa", str(train))

    result = invoke("--project", project, "data", "show", "busan-qa")

    assert isinstance(result.exception, NotFound)
    assert "seoul-qa" in str(result.exception)


def test_clean_reads_a_dataset_split_by_reference(invoke, project, tmp_path):
    train, test = write_splits(tmp_path / "work")
    invoke("--project", project, "data", "push", "seoul-qa", f"train={train}", f"test={test}")
    out = tmp_path / "cleaned.jsonl"

    result = invoke(
        "--project", project, "data", "clean", "seoul-qa@1:train", "-o", out, "--pii", "keep"
    )

    assert result.exit_code == 0, result.output
    assert [r.id for r in read_records(out)] == [r.id for r in read_records(train)]


def test_list_of_one_name_shows_every_version(invoke, project, tmp_path):
    train, test = write_splits(tmp_path / "work")
    invoke("--project", project, "data", "push", "seoul-qa", str(train))
    invoke("--project", project, "data", "push", "seoul-qa", str(test), "--parent", "seoul-qa@1")
    write_records(tmp_path / "docs.jsonl", [Document("남산", Source("docs/namsan.md", 1))])
    invoke("--project", project, "data", "push", "namsan-docs", str(tmp_path / "docs.jsonl"))

    versions = json.loads(invoke("--project", project, "data", "list", "seoul-qa", "--json").stdout)

    assert [v["ref"] for v in versions] == ["seoul-qa@1", "seoul-qa@2"]
    assert versions[1]["parent"] == "seoul-qa@1"


def test_a_dataset_alias_is_set_listed_and_read_like_any_version(invoke, project, tmp_path):
    train, test = write_splits(tmp_path / "work")
    invoke("--project", project, "data", "push", "seoul-qa", f"train={train}", f"test={test}")
    invoke("--project", project, "data", "push", "seoul-qa", f"train={test}")

    moved = invoke(
        "--project", project, "data", "alias", "set", "seoul-qa@1", "production",
        "--reason", "reviewed by kim", "--json",
    )  # fmt: skip
    out = tmp_path / "cleaned.jsonl"
    cleaned = invoke(
        "--project", project, "data", "clean", "seoul-qa@production:train", "-o", out,
        "--pii", "keep",
    )  # fmt: skip

    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["version"] == 1
    assert cleaned.exit_code == 0, cleaned.output
    assert [r.id for r in read_records(out)] == [r.id for r in read_records(train)]
    listed = json.loads(invoke("--project", project, "data", "list", "seoul-qa", "--json").stdout)
    assert [v["aliases"] for v in listed] == [["production"], []]
    history = json.loads(
        invoke("--project", project, "data", "alias", "history", "seoul-qa", "--json").stdout
    )
    assert [(e["kind"], e["to_version"], e["reason"]) for e in history] == [
        ("dataset", 1, "reviewed by kim")
    ]
