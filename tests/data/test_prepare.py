"""`data prepare`: one pipeline file → ingest, Q/A, clean, held-out guard, split, version."""

from __future__ import annotations

import json
import textwrap

import pytest

from tuneloop.data.prepare import load_prepare_config, prepare_dataset
from tuneloop.data.records import Example, read_records
from tuneloop.errors import DataError

DOC = """# 경복궁

경복궁은 조선의 법궁입니다.

- 휴무일: 매주 화요일
- 관람 시간: 09:00~18:00
- 입장료: 3,000원
"""

CSV_ROWS = [
    ("남산타워는 몇 시까지 하나요?", "보통 밤 10시 30분까지 운영합니다.", "tower"),
    ("광장시장 대표 음식은 무엇인가요?", "빈대떡과 마약김밥이 유명합니다.", "food"),
    ("명동에 가려면 몇 호선을 타나요?", "4호선 명동역에서 내리면 됩니다.", "transport"),
    ("명동에 가려면 몇 호선을 타나요?", "4호선 명동역에서 내리면 됩니다.", "transport"),
    ("예약 확인 부탁드려요", "예약자 연락처 010-1234-5678 로 안내드렸습니다.", "booking"),
    ("인사동은 어떤 곳인가요?", "전통 공예품 가게와 찻집이 모인 거리입니다.", "culture"),
    ("한강공원에서 치킨을 먹어도 되나요?", "네, 배달 존에서 받아 먹을 수 있습니다.", "food"),
    ("창덕궁 후원은 예약해야 하나요?", "네, 후원은 해설 관람 예약이 필요합니다.", "palace"),
]


@pytest.fixture
def sample(tmp_path):
    root = tmp_path / "sample"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "gyeongbokgung.md").write_text(DOC, encoding="utf-8")
    (root / "qa").mkdir()
    lines = ["question,answer,tags"] + [f"{q},{a},{t}" for q, a, t in CSV_ROWS]
    (root / "qa" / "seed.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "heldout.jsonl").write_text(
        json.dumps({"question": "인사동은 어떤 곳인가요?"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    config = root / "data.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            name: seoul-mini
            description: 작은 서울 데이터
            system: 서울 여행 안내원입니다.
            sources:
              - path: docs/
              - path: qa/seed.csv
            heldout: [heldout.jsonl]
            split:
              ratios: {train: 0.75, test: 0.25}
              seed: 3
              stratify: none
            """
        ),
        encoding="utf-8",
    )
    return config


def test_prepare_runs_every_step_and_pushes_a_version(sample, store, tmp_path):
    result = prepare_dataset(sample, store=store, author="kim", out_dir=tmp_path / "out")

    assert result.version is not None and result.version.ref == "seoul-mini@1"
    records = [r for path in result.files.values() for r in read_records(path)]
    questions = [r.first("user") for r in records if isinstance(r, Example)]
    # rules turned the document's bullets into questions
    assert any("휴무일" in q for q in questions)
    # the exact duplicate row went, the held-out question never reaches training data
    assert questions.count("명동에 가려면 몇 호선을 타나요?") == 1
    assert "인사동은 어떤 곳인가요?" not in questions
    # PII was redacted, and every example got the system message
    assert not any("010-1234-5678" in r.text() for r in records)
    assert all(
        r.messages[0] == {"role": "system", "content": "서울 여행 안내원입니다."} for r in records
    )
    assert result.cleaning["dedupe.exact"]["removed"] == 1
    assert result.cleaning["heldout.overlap"]["removed"] == 1
    assert set(result.split_counts) == {"train", "test"}
    steps = [s["step"] for s in result.version.pipeline]
    assert steps == ["config", "ingest", "qa", "system", "clean", "heldout", "split"]
    assert result.version.pipeline[-1]["seed"] == 3
    assert "작은 서울 데이터" in result.version.card


def test_prepare_is_deterministic_and_a_rerun_is_the_same_version(sample, store, tmp_path):
    first = prepare_dataset(sample, store=store, author="kim", out_dir=tmp_path / "a")
    second = prepare_dataset(sample, store=store, author="kim", out_dir=tmp_path / "b")

    assert second.version == first.version
    assert second.created is False


def test_no_store_means_no_push_but_files_are_written(sample, tmp_path):
    result = prepare_dataset(sample, store=None, author="kim", out_dir=tmp_path / "out")
    assert result.version is None
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["test.jsonl", "train.jsonl"]


def test_config_errors_name_file_line_and_key(tmp_path):
    bad = tmp_path / "data.yaml"
    bad.write_text("name: x\nsources:\n  - path: docs/\n    colour: blue\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_prepare_config(bad)
    assert f"{bad}:4" in str(error.value) and "colour" in str(error.value)


def test_a_missing_source_fails_before_anything_is_pushed(sample, store):
    sample.write_text(
        sample.read_text(encoding="utf-8").replace("qa/seed.csv", "qa/missing.csv"),
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"missing\.csv"):
        prepare_dataset(sample, store=store, author="kim")
    assert store.datasets.latest() == []


DEOKSUGUNG = """# 덕수궁

덕수궁은 시청 앞에 있는 궁궐입니다.

- 휴무일: 매주 월요일
- 입장료: 1,000원
"""


MYEONGDONG = """# 명동

명동은 쇼핑 거리라 쉬는 날이 따로 없고 입장료도 없습니다. 관람 시간 제한 없이 밤늦게까지
붐비며, 지하철 4호선 명동역에서 가깝습니다.
"""


def test_context_attaches_sources_and_keeps_held_out_passages_out(sample, store, tmp_path):
    root = sample.parent
    (root / "docs" / "deoksugung.md").write_text(DEOKSUGUNG, encoding="utf-8")
    (root / "docs" / "myeongdong.md").write_text(MYEONGDONG, encoding="utf-8")
    (root / "heldout.jsonl").write_text(
        json.dumps({"question": "덕수궁 몇 시에 열어요?", "source": "docs/deoksugung.md"}) + "\n",
        encoding="utf-8",
    )
    text = sample.read_text(encoding="utf-8").replace(
        "split:", "qa: {rules: [kv, natural]}\ncontext: {k: 2, unanswerable: 0.5}\nsplit:"
    )
    sample.write_text(text, encoding="utf-8")

    result = prepare_dataset(sample, store=store, author="kim", out_dir=tmp_path / "out")

    step = next(s for s in result.steps if s["step"] == "context")
    records = [r for name in ("train", "test") for r in read_records(result.files[name])]
    with_context = [r for r in records if "context" in r.meta]
    assert step["examples"] == len(with_context) > 0
    # every pair from the held-out question's document is dropped, none is shown as a source
    assert not any(str(r.source).startswith("docs/deoksugung.md") for r in records)
    assert not any("deoksugung" in r.first("user") for r in records)
    assert step["heldout_dropped"] > 0
    assert result.cleaning["heldout.passage"]["removed"] == step["heldout_dropped"]
    # the unanswerable share is half of each split's pairs with context, rounded
    missing = [r for r in with_context if r.meta["context"]["unanswerable"]]
    assert len(missing) == step["not_in_sources"] > 0
    assert all(r.first("assistant").startswith("제가 가진 자료에는") for r in missing)
    # chat and Q/A rows without a passage of theirs keep their plain form
    plain = [r for r in records if "context" not in r.meta]
    assert plain and all(str(r.source).startswith("qa/seed.csv") for r in plain)
    assert step["counter"] == "estimate" and step["tokenizer"] is None
    card = result.version.card
    assert "## Context" in card and "## Question forms" in card
