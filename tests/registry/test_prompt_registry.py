"""Prompt versions and aliases, on SQLite and PostgreSQL: immutable numbered versions, idempotent
pushes, aliases that move with an audit trail, refs, diffs, races, and the 0002 migration."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tuneloop.errors import BadReference, NotFound, PromptError
from tuneloop.prompts.template import parse_prompt
from tuneloop.registry import PromptRegistry, PromptSummary, parse_ref
from tuneloop.store import current_revision, downgrade, head_revision, upgrade

PROMPT_TABLES = {"prompt_versions"}


def yaml(user: str, *, system: str = "당신은 서울 여행 안내원입니다.") -> str:
    return f"name: seoul-guide\nsystem: {system}\nuser: {user}\n"


V1 = yaml("서울의 {{ topic }}을 추천해 주세요.")
V2 = yaml("서울의 {{ topic }}을 세 곳 추천해 주세요.")
V3 = yaml("서울의 {{ topic }}을 세 곳 추천해 주세요.", system="친절한 안내원입니다.")


def push_three(store):
    return [store.prompts.push("seoul-guide", text, author="kim")[0] for text in (V1, V2, V3)]


def run_threads(count, work):
    """Run ``work(i)`` in ``count`` threads released together; return results by i."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def target(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


# push


def test_push_creates_version_1_then_2_with_author_message_and_utc_time(store):
    first, created_first = store.prompts.push("seoul-guide", V1, author="kim", message="first")
    second, created_second = store.prompts.push("seoul-guide", V2, author="lee")

    assert (first.version, created_first) == (1, True)
    assert (second.version, created_second) == (2, True)
    assert first.content == V1
    assert (first.author, first.message) == ("kim", "first")
    assert (second.author, second.message) == ("lee", "")
    assert first.created_at.tzinfo is not None
    assert first.ref == "seoul-guide@1"


def test_pushing_identical_content_returns_the_existing_version_and_writes_nothing(store):
    push_three(store)

    again, created = store.prompts.push("seoul-guide", V2, author="someone-else", message="x")

    assert created is False
    assert again == store.prompts.get("seoul-guide@2")
    assert again.author == "kim"
    assert [v.version for v in store.prompts.versions("seoul-guide")] == [1, 2, 3]


def test_the_same_text_under_another_name_is_that_name_s_version_1(store):
    store.prompts.push("seoul-guide", V1, author="kim")
    store.prompts.push("seoul-guide", V2, author="kim")

    other, created = store.prompts.push("busan-guide", V2, author="kim")

    assert (other.name, other.version, created) == ("busan-guide", 1, True)


def test_content_hash_is_the_sha256_of_the_text_and_equals_the_prompt_file_hash(store):
    version, _ = store.prompts.push("seoul-guide", V1, author="kim")

    assert version.content_hash == hashlib.sha256(V1.encode("utf-8")).hexdigest()
    assert version.content_hash == parse_prompt(V1, Path("seoul-guide.yaml")).content_hash


def test_find_by_hash_gives_the_version_with_that_text_or_none(store):
    push_three(store)
    assert store.prompts.find_by_hash("seoul-guide", hashlib.sha256(V2.encode()).hexdigest()) == 2
    assert store.prompts.find_by_hash("seoul-guide", "0" * 64) is None
    assert store.prompts.find_by_hash("jeju-guide", hashlib.sha256(V2.encode()).hexdigest()) is None


def test_versions_are_immutable_records_and_the_registry_has_no_way_to_change_them(store):
    original, _ = store.prompts.push("seoul-guide", V1, author="kim")
    store.prompts.push("seoul-guide", V2, author="kim")

    with pytest.raises(dataclasses.FrozenInstanceError):
        original.content = "changed"  # type: ignore[misc]
    public = {name for name in dir(PromptRegistry) if not name.startswith("_")}
    assert public == {
        "push",
        "get",
        "find_by_hash",
        "versions",
        "names",
        "summaries",
        "diff",
        # the registry core's, shared with datasets and models
        "kind",
        "parse",
        "resolve",
        "latest",
        "aliases",
        "all_aliases",
        "is_protected",
        "set_alias",
        "remove_alias",
        "rollback",
        "alias_history",
    }
    assert store.prompts.get("seoul-guide@1") == original


@pytest.mark.parametrize(
    ("name", "content"),
    [("", V1), ("has space", V1), ("a@1", V1), ("-leading-dash", V1), ("ok", ""), ("ok", " \n")],
)
def test_push_rejects_a_bad_name_or_empty_content(store, name, content):
    with pytest.raises(BadReference if content.strip() else PromptError) as err:
        store.prompts.push(name, content, author="kim")
    assert err.value.hint
    assert store.prompts.names() == []


# get and refs


