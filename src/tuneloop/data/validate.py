"""Check a chat fine-tuning file the way OpenAI's API would, before uploading it.

Why: a fine-tuning job fails in ``validating_files`` minutes after upload, with one message for
the first bad line. Running every check locally, each pointing at ``file:line``, fixes a file in
one pass. The checks are those of OpenAI's cookbook "Data preparation and analysis for chat model
fine-tuning" (the error codes keep its names):

==================================  ===========================================================
``data_type``                       the line (or a message) is not a JSON object
``missing_messages_list``           no non-empty ``messages`` list
``message_missing_key``             a message lacks ``role`` or ``content``
``message_unrecognized_key``        a message key other than role, content, name, weight,
                                    function_call, tool_calls, tool_call_id
``unrecognized_role``               a role other than system, user, assistant, tool, function
``missing_content``                 empty/absent content without a function or tool call
``example_missing_assistant_message`` no assistant message to learn from
==================================  ===========================================================

plus ``empty_file``, ``invalid_json``, ``invalid_utf8``, ``not_utf8`` (the whole file is in
another encoding, e.g. cp949/euc-kr from Windows or Excel: the report names it and the command
that converts it), ``invalid_content`` (content must be a
string, or a list of content parts on user messages), ``invalid_weight`` (``weight`` only 0 or 1,
only on assistant messages) and ``unknown_kind`` (tuneloop record files). Warnings (the job would
still run): ``blank_line``, ``utf8_bom``, ``unrecognized_key`` (top level), ``blank_content``,
``missing_system_message``, ``missing_user_message``, ``no_trained_assistant_message`` (all
weights 0), ``too_many_tokens`` (truncated in training), ``document_skipped``.

The input is either a file as it would be uploaded (one ``{"messages": [...]}`` per line) or a
tuneloop record file (``{"kind": "example", ...}``, see :mod:`tuneloop.data.records`) — told
apart by the first JSON object's ``kind`` key. A record file's examples are checked as
``tuneloop data export`` would write them (only the API's message keys, ``developer`` as
``system``), so "valid" means "its export will be accepted". The checks are pure functions of
parsed lines; :func:`validate_file` is the thin edge that reads the file. Token statistics and the
cost estimate come from :mod:`tuneloop.data.tokenstats`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tuneloop.data.openai_format import api_message
from tuneloop.data.tokenstats import (
    CostEstimate,
    ModelCounter,
    TokenCounter,
    TokenStats,
    estimate_cost,
    is_openai_model,
    openai_counter,
    token_stats,
)
from tuneloop.errors import DataError

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel

__all__ = [
    "MESSAGE_KEYS",
    "RECOGNIZED_ROLES",
    "TOP_LEVEL_KEYS",
    "FileFormat",
    "Issue",
    "ValidationReport",
    "check_example",
    "check_line",
    "conversion_hint",
    "detect_encoding",
    "detect_format",
    "validate_file",
    "validate_lines",
]

FileFormat = Literal["openai", "tuneloop"]
Severity = Literal["error", "warning"]

MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "function_call", "tool_calls", "tool_call_id"}
)
RECOGNIZED_ROLES = frozenset({"system", "user", "assistant", "tool", "function"})
TOP_LEVEL_KEYS = frozenset({"messages", "tools", "functions", "parallel_tool_calls"})
_CALL_KEYS = ("function_call", "tool_calls")


@dataclass(frozen=True)
class Issue:
    """One problem at ``path:line`` (``line`` is None for the whole file)."""

    path: str
    line: int | None
    code: str
    message: str
    severity: Severity = "error"

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        return f"{self.location}: {self.code}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


class _Collector:
    def __init__(self, path: str, line: int) -> None:
        self.path, self.line = path, line
        self.issues: list[Issue] = []

    def error(self, code: str, message: str) -> None:
        self.issues.append(Issue(self.path, self.line, code, message, "error"))

    def warn(self, code: str, message: str) -> None:
        self.issues.append(Issue(self.path, self.line, code, message, "warning"))


def _check_parts(parts: list[Any], where: str, out: _Collector) -> None:
    if not parts:
        out.error("missing_content", f"{where}: the content-parts list is empty")
    for k, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind == "image_url" and isinstance(part.get("image_url"), dict | str):
            continue
        out.error(
            "invalid_content",
            f'{where}: content part {k} must be {{"type": "text", "text": "…"}} '
            'or {"type": "image_url", "image_url": {…}}',
        )


def _check_message(message: Any, k: int, out: _Collector) -> None:
    where = f"messages[{k}]"
    if not isinstance(message, dict):
        out.error("data_type", f"{where} is not a JSON object")
        return
    role = message.get("role")
    has_call = any(message.get(key) for key in _CALL_KEYS)
    missing = [key for key in ("role", "content") if key not in message]
    if missing and not (missing == ["content"] and role == "assistant" and has_call):
        out.error("message_missing_key", f"{where} has no {' or '.join(map(repr, missing))}")
    unknown = sorted(set(message) - MESSAGE_KEYS)
    if unknown:
        out.error(
            "message_unrecognized_key",
            f"{where} has key(s) {', '.join(map(repr, unknown))}; allowed: "
            + ", ".join(sorted(MESSAGE_KEYS)),
        )
    if "role" in message and role not in RECOGNIZED_ROLES:
        hint = " (use 'system')" if role == "developer" else ""
        out.error(
            "unrecognized_role",
            f"{where} has role {role!r}{hint}; allowed: " + ", ".join(sorted(RECOGNIZED_ROLES)),
        )
    content = message.get("content")
    if isinstance(content, str):
        if not content and not has_call:
            out.error("missing_content", f"{where} ({role}) has empty content")
        elif content and not content.strip():
            out.warn("blank_content", f"{where} ({role}) content is only whitespace")
    elif content is None:
        if "content" in message and not has_call:
            out.error("missing_content", f"{where} ({role}) has null content")
    elif isinstance(content, list) and role == "user":
        _check_parts(content, where, out)
    else:
        allowed = "a string or a list of content parts" if role == "user" else "a string"
        out.error(
            "invalid_content",
            f"{where} ({role}) content is {type(content).__name__}; it must be {allowed}",
        )
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            out.error("invalid_weight", f"{where}: weight is only allowed on assistant messages")
        elif isinstance(weight, bool) or not isinstance(weight, int) or weight not in (0, 1):
            out.error("invalid_weight", f"{where}: weight must be 0 or 1, got {weight!r}")


def check_example(data: Any, *, path: str, line: int, fmt: FileFormat = "openai") -> list[Issue]:
    """Every issue of one parsed line (errors and warnings), in check order."""
    out = _Collector(path, line)
    if not isinstance(data, dict):
        out.error("data_type", f"the line is a JSON {type(data).__name__}, not an object")
        return out.issues
    if fmt == "tuneloop":
        kind = data.get("kind")
        if kind == "document":
            out.warn("document_skipped", "a document record (not a conversation) is skipped")
            return out.issues
        if kind != "example":
            out.error("unknown_kind", f'"kind" is {kind!r}; a record file holds "example" lines')
            return out.issues
        if isinstance(data.get("messages"), list):
            # Checked as `tuneloop data export` writes it: API keys only, developer → system.
            data = {
                "messages": [api_message(m) if isinstance(m, dict) else m for m in data["messages"]]
            }
    else:
        unknown = sorted(set(data) - TOP_LEVEL_KEYS)
        if unknown:
            out.warn(
                "unrecognized_key",
                f"top-level key(s) {', '.join(map(repr, unknown))} are not part of the format",
            )
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        out.error("missing_messages_list", 'no non-empty "messages" list')
        return out.issues
    for k, message in enumerate(messages):
        _check_message(message, k, out)
    dicts = [m for m in messages if isinstance(m, dict)]
    assistants = [m for m in dicts if m.get("role") == "assistant"]
    if not assistants:
        out.error("example_missing_assistant_message", "no assistant message to learn from")
    elif all(m.get("weight", 1) == 0 for m in assistants):
        out.warn("no_trained_assistant_message", "every assistant message has weight 0")
    roles = {m.get("role") for m in dicts}
    if "system" not in roles:
        out.warn("missing_system_message", "no system message")
    if "user" not in roles:
        out.warn("missing_user_message", "no user message")
    return out.issues


@dataclass
class ValidationReport:
    """The result of validating one file."""

    path: str
    format: FileFormat
    n_lines: int
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    stats: TokenStats | None = None
    cost: CostEstimate | None = None
    encoding: str | None = None
    """The encoding the file's non-UTF-8 lines are in, when one was recognised (``cp949``)."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        """How many issues of each code (errors and warnings), as the cookbook prints them."""
        return dict(Counter(i.code for i in [*self.errors, *self.warnings]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "ok": self.ok,
            "n_lines": self.n_lines,
            "counts": self.counts(),
            "errors": [i.as_dict() for i in self.errors],
            "warnings": [i.as_dict() for i in self.warnings],
            "stats": self.stats.as_dict() if self.stats else None,
            "cost": self.cost.as_dict() if self.cost else None,
            "encoding": self.encoding,
        }


def detect_format(objects: Sequence[Any]) -> FileFormat:
    """``"tuneloop"`` when the first JSON object has a ``kind`` key, else ``"openai"``."""
    for data in objects:
        if isinstance(data, dict):
            return "tuneloop" if "kind" in data else "openai"
    return "openai"


def check_line(raw: bytes, *, path: str, line: int) -> tuple[Any, list[Issue]]:
    """Decode and parse one raw line: ``(object or None, issues)``."""
    out = _Collector(path, line)
    if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
        out.warn("utf8_bom", "the file starts with a UTF-8 byte-order mark; save it without one")
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.error("invalid_utf8", f"not UTF-8 ({exc.reason} at byte {exc.start})")
        return None, out.issues
    if not text.strip():
        out.warn("blank_line", "blank line")
        return None, out.issues
    try:
        return json.loads(text), out.issues
    except json.JSONDecodeError as exc:
        out.error("invalid_json", f"not valid JSON ({exc.msg} at column {exc.colno})")
        return None, out.issues


# Korean legacy codecs first: euc-kr is the strict subset, cp949 (Windows, Excel) the superset.
_LEGACY_CODECS = (("euc_kr", "euc-kr"), ("cp949", "cp949"))


def detect_encoding(data: bytes) -> str | None:
    """The encoding ``data`` (bytes that are not UTF-8) is in, or None when none fits.

    Korean legacy encodings are tried first and strictly (a few bytes decide nothing by
    statistics); anything else is left to the detector ``data ingest`` uses.
    """
    for codec, name in _LEGACY_CODECS:
        try:
            data.decode(codec)
        except UnicodeDecodeError:
            continue
        return name
    from tuneloop.data.ingest.encoding import decode_bytes

    try:
        found = decode_bytes(data, path="-").encoding
    except DataError:  # binary, or no codec explains it
        return None
    return None if found in ("utf_8", "utf-8", "ascii") else found.replace("_", "-")


def conversion_hint(path: str, encoding: str) -> str:
    """How to turn ``path`` (in ``encoding``) into the UTF-8 that OpenAI's API requires."""
    name = Path(path).name
    stem = name.removesuffix(".jsonl")
    return (
        f"convert it: `iconv -f {encoding} -t utf-8 {name} > {stem}.utf8.jsonl`, or without "
        f"iconv `tuneloop data ingest {name} -o {stem}.records.jsonl && tuneloop data export "
        f"{stem}.records.jsonl -o {stem}.utf8.jsonl` (ingest detects the encoding)"
    )


def validate_lines(
    lines: Sequence[bytes],
    *,
    path: str,
    counter: TokenCounter | None = None,
    model: str | None = None,
    max_tokens_per_example: int = 65536,
    price_per_million: float | None = None,
    epochs: int | None = None,
) -> ValidationReport:
    """Validate the raw lines of a file (the pure core of :func:`validate_file`)."""
    issues: list[Issue] = []
    parsed: list[tuple[int, Any]] = []
    for number, raw in enumerate(lines, start=1):
        data, found = check_line(raw, path=path, line=number)
        issues.extend(found)
        if data is not None:
            parsed.append((number, data))
    fmt = detect_format([d for _, d in parsed])
    bad = [i.line for i in issues if i.code == "invalid_utf8" and i.line is not None]
    encoding = detect_encoding(b"\n".join(lines[n - 1] for n in bad)) if bad else None
    if encoding is not None:
        issues.append(
            Issue(
                path,
                None,
                "not_utf8",
                f"{len(bad)} of {len(lines)} lines are {encoding}, not UTF-8, and OpenAI's API "
                f"accepts only UTF-8; {conversion_hint(path, encoding)}",
            )
        )
    if not parsed and not any(i.code in ("invalid_utf8", "invalid_json") for i in issues):
        issues = [i for i in issues if i.code != "blank_line"]
        issues.append(Issue(path, None, "empty_file", "the file has no examples"))
    usable: list[tuple[int, list[dict[str, Any]]]] = []
    for number, data in parsed:
        found = check_example(data, path=path, line=number, fmt=fmt)
        issues.extend(found)
        messages = data.get("messages") if isinstance(data, dict) else None
        if (
            (fmt == "openai" or data.get("kind") == "example")
            and isinstance(messages, list)
            and messages
            and all(isinstance(m, dict) for m in messages)
        ):
            usable.append((number, messages))
    report = ValidationReport(path=path, format=fmt, n_lines=len(lines), encoding=encoding)
    if usable:
        stats = token_stats([m for _, m in usable], counter=counter, limit=max_tokens_per_example)
        for (number, _), total in zip(usable, stats.totals, strict=True):
            if total > max_tokens_per_example:
                issues.append(
                    Issue(
                        path,
                        number,
                        "too_many_tokens",
                        f"{'' if stats.exact else 'about '}{total} tokens > the "
                        f"{max_tokens_per_example}-token limit; training truncates it",
                        "warning",
                    )
                )
        report.stats = stats
        report.cost = estimate_cost(
            stats.totals,
            limit=max_tokens_per_example,
            epochs=epochs,
            price_per_million=price_per_million,
            model=model,
        )
    issues.sort(key=lambda i: i.line or 0)
    report.errors = [i for i in issues if i.severity == "error"]
    report.warnings = [i for i in issues if i.severity == "warning"]
    return report


def _counter_for(model: str | None, chat_model: ChatModel | None) -> TokenCounter:
    """OpenAI model names (and no model): exact counts of the family's encoding, or the labelled
    estimate when it is not installed; otherwise the local model's tokenizer."""
    if chat_model is not None:
        return ModelCounter(chat_model)
    if model is None or is_openai_model(model):
        return openai_counter(model)
    from tuneloop.config import load_settings
    from tuneloop.models.catalog import Catalog

    return ModelCounter(Catalog(load_settings()).get(model))


def validate_file(
    path: Path,
    *,
    model: str | None = None,
    max_tokens_per_example: int = 65536,
    price_per_million: float | None = None,
    epochs: int | None = None,
    chat_model: ChatModel | None = None,
) -> ValidationReport:
    """Validate a chat fine-tuning JSONL file or a tuneloop record file of examples.

    ``model``: an OpenAI model name (``gpt-4o-mini``…) picks its training price and its exact
    encoding (no model: o200k_base; the estimate only when the encoding is not installed — the
    report's ``stats.counter`` says which); any other name is loaded through
    :class:`~tuneloop.models.catalog.Catalog` and its real tokenizer counts (pass ``chat_model``
    to reuse one already loaded).
    ``price_per_million`` overrides the price; ``epochs`` the cookbook's default-epochs heuristic.
    Raises :class:`DataError` only when the file cannot be read; everything else is in the report.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file", hint="Check the path.")
    if max_tokens_per_example < 1:
        raise DataError("The per-example token limit must be at least 1.")
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final newline ends the last line; it does not start a blank one
    lines = [line.removesuffix(b"\r") for line in lines]
    return validate_lines(
        lines,
        path=str(path),
        counter=_counter_for(model, chat_model),
        model=model,
        max_tokens_per_example=max_tokens_per_example,
        price_per_million=price_per_million,
        epochs=epochs,
    )
