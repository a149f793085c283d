"""The one reference parser: version refs of every kind, and data refs (dataset splits through a
version or an alias, uploaded file ids, paths) — the same syntax and the same error everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneloop.errors import BadReference, NotFound, RegistryError
from tuneloop.registry.refs import LATEST, Ref, parse_data_ref, parse_ref


@pytest.mark.parametrize(
    ("text", "selector"),
    [("seoul", LATEST), ("seoul@latest", LATEST), ("seoul@3", 3), ("seoul@v3", 3),
     ("seoul@production", "production"), ("seoul.v2_x@canary-1", "canary-1")],
)  # fmt: skip
def test_parse_ref_reads_versions_latest_and_aliases(text, selector):
    ref = parse_ref(text, kind="model")
    assert ref.selector == selector
    assert ref.name == text.partition("@")[0]
    assert ref.version == (selector if isinstance(selector, int) else None)
    assert ref.alias == (selector if isinstance(selector, str) and selector != LATEST else None)


@pytest.mark.parametrize("kind", ["prompt", "dataset", "model"])
@pytest.mark.parametrize("text", ["", "@3", "x@", "x@0", "x@Prod", "x@1@2", "a b@1", "x@-1"])
def test_a_malformed_ref_is_one_error_type_whatever_the_kind(kind, text):
    with pytest.raises(BadReference) as err:
        parse_ref(text, kind=kind)
    assert err.value.code == "bad_reference"
    assert err.value.exit_code == RegistryError.exit_code
    assert not isinstance(err.value, NotFound)
    assert kind in err.value.message
    assert err.value.hint


@pytest.mark.parametrize(
    ("text", "name", "selector", "split"),
    [
        ("seoul-qa@3:train", "seoul-qa", 3, "train"),
        ("seoul-qa@production:train", "seoul-qa", "production", "train"),
        ("seoul-qa:test", "seoul-qa", LATEST, "test"),
        ("seoul-qa@3", "seoul-qa", 3, None),
        ("seoul-qa@production", "seoul-qa", "production", None),
    ],
)
def test_dataset_refs_name_a_version_or_alias_and_an_optional_split(text, name, selector, split):
    ref = parse_data_ref(text)
    assert ref.source == "dataset"
    assert ref.dataset == Ref("dataset", name, selector)
    assert ref.split == split
    assert str(ref) == text


def test_file_ids_and_paths_are_not_dataset_refs(tmp_path):
    assert parse_data_ref("file-0a1b2c3d4e5f").file_id == "file-0a1b2c3d4e5f"
    assert parse_data_ref("work/clean.jsonl").path == Path("work/clean.jsonl")
    assert parse_data_ref("clean.jsonl").source == "path"
    assert parse_data_ref("data/seoul@3:train").source == "path"  # a separator means a path


def test_an_existing_file_wins_over_a_ref_of_the_same_spelling(tmp_path):
    (tmp_path / "seoul-qa@3").write_text("{}\n", encoding="utf-8")
    (tmp_path / "file-abc").write_text("{}\n", encoding="utf-8")

    assert parse_data_ref("seoul-qa@3", base=tmp_path).path == tmp_path / "seoul-qa@3"
    assert parse_data_ref("file-abc", base=tmp_path).source == "path"
    assert parse_data_ref("seoul-qa@3").source == "dataset"  # elsewhere it is a reference


@pytest.mark.parametrize("text", ["seoul-qa@3:", "seoul-qa@3:Train", "seoul-qa@x y:train", " "])
def test_a_malformed_data_ref_is_a_bad_reference_naming_the_parameter(text):
    with pytest.raises(BadReference) as err:
        parse_data_ref(text, param="training_file")
    assert err.value.param == "training_file"
    assert err.value.hint
