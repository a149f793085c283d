"""Dataset versions on SQLite and PostgreSQL: immutable numbered versions over content-addressed
split files, idempotent pushes, parents, refs, and corruption detection."""

from __future__ import annotations

import threading

import pytest

from tuneloop.errors import BadReference, DataError, NotFound, StoreError
from tuneloop.registry.datasets import files_hash, parse_dataset_ref


def _write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def splits(tmp_path):
    train = _write(tmp_path, "train.jsonl", ['{"q": "경복궁은 언제 쉬나요?"}', '{"q": "명동"}'])
    test = _write(tmp_path, "test.jsonl", ['{"q": "남산타워"}'])
    return {"train": train, "test": test}


def test_push_numbers_versions_and_keeps_the_files_by_hash(store, splits, tmp_path):
    v1, created1 = store.datasets.push("seoul-qa", splits, author="kim", counts={"train": 2})
    other = _write(tmp_path, "train2.jsonl", ['{"q": "인사동"}'])
    v2, created2 = store.datasets.push(
        "seoul-qa", {"train": other}, author="lee", parent="seoul-qa@1"
    )

    assert (v1.version, created1, v2.version, created2) == (1, True, 2, True)
    assert v2.parent == "seoul-qa@1"
    assert v1.counts == {"train": 2}
    train_copy = store.datasets.path(v1, "train")
    assert train_copy.read_bytes() == splits["train"].read_bytes()
    assert train_copy != splits["train"]
    assert v1.content_hash == files_hash(v1.files)
    assert v1.splits == ["train", "test"]


def test_pushing_identical_files_returns_the_existing_version(store, splits):
    first, _ = store.datasets.push("seoul-qa", splits, author="kim")
    again, created = store.datasets.push("seoul-qa", splits, author="park", message="again")

    assert created is False
    assert again == first
    assert [v.version for v in store.datasets.versions("seoul-qa")] == [1]


def test_versions_are_immutable_even_when_the_source_file_changes(store, splits):
    v1, _ = store.datasets.push("seoul-qa", splits, author="kim")
    splits["train"].write_text('{"q": "changed"}\n', encoding="utf-8")

    assert "경복궁" in store.datasets.path(store.datasets.get("seoul-qa@1"), "train").read_text()
    v2, created = store.datasets.push("seoul-qa", splits, author="kim")
    assert created and v2.version == 2 and v2.files["train"] != v1.files["train"]


def test_get_resolves_latest_and_numbers_and_explains_unknowns(store, splits, tmp_path):
    store.datasets.push("seoul-qa", splits, author="kim")
    store.datasets.push("seoul-qa", {"all": _write(tmp_path, "x.jsonl", ["{}"])}, author="kim")

    assert store.datasets.get("seoul-qa").version == 2
    assert store.datasets.get("seoul-qa@latest").version == 2
    assert store.datasets.get("seoul-qa@v1").version == 1
    with pytest.raises(NotFound, match="no version 7") as missing:
        store.datasets.get("seoul-qa@7")
    assert "1 to 2" in str(missing.value)
    with pytest.raises(NotFound, match="No dataset named 'busan'") as unknown:
        store.datasets.get("busan")
    assert "seoul-qa" in str(unknown.value)
    with pytest.raises(NotFound, match="no split 'validation'"):
        store.datasets.path(store.datasets.get("seoul-qa@1"), "validation")


def test_latest_lists_the_newest_version_of_each_name(store, splits, tmp_path):
    store.datasets.push("seoul-qa", splits, author="kim")
    store.datasets.push("seoul-qa", {"all": _write(tmp_path, "y.jsonl", ["{}"])}, author="kim")
    store.datasets.push("busan-qa", splits, author="kim")

    assert [(v.name, v.version) for v in store.datasets.latest()] == [
        ("busan-qa", 1),
        ("seoul-qa", 2),
    ]