def test_get_by_name_latest_version_and_alias(store):
    v1, v2, v3 = push_three(store)
    store.prompts.set_alias("seoul-guide", "production", 2, by="kim")

    assert store.prompts.get("seoul-guide") == v3
    assert store.prompts.get("seoul-guide@latest") == v3
    assert store.prompts.get("seoul-guide@1") == v1
    assert store.prompts.get("seoul-guide@v1") == v1
    assert store.prompts.get("seoul-guide@production") == v2


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("support", ("support", "latest")),
        ("support@latest", ("support", "latest")),
        ("support@3", ("support", 3)),
        ("support@v12", ("support", 12)),
        ("support@production", ("support", "production")),
        ("my.prompt_v2-ko@canary-eu", ("my.prompt_v2-ko", "canary-eu")),
    ],
)
def test_parse_ref_splits_name_and_selector(ref, expected):
    assert parse_ref(ref) == expected


@pytest.mark.parametrize(
    "ref",
    ["", "@3", "support@", "support@0", "support@v0", "support@1@2", "support@Production",
     "support@-1", "sup port@1", "support@prod uction"],
)  # fmt: skip
def test_a_malformed_ref_raises_bad_reference_with_hint(store, ref):
    with pytest.raises(BadReference) as err:
        store.prompts.get(ref)
    assert not isinstance(err.value, NotFound)
    assert err.value.hint


def test_an_unknown_name_raises_not_found_listing_the_pushed_prompts(store):
    with pytest.raises(NotFound) as empty:
        store.prompts.get("seoul-guide")
    assert "tuneloop prompt push" in (empty.value.hint or "")

    push_three(store)
    store.prompts.push("busan-guide", V1, author="kim")
    for ref in ["jeju-guide", "jeju-guide@2", "jeju-guide@production"]:
        with pytest.raises(NotFound) as err:
            store.prompts.get(ref)
        assert "jeju-guide" in err.value.message
        assert "busan-guide, seoul-guide" in (err.value.hint or "")


def test_an_unknown_version_raises_not_found_listing_versions_and_aliases(store):
    push_three(store)
    store.prompts.set_alias("seoul-guide", "production", 2, by="kim")

    with pytest.raises(NotFound) as err:
        store.prompts.get("seoul-guide@7")

    assert "version 7" in err.value.message
    assert "versions 1 to 3" in (err.value.hint or "")
    assert "production → 2" in (err.value.hint or "")


def test_an_unknown_alias_raises_not_found_listing_the_aliases(store):
    push_three(store)
    store.prompts.set_alias("seoul-guide", "staging", 3, by="kim")

    with pytest.raises(NotFound) as err:
        store.prompts.get("seoul-guide@production")

    assert "production" in err.value.message
    assert "staging → 3" in (err.value.hint or "")


# listings


def test_versions_names_summaries_and_aliases_list_what_was_pushed(store):
    push_three(store)
    store.prompts.push("busan-guide", V1, author="lee")
    store.prompts.set_alias("seoul-guide", "staging", 3, by="kim")
    store.prompts.set_alias("seoul-guide", "production", 2, by="kim")

    assert [v.version for v in store.prompts.versions("seoul-guide")] == [1, 2, 3]
    assert store.prompts.names() == ["busan-guide", "seoul-guide"]
    assert store.prompts.aliases("seoul-guide") == {"production": 2, "staging": 3}
    assert store.prompts.aliases("busan-guide") == {}
    summaries = store.prompts.summaries()
    assert [(s.name, s.latest_version, s.aliases) for s in summaries] == [
        ("busan-guide", 1, {}),
        ("seoul-guide", 3, {"production": 2, "staging": 3}),
    ]
    assert isinstance(summaries[0], PromptSummary)
    assert summaries[1].updated_at == store.prompts.get("seoul-guide").created_at


def test_listing_an_unknown_name_raises_not_found(store):
    with pytest.raises(NotFound):
        store.prompts.versions("nope")
    with pytest.raises(NotFound):
        store.prompts.aliases("nope")


# aliases


def test_moving_an_alias_records_each_move_with_from_to_who_and_when(store):
    push_three(store)

    first = store.prompts.set_alias("seoul-guide", "production", 1, by="kim")
    moved = store.prompts.set_alias("seoul-guide", "production", 3, by="lee")
    store.prompts.set_alias("seoul-guide", "staging", 2, by="park")

    assert (first.alias.version, first.alias.updated_by) == (1, "kim")
    assert (moved.alias.version, moved.alias.updated_by, moved.previous) == (3, "lee", 1)
    assert store.prompts.get("seoul-guide@production").version == 3
    history = store.prompts.alias_history("seoul-guide", "production")
    assert [(e.alias, e.from_version, e.to_version, e.by) for e in history] == [
        ("production", None, 1, "kim"),
        ("production", 1, 3, "lee"),
    ]
    assert history[0].at <= history[1].at
    assert history[0].at.tzinfo is not None
    assert [e.alias for e in store.prompts.alias_history("seoul-guide")] == [
        "production",
        "production",
        "staging",
    ]


def test_setting_an_alias_to_the_version_it_points_at_records_nothing(store):
    push_three(store)
    first = store.prompts.set_alias("seoul-guide", "production", 2, by="kim")

    again = store.prompts.set_alias("seoul-guide", "production", 2, by="lee")

    assert again.alias == first.alias
    assert not again.changed
    assert len(store.prompts.alias_history("seoul-guide")) == 1


