"""The values lint works with: issues, the rule protocol, and the context every rule reads.

Why one :class:`LintContext` built once per prompt: several rules need the same expensive or
fallible work — parsing each Jinja field, rendering the messages, Kiwi morphemes of the same
text — so it is done (and its failures recorded) in one place, and rules stay small pure checks.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import jinja2
from jinja2 import meta, nodes

from tuneloop.errors import PromptError
from tuneloop.prompts.render import Rendered, render, template_env
from tuneloop.prompts.template import PromptFile, Variable
from tuneloop.text.korean import Morpheme, morphemes

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel

__all__ = ["LintContext", "LintIssue", "LintRule", "Loc", "Rule", "Severity"]

Loc = tuple[int | str, ...]


class Severity(enum.StrEnum):
    """``error`` fails ``prompt lint`` (and a CI step); warnings and info only inform."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class LintIssue:
    """One finding: which rule, how bad, what is wrong, what to do, and where (file:line:col)."""

    rule: str
    severity: Severity
    message: str
    fix: str
    location: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "fix": self.fix,
            "location": self.location,
        }


@runtime_checkable
class LintRule(Protocol):
    """A check over one prompt. ``id`` is stable: users disable rules and scripts match on it."""

    @property
    def id(self) -> str: ...

    @property
    def severity(self) -> Severity:
        """The usual severity; a rule may report a single issue higher or lower."""
        ...

    @property
    def description(self) -> str: ...

    def check(self, ctx: LintContext) -> Iterable[LintIssue]: ...


class Rule:
    """Convenience base for rules: class attributes for the protocol and an issue builder."""

    id: str = ""
    severity: Severity = Severity.WARNING
    description: str = ""

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        raise NotImplementedError

    def issue(
        self,
        ctx: LintContext,
        loc: Loc,
        message: str,
        fix: str,
        severity: Severity | None = None,
    ) -> LintIssue:
        return LintIssue(self.id, severity or self.severity, message, fix, ctx.where(*loc))


def _placeholder(name: str, spec: Variable) -> Any:
    """A value of the declared type standing in for a required variable nobody passed."""
    if spec.enum:
        return spec.enum[0]
    return {
        "string": f"<{name}>",
        "integer": 3,
        "number": 3.0,
        "boolean": True,
        "list": [f"<{name}>"],
    }[spec.type]


class LintContext:
    """Everything a rule may look at for one prompt, computed once.

    ``rendered`` holds the messages rendered with defaults; required variables without a default
    get a placeholder of their type, and variables used but never declared get a string
    placeholder, so one mistake does not hide every rule that reads the rendered prompt. When
    rendering still fails (syntax error, unreadable context file, sandbox refusal) ``rendered`` is
    ``None`` and ``render_error`` says why.
    """

    def __init__(
        self,
        prompt: PromptFile,
        *,
        model: ChatModel | None = None,
        context_window: int | None = None,
    ) -> None:
        self.prompt = prompt
        self.model = model
        self.context_window_override = context_window
        self.template_fields: dict[Loc, str] = {}
        self.parsed: dict[Loc, nodes.Template] = {}
        self.syntax_errors: dict[Loc, jinja2.TemplateSyntaxError] = {}
        self._morphemes: dict[str, list[Morpheme]] = {}
        t = prompt.template
        if t.system is not None:
            self.template_fields[("system",)] = t.system
        for i, item in enumerate(t.context):
            if item.text is not None:
                self.template_fields[("context", i, "text")] = item.text
            if item.retrieve is not None and item.retrieve.query is not None:
                self.template_fields[("context", i, "retrieve", "query")] = item.retrieve.query
        self.template_fields[("user",)] = t.user
        env = template_env()
        for loc, text in self.template_fields.items():
            try:
                self.parsed[loc] = env.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                self.syntax_errors[loc] = exc
        self.rendered: Rendered | None = None
        self.render_error: PromptError | None = None
        if not self.syntax_errors:
            try:
                self.rendered = self._render()
            except PromptError as exc:
                self.render_error = exc

    def _render(self) -> Rendered:
        t = self.prompt.template
        undeclared = sorted(self.undeclared_variables() - set(t.variables))
        prompt = self.prompt
        if undeclared:
            patched = dict(t.variables)
            for name in undeclared:
                patched[name] = Variable(type="string", default=f"<{name}>")
            template = t.model_copy(update={"variables": patched})
            prompt = PromptFile(template, prompt.source, prompt.path, prompt.doc)
        values = {
            name: _placeholder(name, spec)
            for name, spec in t.variables.items()
            if spec.required and spec.default is None
        }
        # Lint checks the template, not an index: retrieval finds nothing here (and needs none).
        return render(prompt, values, indexes=lambda ref: _NoPassages())

    def where(self, *loc: int | str) -> str:
        return self.prompt.where(*loc)

    def morphemes(self, text: str) -> list[Morpheme]:
        """Kiwi morphemes of ``text``, cached: several rules read the same fields."""
        found = self._morphemes.get(text)
        if found is None:
            found = self._morphemes[text] = morphemes(text)
        return found

    def used_variables(self, loc: Loc) -> set[str]:
        """Variables a template field reads (loop and ``set`` names excluded)."""
        parsed = self.parsed.get(loc)
        return set(meta.find_undeclared_variables(parsed)) if parsed is not None else set()

    def undeclared_variables(self) -> set[str]:
        used: set[str] = set()
        for loc in self.parsed:
            used |= self.used_variables(loc)
        return used - set(self.prompt.template.variables)

    def instruction_fields(self) -> list[tuple[Loc, str]]:
        """The texts that instruct the model: system, user and output instructions (raw)."""
        t = self.prompt.template
        fields: list[tuple[Loc, str]] = []
        if t.system:
            fields.append((("system",), t.system))
        fields.append((("user",), t.user))
        if t.output.instructions:
            fields.append((("output", "instructions"), t.output.instructions))
        return fields

    @property
    def user_text(self) -> str:
        """The user turn as rendered (defaults and placeholders), else the raw template."""
        if self.rendered is not None:
            return self.rendered.messages[-1].content
        return self.prompt.template.user

    @property
    def context_window(self) -> int | None:
        if self.context_window_override is not None:
            return self.context_window_override
        return self.model.context_window if self.model is not None else None


class _NoPassages:
    """A retriever with nothing in it: what lint renders ``retrieve`` context with."""

    content_hash = "sha256:none"

    def search(self, query: str, k: int = 5) -> list[Any]:
        return []
