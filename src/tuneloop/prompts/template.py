"""The prompt file format: one YAML file per prompt, validated by these pydantic models.

A prompt has ``system`` instructions, ``context`` (inline text, files, or passages
retrieved from a knowledge index for each question), few-shot ``examples``
(or ``examples_from`` a dataset, picked per input), typed ``variables``, the ``user`` message
template, ``output`` format hints, and default model ``params``. ``tuneloop schema prompt``
exports the JSON Schema of :class:`PromptTemplate` so editors can complete these files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tuneloop.errors import PromptError
from tuneloop.yamlfile import YamlDocument, load_yaml, parse_yaml, validate_yaml

__all__ = [
    "ContextItem",
    "Example",
    "ExamplesFrom",
    "OutputSpec",
    "PromptFile",
    "PromptParams",
    "PromptTemplate",
    "RetrieveSpec",
    "Variable",
    "load_prompt",
    "parse_prompt",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Variable(_Strict):
    """A template variable: ``{{ name }}`` in ``system``, ``context`` or ``user``."""

    type: Literal["string", "integer", "number", "boolean", "list"] = Field(
        "string", description="Values are checked (and CLI strings converted) to this type."
    )
    required: bool = Field(False, description="Must be given when no default exists.")
    default: Any = Field(None, description="Used when the variable is not given.")
    description: str = Field("", description="What the variable means (shown by `prompt show`).")
    enum: list[Any] | None = Field(None, description="Allowed values, if restricted.")


class RetrieveSpec(_Strict):
    """Passages looked up for each question and inserted as numbered sources ``[1] …``."""

    index: str = Field(
        description="The knowledge index to search: a registered index (`seoul-docs`, "
        "`seoul-docs@3`, `seoul-docs@production`) or a documents folder, file or glob relative "
        "to the prompt file (`../docs`), indexed in memory with BM25."
    )
    k: int = Field(3, ge=1, le=20, description="At most this many passages.")
    min_score: float = Field(
        0.0, ge=0, description="Drop passages scoring below this (BM25 scores are unbounded)."
    )
    query: str | None = Field(
        None,
        description="What to search for (may use variables); default: the rendered user message.",
    )
    cite: str | None = Field(
        None,
        description="How the model should cite, shown after the passages; default: a Korean or "
        "English instruction to cite [n] and to say when the sources lack the answer. "
        "'' shows none.",
    )
    empty: str | None = Field(
        None,
        description="Shown instead of passages when none is found; default: a Korean or English "
        "'no matching sources' line, so the model can say the answer is not in its sources.",
    )


class ContextItem(_Strict):
    """Background material the model should use: inline ``text``, a ``file`` (relative to the
    prompt file), or passages to ``retrieve`` for each question."""

    name: str = Field(description="Heading shown to the model, e.g. 관광지 정보.")
    text: str | None = Field(None, description="Inline context (may use variables).")
    file: str | None = Field(None, description="Text file relative to the prompt file.")
    retrieve: RetrieveSpec | None = Field(
        None, description="Search a knowledge index with the question; see docs/prompts.md."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ContextItem:
        given = [x for x in (self.text, self.file, self.retrieve) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `text`, `file` or `retrieve`")
        return self


class Example(_Strict):
    """A few-shot example: one user turn and the ideal assistant answer."""

    user: str
    assistant: str


class ExamplesFrom(_Strict):
    """Pick few-shot examples per input from a file of examples (dynamic few-shot)."""

    path: str = Field(
        description='JSONL of examples, relative to the prompt file: {"user", "assistant"} or '
        'OpenAI chat format {"messages": [...]} per line.'
    )
    k: int = Field(3, ge=1, le=20, description="How many examples to include.")
    selector: str = Field(
        "bm25",
        description="bm25 (Korean morphemes via kiwipiepy), embedding (English), first, or a "
        "selector a plugin registers.",
    )


class OutputSpec(_Strict):
    """What the answer should look like; rendered as an instruction and used by lint."""

    format: Literal["text", "json", "markdown", "list"] = "text"
    schema_: dict[str, Any] | None = Field(
        None, alias="schema", description="JSON Schema the answer must match (format: json)."
    )
    instructions: str | None = Field(None, description="Extra format guidance, in words.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PromptParams(_Strict):
    """Default sampling parameters; a run's flags override them."""

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    stop: list[str] | None = None
    seed: int | None = None


class PromptTemplate(_Strict):
    """One prompt file."""

    name: str = Field(pattern=NAME_PATTERN, description="Prompt name (used by versions).")
    description: str = ""
    model: str | None = Field(None, description="Default model for `prompt run`.")
    params: PromptParams = Field(default_factory=PromptParams)
    system: str | None = Field(None, description="Instructions: role, task, constraints.")
    context: list[ContextItem] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    examples_from: ExamplesFrom | None = None
    variables: dict[str, Variable] = Field(default_factory=dict)
    user: str = Field(
        description="The user message template, e.g. 서울의 {{ topic }}을 추천해 주세요."
    )
    output: OutputSpec = Field(default_factory=OutputSpec)

    @field_validator("variables")
    @classmethod
    def _identifiers(cls, value: dict[str, Variable]) -> dict[str, Variable]:
        for key in value:
            if not key.isidentifier():
                raise ValueError(f"variable name {key!r} is not a valid identifier")
        return value


class PromptFile:
    """A validated template together with where it came from (for errors, files, hashes)."""

    def __init__(self, template: PromptTemplate, source: str, path: Path, doc: YamlDocument):
        self.template = template
        self.source = source
        self.path = path
        self.doc = doc

    @property
    def name(self) -> str:
        return self.template.name

    @property
    def content_hash(self) -> str:
        """sha256 of the file text: what makes a prompt version immutable and identifiable."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def where(self, *loc: int | str) -> str:
        return self.doc.where(loc)


def parse_prompt(source: str, path: Path) -> PromptFile:
    """Validate prompt YAML text; errors name file:line:column."""
    doc = parse_yaml(source, path, PromptError)
    template = validate_yaml(doc, PromptTemplate, PromptError)
    return PromptFile(template, source, path, doc)


def load_prompt(path: str | Path) -> PromptFile:
    file = Path(path)
    doc = load_yaml(file, PromptError)
    source = file.read_text(encoding="utf-8")
    template = validate_yaml(doc, PromptTemplate, PromptError)
    return PromptFile(template, source, file, doc)
