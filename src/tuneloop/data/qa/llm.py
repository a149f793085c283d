"""Q/A pairs written by a chat model from each document chunk, kept only when grounded.

The model gets one chunk at a time through a prompt file (the packaged ``qa-generate.yaml``, or
the user's own via ``--prompt``), so the prompt can be linted, versioned and A/B-tested like any
other (``tuneloop prompt …``). Calls go through :func:`tuneloop.prompts.runner.run_cases`: the same
bounded concurrency, per-case error capture and progress callback as ``prompt run``.

Models are unreliable writers of JSON, so replies are parsed tolerantly (code fences, text before
or after the JSON, a bare list of pairs); a reply with no usable pair is a counted
:class:`~tuneloop.data.qa.pairs.QaFailure` naming the chunk's source, never a crash. Models also
invent facts, so every pair is checked against *its own* chunk
(:mod:`tuneloop.data.qa.grounding`): grounded pairs are kept, the others come back flagged
(``meta.flags = ["ungrounded"]``) for a human to look at — never silently kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from tuneloop.data.qa.grounding import DEFAULT_THRESHOLD
from tuneloop.data.qa.pairs import QaFailure, QaResult, document_title, make_pair
from tuneloop.data.records import Document
from tuneloop.errors import AuthError, BackendError, ModelNotFound, PromptError
from tuneloop.models.base import ChatModel
from tuneloop.prompts.template import PromptFile, parse_prompt

__all__ = ["generate_qa", "packaged_prompt", "parse_pairs", "prompt_ref"]

PACKAGED_PROMPT = "qa-generate.yaml"
Progress = Callable[[int, int], None]

# Errors that would repeat for every chunk: stop at once instead of counting N identical failures.
_FATAL_CODES = (AuthError.code, ModelNotFound.code)
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
_QUESTION_KEYS = ("question", "q", "질문")
_ANSWER_KEYS = ("answer", "a", "답", "답변")


def packaged_prompt() -> PromptFile:
    """The built-in ``qa-generate`` prompt shipped inside the package."""
    resource = files("tuneloop.data") / "prompts" / PACKAGED_PROMPT
    return parse_prompt(resource.read_text(encoding="utf-8"), Path(str(resource)))


def prompt_ref(prompt: PromptFile) -> str:
    """``name@version`` for a pushed version, else ``name@sha256:<12 hex>`` of the file's text."""
    match = re.fullmatch(r"(.+)@v(\d+)", prompt.path.stem)
    if match:
        return f"{match.group(1)}@{match.group(2)}"
    return f"{prompt.name}@sha256:{prompt.content_hash[:12]}"


def _json_values(reply: str) -> list[Any]:
    """JSON values found in a reply: fenced blocks first, then the whole text, then every value
    that starts at a ``{`` or ``[`` (text around the JSON is ignored)."""
    texts = [m.group(1) for m in _FENCE.finditer(reply)] + [reply]
    decoder = json.JSONDecoder()
    values: list[Any] = []
    for text in texts:
        try:
            values.append(json.loads(text))
            continue
        except json.JSONDecodeError:
            pass
        for match in re.finditer(r"[\[{]", text):
            try:
                value, _ = decoder.raw_decode(text, match.start())
            except json.JSONDecodeError:
                continue
            values.append(value)
            break
    return values


def _field(item: dict[str, Any], keys: Sequence[str]) -> str | None:
    lowered = {str(k).strip().lower(): v for k, v in item.items()}
    for key in keys:
        value = lowered.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        for key in ("pairs", "qa", "questions", "items"):
            if isinstance(value.get(key), list):
                return list(value[key])
        if _field(value, _QUESTION_KEYS) is not None:
            return [value]
        return None
    if isinstance(value, list):
        return value
    return None


