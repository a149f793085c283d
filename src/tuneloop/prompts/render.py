"""Turn a prompt file plus variables into OpenAI chat messages, in a Jinja2 sandbox.

Why Jinja2's ``ImmutableSandboxedEnvironment``: prompt files and variable values may come from
other people (a shared repository, an HTTP request naming ``name@production``). The sandbox blocks
attribute access to internals (``{{ ''.__class__.__mro__ }}``-style template injection), calling
unsafe methods and mutating values; ``StrictUndefined`` turns a misspelt variable into an error
instead of an empty string silently sent to the model.

Retrieved context (a ``retrieve`` item) is searched with the question — the rendered user
message unless the item names a ``query`` — and inserted as numbered sources,
``[1] text (docs/gyeongbokgung.md:12)``, numbered across all such items in order, in the format
of :func:`tuneloop.text.retrieval.format_sources` (the one training data uses, so a model tuned
on context-aware examples sees its sources at serving time as it saw them in training). The hits
come back on :class:`Rendered` (``sources``, ``index_hashes``), so ``prompt run``, ``chat``, the
eval runner and the server — which all render here — can show and store what each answer was
given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tuneloop.errors import PromptError
from tuneloop.models.types import Message
from tuneloop.prompts.template import ContextItem, Example, PromptFile, RetrieveSpec, Variable
from tuneloop.text.korean import has_hangul
from tuneloop.text.retrieval import IndexResolver, Retriever, format_sources

if TYPE_CHECKING:
    from tuneloop.text.retrieval import Hit

__all__ = [
    "Rendered",
    "coerce_variable",
    "render",
    "resolve_variables",
    "template_env",
    "user_text",
]


CITE = {
    True: "위 참고 자료에 근거해 답하고, 사용한 자료의 번호를 [1]처럼 표시하세요. "
    "자료에 답이 없으면 자료에 없다고 말하거나 되물어 보세요.",
    False: "Answer from the sources above and cite the ones you use as [1]. If they do not "
    "contain the answer, say so or ask a clarifying question.",
}
EMPTY = {
    True: "관련 자료를 찾지 못했습니다.",
    False: "No matching sources were found.",
}


@dataclass(frozen=True)
class Rendered:
    """The messages to send, plus what was retrieved for them.

    ``sources`` are the passages inserted into the context, in the order they are numbered
    (``sources[0]`` is ``[1]``); ``index_hashes`` maps each index reference searched to its
    retriever's ``content_hash`` (a response cache must key on it: a new index version may
    answer differently even where the same passages are shown).
    """

    messages: list[Message]
    variables: dict[str, Any]
    examples: list[Example] = field(default_factory=list)
    sources: tuple[Hit, ...] = ()
    index_hashes: dict[str, str] = field(default_factory=dict)

    def as_dicts(self) -> list[dict[str, str]]:
        return [m.as_dict() for m in self.messages]


_ENV: ImmutableSandboxedEnvironment | None = None


def template_env() -> ImmutableSandboxedEnvironment:
    global _ENV
    if _ENV is None:
        _ENV = ImmutableSandboxedEnvironment(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
        )
    return _ENV


def coerce_variable(name: str, spec: Variable, value: Any, where: str) -> Any:
    """Check ``value`` against the declared type; strings from the CLI are converted."""
    kind = spec.type
    try:
        if kind == "string":
            if not isinstance(value, str):
                raise TypeError
        elif kind == "integer":
            if isinstance(value, str):
                value = int(value.strip())
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError
        elif kind == "number":
            if isinstance(value, str):
                value = float(value.strip())
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError
        elif kind == "boolean":
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                    raise TypeError
                value = lowered in {"true", "1", "yes"}
            if not isinstance(value, bool):
                raise TypeError
        elif kind == "list":
            if isinstance(value, str):
                value = json.loads(value) if value.strip().startswith("[") else value.split(",")
            if not isinstance(value, list):
                raise TypeError
    except (TypeError, ValueError) as exc:
        raise PromptError(
            f"{where}: variable '{name}' must be {kind}, got {value!r}.",
            hint=f"Pass a {kind} value for '{name}'.",
        ) from exc
    if spec.enum is not None and value not in spec.enum:
        raise PromptError(
            f"{where}: variable '{name}' must be one of {spec.enum}, got {value!r}.",
            hint="Use one of the allowed values.",
        )
    return value


def resolve_variables(prompt: PromptFile, given: Mapping[str, Any]) -> dict[str, Any]:
    """Given values + defaults, type-checked; unknown or missing variables are errors."""
    declared = prompt.template.variables
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise PromptError(
            f"{prompt.path}: unknown variable(s) {', '.join(repr(u) for u in unknown)} for prompt "
            f"'{prompt.name}' (declared: {', '.join(declared) or 'none'}).",
            hint="Fix the variable name, or declare it under `variables:` in the prompt file.",
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        where = prompt.where("variables", name)
        if name in given:
            values[name] = coerce_variable(name, spec, given[name], where)
        elif spec.default is not None:
            values[name] = coerce_variable(name, spec, spec.default, where)
        elif spec.required:
            raise PromptError(
                f"{where}: missing required variable '{name}' for prompt '{prompt.name}'.",
                hint=f"Pass it, e.g. `--var {name}=...`.",
            )
        else:
            values[name] = ""
    return values


def _render_text(prompt: PromptFile, text: str, values: Mapping[str, Any], *loc: int | str) -> str:
    where = prompt.where(*loc)
    try:
        return template_env().from_string(text).render(**values).strip()
    except SecurityError as exc:
        raise PromptError(
            f"{where}: unsafe template expression blocked by the sandbox ({exc}).",
            hint="Templates may only use variables, filters and simple expressions.",
        ) from exc
    except jinja2.UndefinedError as exc:
        raise PromptError(
            f"{where}: {exc.message} in prompt '{prompt.name}'.",
            hint="Declare the variable under `variables:` or fix its name in the template.",
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise PromptError(
            f"{where}: template syntax error on line {exc.lineno} of that field: {exc.message}.",
            hint="Check the {{ }} and {% %} pairs.",
        ) from exc


def _retrieved(
    prompt: PromptFile,
    spec: RetrieveSpec,
    question: str,
    values: Mapping[str, Any],
    indexes: IndexResolver,
    found: list[Hit],
    hashes: dict[str, str],
    korean: bool,
    i: int,
) -> str:
    query = question
    if spec.query is not None:
        query = _render_text(prompt, spec.query, values, "context", i, "retrieve", "query")
    retriever = indexes(spec.index)
    hashes[spec.index] = retriever.content_hash
    hits = [h for h in retriever.search(query, k=spec.k) if h.score >= spec.min_score]
    if not hits:
        return EMPTY[korean] if spec.empty is None else spec.empty.strip()
    # The one source format training data uses too; numbering goes on from earlier items.
    earlier = format_sources(found)
    found.extend(hits)
    block = format_sources(found)
    return block[len(earlier) + 2 :] if earlier else block


def _cite_lines(prompt: PromptFile, korean: bool) -> list[str]:
    """Each distinct citing instruction of the ``retrieve`` items, once, after the context."""
    lines: list[str] = []
    for item in prompt.template.context:
        if item.retrieve is None:
            continue
        cite = CITE[korean] if item.retrieve.cite is None else item.retrieve.cite.strip()
        if cite and cite not in lines:
            lines.append(cite)
    return lines


def _context_text(
    prompt: PromptFile,
    values: Mapping[str, Any],
    question: str,
    indexes: IndexResolver,
    found: list[Hit],
    hashes: dict[str, str],
    korean: bool,
) -> list[tuple[str, str]]:
    blocks = []
    for i, item in enumerate(prompt.template.context):
        blocks.append(
            (
                item.name,
                _item_text(prompt, item, i, values, question, indexes, found, hashes, korean),
            )
        )
    return blocks


def _item_text(
    prompt: PromptFile,
    item: ContextItem,
    i: int,
    values: Mapping[str, Any],
    question: str,
    indexes: IndexResolver,
    found: list[Hit],
    hashes: dict[str, str],
    korean: bool,
) -> str:
    if item.retrieve is not None:
        return _retrieved(
            prompt, item.retrieve, question, values, indexes, found, hashes, korean, i
        )
    if item.file is not None:
        file = (prompt.base_dir / item.file).resolve()
        try:
            raw = file.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError) as exc:
            raise PromptError(
                f"{prompt.where('context', i, 'file')}: cannot read {file} ({exc}).",
                hint="Paths are relative to the prompt file; files must be UTF-8.",
            ) from exc
        return raw.strip()
    return _render_text(prompt, item.text or "", values, "context", i)


def _output_hint(prompt: PromptFile, korean: bool) -> str:
    out = prompt.template.output
    lines: list[str] = []
    if out.format == "json":
        if korean:
            lines.append("답변은 JSON으로만 작성하세요.")
        else:
            lines.append("Answer with JSON only.")
        if out.schema_:
            schema = json.dumps(out.schema_, ensure_ascii=False, indent=2)
            lines.append(("JSON 스키마:" if korean else "JSON Schema:") + "\n" + schema)
    elif out.format == "list":
        lines.append("번호를 매긴 목록으로 답하세요." if korean else "Answer as a numbered list.")
    elif out.format == "markdown":
        lines.append("Markdown으로 답하세요." if korean else "Answer in Markdown.")
    if out.instructions:
        lines.append(out.instructions.strip())
    return "\n".join(lines)


def user_text(prompt: PromptFile, variables: Mapping[str, Any] | None = None) -> str:
    """Only the rendered user message: what few-shot selection and retrieval search with."""
    values = resolve_variables(prompt, variables or {})
    return _render_text(prompt, prompt.template.user, values, "user")


def _cannot_retrieve(ref: str) -> Retriever:
    raise PromptError(
        f"This prompt retrieves from {ref!r}, but nothing here can open knowledge indexes.",
        hint="Render it through a command that retrieves (`tuneloop prompt render/run`, "
        "`tuneloop chat --prompt`, `tuneloop eval run`, the server).",
    )


def render(
    prompt: PromptFile,
    variables: Mapping[str, Any] | None = None,
    *,
    examples: Sequence[Example] | None = None,
    indexes: IndexResolver | None = None,
) -> Rendered:
    """Render messages: system (+ context + output hint), few-shot pairs, then the user turn.

    ``examples`` replaces the file's static examples (dynamic few-shot passes its selection).
    ``indexes`` opens ``retrieve`` items' indexes: the caller passes
    :func:`tuneloop.knowledge.index_resolver` (prompts never import the knowledge component);
    without one, a prompt that retrieves is a :class:`~tuneloop.errors.PromptError`.
    """
    t = prompt.template
    values = resolve_variables(prompt, variables or {})
    user = _render_text(prompt, t.user, values, "user")
    system = _render_text(prompt, t.system, values, "system") if t.system else ""
    korean = has_hangul(system + user)
    parts = [system] if system else []
    found: list[Hit] = []
    hashes: dict[str, str] = {}
    resolver = indexes or _cannot_retrieve
    context = _context_text(prompt, values, user, resolver, found, hashes, korean)
    if context:
        heading = "참고 자료" if korean else "Context"
        parts.append(f"## {heading}\n" + "\n\n".join(f"### {n}\n{body}" for n, body in context))
    if found:
        parts.extend(_cite_lines(prompt, korean))
    hint = _output_hint(prompt, korean)
    if hint:
        parts.append(hint)
    messages: list[Message] = []
    if parts:
        messages.append(Message("system", "\n\n".join(parts)))
    chosen = list(t.examples if examples is None else examples)
    for ex in chosen:
        messages.append(Message("user", ex.user.strip()))
        messages.append(Message("assistant", ex.assistant.strip()))
    messages.append(Message("user", user))
    return Rendered(
        messages=messages,
        variables=values,
        examples=chosen,
        sources=tuple(found),
        index_hashes=hashes,
    )