def test_bad_names_splits_parents_and_missing_files_are_rejected(store, splits, tmp_path):
    with pytest.raises(BadReference, match="not a dataset name"):
        store.datasets.push("서울 qa", splits, author="kim")
    with pytest.raises(DataError, match="Bad split name"):
        store.datasets.push("seoul-qa", {"Train Set": splits["train"]}, author="kim")
    with pytest.raises(DataError, match="no such file"):
        store.datasets.push("seoul-qa", {"train": tmp_path / "nope.jsonl"}, author="kim")
    with pytest.raises(NotFound):
        store.datasets.push("seoul-qa", splits, author="kim", parent="ghost@1")
    with pytest.raises(BadReference, match="Bad dataset reference"):
        parse_dataset_ref("seoul-qa@Production")
    assert store.datasets.names() == []


def test_a_corrupted_split_file_is_detected_on_read(store, splits):
    version, _ = store.datasets.push("seoul-qa", splits, author="kim")
    stored = store.datasets.path(version, "train")
    stored.chmod(0o644)
    stored.write_text("tampered\n", encoding="utf-8")

    with pytest.raises(StoreError):
        store.datasets.path(version, "train")


def test_concurrent_pushes_of_different_data_get_distinct_numbers(store, tmp_path):
    files = [_write(tmp_path, f"t{i}.jsonl", [f'{{"i": {i}}}']) for i in range(6)]
    barrier = threading.Barrier(len(files))
    results, errors = [], []

    def push(path):
        barrier.wait()
        try:
            results.append(store.datasets.push("seoul-qa", {"train": path}, author="kim")[0])
        except Exception as exc:  # collected and re-raised by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(v.version for v in results) == [1, 2, 3, 4, 5, 6]


# aliases, through the registry core shared with prompts and models


def test_a_dataset_alias_names_a_version_and_a_split_of_it(store, splits, tmp_path):
    store.datasets.push("seoul-qa", splits, author="kim")
    other = _write(tmp_path, "train2.jsonl", ['{"q": "인사동"}'])
    store.datasets.push("seoul-qa", {"train": other, "test": splits["test"]}, author="kim")

    store.datasets.set_alias("seoul-qa", "production", 1, by="kim", reason="reviewed")

    assert store.datasets.get("seoul-qa@production").version == 1
    pinned = store.datasets.split("seoul-qa@production:train")
    assert (pinned.ref, pinned.path.read_bytes()) == (
        "seoul-qa@1:train",
        splits["train"].read_bytes(),
    )
    assert store.datasets.split("seoul-qa:train").ref == "seoul-qa@2:train"

    store.datasets.set_alias("seoul-qa", "production", 2, by="lee")
    back = store.datasets.rollback("seoul-qa", "production", by="ops")
    assert (back.previous, back.alias.version) == (2, 1)
    history = store.datasets.alias_history("seoul-qa")
    assert [(e.kind, e.from_version, e.to_version, e.reason) for e in history] == [
        ("dataset", None, 1, "reviewed"),
        ("dataset", 1, 2, ""),
        ("dataset", 2, 1, ""),
    ]


def test_a_split_ref_without_a_split_needs_a_single_split_version(store, splits):
    store.datasets.push("seoul-qa", splits, author="kim")
    with pytest.raises(BadReference, match="several splits") as err:
        store.datasets.split("seoul-qa@1")
    assert "seoul-qa@1:train" in (err.value.hint or "")
    with pytest.raises(NotFound, match="no split 'validation'"):
        store.datasets.split("seoul-qa@1:validation")


def test_unknown_names_suggest_the_closest_ones_for_every_kind(store, splits):
    store.datasets.push("seoul-qa", splits, author="kim")
    store.prompts.push("seoul-guide", "name: seoul-guide\nsystem: hi\n", author="kim")

    with pytest.raises(NotFound) as dataset:
        store.datasets.get("seoul-q@1")
    with pytest.raises(NotFound) as prompt:
        store.prompts.get("seol-guide@production")
    with pytest.raises(NotFound) as alias:
        store.prompts.get("seoul-guide@prodution")

    assert "Did you mean seoul-qa?" in (dataset.value.hint or "")
    assert "Did you mean seoul-guide?" in (prompt.value.hint or "")
    store.prompts.set_alias("seoul-guide", "production", 1, by="kim")
    with pytest.raises(NotFound) as alias:
        store.prompts.get("seoul-guide@prodution")
    assert "Did you mean seoul-guide@production?" in (alias.value.hint or "")
    assert {dataset.value.code, prompt.value.code, alias.value.code} == {"unknown_reference"}