def parse_pairs(reply: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``(pairs, problems)`` from a model reply: ``[(question, answer), …]`` and what was wrong
    with the items that could not be used.

    Accepts ``{"pairs": [{"question", "answer"}]}`` (the prompt's schema), a bare list of such
    objects, one object, inside code fences or after a sentence of chatter. No pairs at all is
    reported as a problem.
    """
    for value in _json_values(reply):
        items = _items(value)
        if items is None:
            continue
        pairs: list[tuple[str, str]] = []
        problems: list[str] = []
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                problems.append(f"pair {number} is not an object")
                continue
            question, answer = _field(item, _QUESTION_KEYS), _field(item, _ANSWER_KEYS)
            if question is None or answer is None:
                problems.append(f"pair {number} lacks a non-empty question or answer")
                continue
            pairs.append((question, answer))
        if not pairs:
            problems.append("the reply has no usable pairs")
        return pairs, problems
    return [], ['no JSON with {"pairs": [...]} in the reply']


def _variables(prompt: PromptFile, document: Document, count: int) -> dict[str, Any]:
    available = {
        "text": document.text,
        "count": count,
        "title": document_title(document) or "",
        "source": str(document.source),
    }
    return {k: v for k, v in available.items() if k in prompt.template.variables}


def generate_qa(
    documents: Sequence[Document],
    model: ChatModel,
    *,
    prompt: PromptFile | None = None,
    pairs_per_chunk: int = 3,
    concurrency: int = 4,
    seed: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    system: str | None = None,
    progress: Progress | None = None,
) -> QaResult:
    """Ask ``model`` for ``pairs_per_chunk`` pairs per document (at most ``concurrency`` calls at
    once) and check each pair against its document.

    ``progress(done, total)`` is called after each chunk. ``meta.generator`` is
    ``llm:<model name>``, ``meta.prompt`` the prompt's :func:`prompt_ref`. Raises
    :class:`~tuneloop.errors.PromptError` when the prompt does not take the chunk as ``text``,
    and :class:`~tuneloop.errors.BackendError` when the model cannot be used at all (wrong API
    key, unknown model); any other failure is counted per chunk.
    """
    from tuneloop.prompts.cases import Case
    from tuneloop.prompts.render import render
    from tuneloop.prompts.runner import merge_params, run_cases

    prompt = prompt or packaged_prompt()
    if "text" not in prompt.template.variables:
        raise PromptError(
            f"{prompt.path}: prompt '{prompt.name}' does not declare the variable `text`, so it "
            "cannot receive the document chunk.",
            hint="Declare `text` under `variables:` and use {{ text }} in `user` (see the "
            "packaged qa-generate.yaml); `count`, `title` and `source` are also available.",
        )
    result = QaResult(documents=len(documents))
    if not documents:
        return result
    cases = [
        Case(i, _variables(prompt, doc, pairs_per_chunk), str(doc.source))
        for i, doc in enumerate(documents)
    ]
    render(prompt, cases[0].variables)  # a broken template is one error, not one per chunk
    params = merge_params(prompt.template.params, {"seed": seed})
    done = 0

    def advance(_: object) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(cases))

    outcomes = run_cases(prompt, model, cases, params, concurrency=concurrency, on_done=advance)
    fatal = [o.error for o in outcomes if o.error and o.error.startswith(_FATAL_CODES)]
    if fatal:
        raise BackendError(
            f"Model {model.name!r} cannot be used: {fatal[0]}",
            hint="Check the model name (`tuneloop models list`) and its API key.",
        )
    generator, ref = f"llm:{model.name}", prompt_ref(prompt)
    for document, outcome in zip(documents, outcomes, strict=True):
        if outcome.error is not None:
            result.failures.append(QaFailure(document.source, outcome.error))
            continue
        reply = outcome.output or ""
        pairs, problems = parse_pairs(reply)
        if outcome.finish_reason == "length" and problems:
            problems = [p + " (the reply was cut off at max_tokens)" for p in problems]
        result.failures += [QaFailure(document.source, p, reply[:300]) for p in problems]
        for question, answer in pairs:
            example, grounded = make_pair(
                question,
                answer,
                document=document,
                source=document.source,
                generator=generator,
                threshold=threshold,
                system=system,
                meta={"prompt": ref},
            )
            result.add(example, "kept" if grounded else "flagged")
    return result