def test_removing_an_alias_records_it_and_the_alias_no_longer_resolves(store):
    push_three(store)
    store.prompts.set_alias("seoul-guide", "canary", 3, by="kim")

    removed = store.prompts.remove_alias("seoul-guide", "canary", by="lee")

    assert removed.version == 3
    assert store.prompts.aliases("seoul-guide") == {}
    with pytest.raises(NotFound):
        store.prompts.get("seoul-guide@canary")
    last = store.prompts.alias_history("seoul-guide", "canary")[-1]
    assert (last.from_version, last.to_version, last.by) == (3, None, "lee")
    with pytest.raises(NotFound):
        store.prompts.remove_alias("seoul-guide", "canary", by="lee")


def test_latest_is_reserved_and_cannot_be_an_alias(store):
    push_three(store)
    with pytest.raises(BadReference, match="reserved"):
        store.prompts.set_alias("seoul-guide", "latest", 1, by="kim")
    assert store.prompts.alias_history("seoul-guide") == []


@pytest.mark.parametrize("alias", ["Production", "prod uction", "1st", "v2", "", "-x", "a" * 101])
def test_aliases_must_be_lowercase_identifiers(store, alias):
    push_three(store)
    with pytest.raises(BadReference):
        store.prompts.set_alias("seoul-guide", alias, 1, by="kim")


def test_an_alias_can_only_point_at_an_existing_version(store):
    push_three(store)
    with pytest.raises(NotFound) as err:
        store.prompts.set_alias("seoul-guide", "production", 9, by="kim")
    assert "versions 1 to 3" in (err.value.hint or "")
    with pytest.raises(NotFound):
        store.prompts.set_alias("jeju-guide", "production", 1, by="kim")
    assert store.prompts.aliases("seoul-guide") == {}


# diff


def test_diff_shows_the_changed_lines_under_name_at_version_headers(store):
    push_three(store)
    store.prompts.set_alias("seoul-guide", "production", 1, by="kim")

    text = store.prompts.diff("seoul-guide@production", "seoul-guide")

    lines = text.splitlines()
    assert lines[:2] == ["--- seoul-guide@v1", "+++ seoul-guide@v3"]
    assert "-system: 당신은 서울 여행 안내원입니다." in lines
    assert "+system: 친절한 안내원입니다." in lines
    assert "-user: 서울의 {{ topic }}을 추천해 주세요." in lines
    assert "+user: 서울의 {{ topic }}을 세 곳 추천해 주세요." in lines
    assert " name: seoul-guide" in lines
    assert text.endswith("\n")


def test_diff_of_equal_versions_is_empty(store):
    push_three(store)
    assert store.prompts.diff("seoul-guide@2", "seoul-guide@v2") == ""


# concurrency


def test_concurrent_pushes_of_different_texts_number_versions_1_to_n_without_gaps(store):
    count = 8

    results = run_threads(
        count, lambda i: store.prompts.push("seoul-guide", yaml(f"질문 {i}"), author=f"w{i}")
    )

    assert all(created for _, created in results)
    assert sorted(version.version for version, _ in results) == list(range(1, count + 1))
    stored = store.prompts.versions("seoul-guide")
    assert [v.version for v in stored] == list(range(1, count + 1))
    assert {v.content for v in stored} == {yaml(f"질문 {i}") for i in range(count)}


def test_concurrent_pushes_of_the_same_text_create_exactly_one_version(store):
    results = run_threads(8, lambda i: store.prompts.push("seoul-guide", V1, author=f"w{i}"))

    assert sum(created for _, created in results) == 1
    assert {version.version for version, _ in results} == {1}
    assert len(store.prompts.versions("seoul-guide")) == 1


def test_concurrent_alias_moves_leave_an_unbroken_history(store):
    for i in range(8):
        store.prompts.push("seoul-guide", yaml(f"질문 {i}"), author="kim")

    run_threads(
        8, lambda i: store.prompts.set_alias("seoul-guide", "production", i + 1, by=f"w{i}")
    )

    history = store.prompts.alias_history("seoul-guide", "production")
    assert len(history) == 8
    assert history[0].from_version is None
    for before, after in itertools.pairwise(history):
        assert after.from_version == before.to_version
    assert store.prompts.aliases("seoul-guide") == {"production": history[-1].to_version}


# migration 0002


def test_downgrading_to_0001_drops_the_prompt_tables_and_upgrading_restores_them(store):
    push_three(store)

    downgrade(store.engine, "0001")

    assert current_revision(store.engine) == "0001"
    remaining = set(sa.inspect(store.engine).get_table_names())
    assert not PROMPT_TABLES & remaining
    assert {"projects", "api_keys"} <= remaining

    upgrade(store.engine)

    assert current_revision(store.engine) == head_revision()
    assert set(sa.inspect(store.engine).get_table_names()) >= PROMPT_TABLES
    assert store.prompts.names() == []
    version, created = store.prompts.push("seoul-guide", V1, author="kim")
    assert (version.version, created) == (1, True)
