"""OpenAI's wire format for the routes we serve, as pydantic models.

Why hand-written models (not the ``openai`` package's types): these also generate our OpenAPI spec
and validate requests strictly — an unknown request field is a 400 naming the field, as on OpenAI —
while the SDK's own types are response-only and lenient. Field names and shapes follow OpenAI's API
reference for Chat Completions and Models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ErrorResponse",
    "Health",
    "Model",
    "ModelList",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class ChatMessageIn(_Strict):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: str | None = None
    tool_call_id: str | None = None
    refusal: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(_Strict):
    include_usage: bool = False


class TuneloopRequest(_Strict):
    """tuneloop's extension of a chat request (``extra_body={"tuneloop": {...}}`` in the SDK)."""

    prompt: str = Field(
        min_length=1,
        description="A pushed prompt version (NAME, NAME@3, NAME@production) to apply to the last "
        "user message: its system text, retrieved sources and examples come first. Never a file.",
    )
    variables: dict[str, Any] = Field(
        default_factory=dict,
        description="The prompt's other variables; the last user message fills its input "
        "variable (`question`, or the only one not given here).",
    )


class Source(BaseModel):
    """A passage the answer was given, numbered as the model saw it (``[1]``)."""

    id: int
    source: str
    line: int | None = None
    start: int | None = None
    end: int | None = None
    score: float
    text: str
    passage_id: str | None = None


class TuneloopResponse(BaseModel):
    """tuneloop's extension of a chat response (``response.tuneloop`` in the SDK's model_extra)."""

    prompt: str = Field(description="The prompt version applied, e.g. seoul-guide@2.")
    sources: list[Source] = Field(
        default_factory=list, description="Retrieved passages given to the model (may be empty)."
    )


class ChatCompletionRequest(_Strict):
    """``POST /v1/chat/completions``. Fields OpenAI accepts but a local model cannot honour
    (penalties, logit_bias, metadata, store, user) are accepted and ignored; ``n`` must be 1 and
    ``tools`` is not supported yet."""

    model: str = Field(min_length=1)
    messages: list[ChatMessageIn] = Field(min_length=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int | None = Field(None, ge=1, le=1, description="Only 1 is supported.")
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = Field(None, description="Not supported; only false/null.")
    metadata: dict[str, str] | None = None
    store: bool | None = None
    response_format: dict[str, Any] | None = None
    tuneloop: TuneloopRequest | None = Field(
        None, description="tuneloop extension: answer through a registered prompt."
    )


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    refusal: str | None = None


class Choice(BaseModel):
    index: int
    message: AssistantMessage
    logprobs: None = None
    finish_reason: Literal["stop", "length"]


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None
    tuneloop: TuneloopResponse | None = Field(
        None, description="Only with a `tuneloop.prompt` request: the prompt and its sources."
    )


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: Delta
    logprobs: None = None
    finish_reason: Literal["stop", "length"] | None = None


class ChatCompletionChunk(BaseModel):
    """One ``data:`` event of a streamed completion."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    system_fingerprint: str | None = None
    usage: Usage | None = None
    tuneloop: TuneloopResponse | None = Field(
        None, description="On the first chunk only, with a `tuneloop.prompt` request."
    )


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    auth: Literal["api-key", "disabled"]
    database: Literal["ok"]
