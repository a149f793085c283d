"""API keys: shown once, stored only as a hash, verifiable until revoked."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC

import pytest
import sqlalchemy as sa

from tuneloop.errors import InvalidRequest, NotFound
from tuneloop.store.keys import SCOPES, generate, parse_scopes


def test_generated_keys_are_tl_plus_40_urlsafe_random_chars():
    keys = {generate() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert re.fullmatch(r"tl-[A-Za-z0-9_-]{40}", key)


def test_plaintext_key_is_never_stored(store):
    _, plaintext = store.keys.create("ci")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys")).all()
    assert len(rows) == 1
    values = [str(v) for v in rows[0]]
    assert not any(plaintext in v or plaintext[3:] in v for v in values)
    assert hashlib.sha256(plaintext.encode()).hexdigest() in values


def test_record_shows_a_short_prefix_of_the_key(store):
    record, plaintext = store.keys.create("ci")
    assert plaintext.startswith(record.prefix)
    assert record.prefix.startswith("tl-")
    assert len(record.prefix) < 12
    assert record.created_at.tzinfo == UTC


def test_verify_accepts_the_key_and_records_its_last_use(store):
    record, plaintext = store.keys.create("ci")
    assert record.last_used_at is None

    verified = store.keys.verify(plaintext)

    assert verified is not None
    assert verified.id == record.id
    assert verified.last_used_at is not None
    assert verified.last_used_at.tzinfo == UTC
    assert store.keys.list()[0].last_used_at == verified.last_used_at


@pytest.mark.parametrize("wrong", ["", "tl-", "not-a-key", "tl-" + "x" * 40])
def test_verify_rejects_a_wrong_key(store, wrong):
    store.keys.create("ci")
    assert store.keys.verify(wrong) is None


def test_verify_rejects_a_key_with_one_character_changed(store):
    _, plaintext = store.keys.create("ci")
    flipped = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert store.keys.verify(flipped) is None


def test_verify_rejects_a_revoked_key(store):
    record, plaintext = store.keys.create("ci")
    revoked = store.keys.revoke(record.id)
    assert revoked.revoked
    assert store.keys.verify(plaintext) is None


def test_revoking_one_key_leaves_others_valid(store):
    first, first_key = store.keys.create("first")
    _, second_key = store.keys.create("second")
    store.keys.revoke(first.prefix)
    assert store.keys.verify(first_key) is None
    assert store.keys.verify(second_key) is not None


def test_revoke_accepts_id_prefix_or_full_key(store):
    a, _ = store.keys.create("a")
    b, _ = store.keys.create("b")
    c, c_key = store.keys.create("c")
    assert store.keys.revoke(str(a.id)).id == a.id
    assert store.keys.revoke(b.prefix).id == b.id
    assert store.keys.revoke(c_key).id == c.id
    assert all(k.revoked for k in store.keys.list())


def test_revoking_twice_keeps_the_first_revocation_time(store):
    record, _ = store.keys.create("ci")
    first = store.keys.revoke(record.id)
    second = store.keys.revoke(record.id)
    assert second.revoked_at == first.revoked_at


@pytest.mark.parametrize("missing", [999, "tl-nope00"])
def test_revoking_an_unknown_key_raises_not_found(store, missing):
    with pytest.raises(NotFound):
        store.keys.revoke(missing)


def test_list_returns_keys_oldest_first_and_can_hide_revoked(store):
    a, _ = store.keys.create("a")
    b, _ = store.keys.create("b")
    store.keys.revoke(a.id)
    assert [k.name for k in store.keys.list()] == ["a", "b"]
    assert [k.id for k in store.keys.list(include_revoked=False)] == [b.id]


# -- scopes and model allow-lists ---------------------------------------------------------------


def test_a_key_without_named_scopes_gets_chat_only(store):
    record, plaintext = store.keys.create("ci")
    assert record.scopes == {"chat"}
    verified = store.keys.verify(plaintext)
    assert verified.has_scope("chat")
    assert not any(verified.has_scope(s) for s in ("files", "fine_tuning", "feedback", "admin"))


def test_scopes_are_stored_and_come_back_from_verify_and_list(store):
    _, plaintext = store.keys.create("uploader", scopes=["files", "fine_tuning"])
    verified = store.keys.verify(plaintext)
    assert verified.scopes == {"files", "fine_tuning"}
    assert not verified.has_scope("chat")
    assert store.keys.list()[0].scopes == {"files", "fine_tuning"}


def test_scopes_accept_comma_lists_and_all_means_every_scope(store):
    assert parse_scopes(["chat,files", " feedback "]) == {"chat", "files", "feedback"}
    assert parse_scopes(["all"]) == set(SCOPES)
    assert parse_scopes(["chat", "all"]) == set(SCOPES)
    assert parse_scopes([]) == {"chat"}
    record, _ = store.keys.create("everything", scopes=["all"])
    assert record.scopes == set(SCOPES)


def test_admin_implies_every_scope(store):
    record, _ = store.keys.create("ops", scopes=["admin"])
    assert all(record.has_scope(s) for s in SCOPES)


def test_an_unknown_scope_is_refused_naming_the_valid_ones(store):
    with pytest.raises(InvalidRequest) as err:
        store.keys.create("ci", scopes=["chat", "trian"])
    assert "'trian'" in err.value.message
    for scope in SCOPES:
        assert scope in err.value.hint
    assert store.keys.list() == []


def test_a_key_without_an_allow_list_may_use_every_model(store):
    record, _ = store.keys.create("ci")
    assert record.models is None
    assert record.allows_model("seoul-guide@production") and record.allows_model("ft:x:y:z")


def test_allow_list_entry_without_alias_covers_every_version_and_alias_of_that_name(store):
    _, plaintext = store.keys.create("web", models=["seoul-guide", "busan@staging", "seoul-guide"])
    record = store.keys.verify(plaintext)
    assert record.models == ("seoul-guide", "busan@staging")
    assert record.allows_model("seoul-guide")
    assert record.allows_model("seoul-guide@production")
    assert record.allows_model("seoul-guide@3")
    assert record.allows_model("busan@staging")
    assert not record.allows_model("busan@production")
    assert not record.allows_model("busan")
    assert not record.allows_model("seoul-guide-v2")
    assert not record.allows_model("echo")


def test_an_empty_allow_list_means_every_model(store):
    record, _ = store.keys.create("ci", models=["", " "])
    assert record.models is None
