"""``POST /v1/chat/completions`` — non-streaming and SSE streaming in OpenAI's chunk format.

tuneloop extension: a request with ``"tuneloop": {"prompt": "seoul-guide@production"}`` is
answered through that pushed prompt version (:func:`tuneloop.prompts.chat.prompted_messages`, the
code path ``tuneloop chat --prompt`` uses): its system text, retrieved sources and examples, then
the conversation. The answer carries ``"tuneloop": {"prompt": …, "sources": [...]}`` — in the
body, or in the **first** chunk of a stream (so a client can show the sources while the answer is
still arriving). Requests without the extension get exactly OpenAI's shapes.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from tuneloop.config import Settings
from tuneloop.errors import InvalidRequest, TuneloopError
from tuneloop.models.base import ChatModel
from tuneloop.models.types import Chunk, Message, SamplingParams
from tuneloop.prompts.template import PromptParams
from tuneloop.registry import Store
from tuneloop.serve.auth import check_model_access, require_scope
from tuneloop.serve.schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    ErrorResponse,
    Source,
    TuneloopRequest,
    TuneloopResponse,
    Usage,
)

router = APIRouter(tags=["chat"], dependencies=[require_scope("chat")])

ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "Invalid request"},
    401: {"model": ErrorResponse, "description": "Missing or wrong API key"},
    403: {"model": ErrorResponse, "description": "The API key lacks the scope this route needs"},
    404: {"model": ErrorResponse, "description": "Unknown model"},
}
SSE_DOC = {
    "text/event-stream": {
        "schema": {"$ref": "#/components/schemas/ChatCompletionChunk"},
        "description": "With stream=true: `data: <ChatCompletionChunk JSON>` events, then "
        "`data: [DONE]`.",
    }
}


def _params(req: ChatCompletionRequest, defaults: PromptParams | None = None) -> SamplingParams:
    """The request's sampling parameters; a prompt's ``params`` fill the ones it leaves out."""
    if req.logprobs:
        raise InvalidRequest("logprobs are not supported by tuneloop models.", param="logprobs")
    base = defaults or PromptParams()
    stop = (req.stop,) if isinstance(req.stop, str) else tuple(req.stop or base.stop or ())
    temperature = req.temperature if req.temperature is not None else base.temperature
    top_p = req.top_p if req.top_p is not None else base.top_p
    return SamplingParams(
        temperature=1.0 if temperature is None else temperature,
        top_p=1.0 if top_p is None else top_p,
        max_tokens=req.max_completion_tokens or req.max_tokens or base.max_tokens,
        stop=stop,
        seed=req.seed if req.seed is not None else base.seed,
    )


def _prompted(
    ext: TuneloopRequest, messages: list[Message], settings: Settings, store: Store
) -> tuple[list[Message], TuneloopResponse, PromptParams]:
    """Apply the registered prompt ``ext`` names (blocking: database and index reads)."""
    from tuneloop.knowledge import index_resolver
    from tuneloop.prompts.chat import prompted_messages, registered_prompt
    from tuneloop.prompts.resolve import prompts_dir
    from tuneloop.text.retrieval import source_dicts

    prompt, ref = registered_prompt(ext.prompt, store, prompts_dir(settings))
    indexes = index_resolver(prompt.base_dir, store)
    chat = prompted_messages(prompt, messages, variables=ext.variables, indexes=indexes)
    sources = [Source(**s) for s in source_dicts(chat.rendered.sources)]
    return chat.messages, TuneloopResponse(prompt=ref, sources=sources), prompt.template.params


def _messages(req: ChatCompletionRequest) -> list[Message]:
    return [Message(role=m.role, content=m.text()) for m in req.messages]


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={**ERRORS, 200: {"content": SSE_DOC}},
    summary="Create a chat completion",
)
async def create_chat_completion(body: ChatCompletionRequest, request: Request) -> Response:
    state = request.app.state.tuneloop
    messages = _messages(body)
    check_model_access(request, body.model)
    extension: TuneloopResponse | None = None
    defaults: PromptParams | None = None
    if body.tuneloop is not None:
        messages, extension, defaults = await run_in_threadpool(
            _prompted, body.tuneloop, messages, state.settings, state.store
        )
    params = _params(body, defaults)
    model: ChatModel = await run_in_threadpool(state.catalog.get, body.model)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if not body.stream:
        result = await run_in_threadpool(model.generate, messages, params)
        completion = ChatCompletion(
            id=completion_id,
            created=created,
            model=body.model,
            choices=[
                Choice(
                    index=0,
                    message=AssistantMessage(content=result.text),
                    finish_reason=result.finish_reason,
                )
            ],
            usage=Usage(
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
                total_tokens=result.usage.total_tokens,
            ),
            tuneloop=extension,
        )
        return JSONResponse(completion.model_dump(mode="json", exclude=_no_extension(completion)))
    chunks = model.stream(messages, params)
    # Pull the first chunk before answering, so errors (context too long, model not loadable)
    # become a proper HTTP error instead of a broken stream.
    first = await run_in_threadpool(next, chunks, None)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    events = _sse(chunks, first, completion_id, created, body.model, include_usage, extension)
    return StreamingResponse(events, media_type="text/event-stream")


def _no_extension(payload: ChatCompletion | ChatCompletionChunk) -> set[str] | None:
    """Leave ``tuneloop`` out where it is unset: plain requests get OpenAI's exact shapes."""
    return {"tuneloop"} if payload.tuneloop is None else None


def _event(payload: ChatCompletionChunk | dict[str, object]) -> str:
    if isinstance(payload, ChatCompletionChunk):
        data = payload.model_dump_json(exclude_none=False, exclude=_no_extension(payload))
    else:
        data = json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n"


async def _sse(
    chunks: Iterator[Chunk],
    first: Chunk | None,
    completion_id: str,
    created: int,
    model: str,
    include_usage: bool,
    extension: TuneloopResponse | None = None,
) -> AsyncIterator[str]:
    def chunk(delta: Delta, finish: str | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=completion_id,
            created=created,
            model=model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish)],
        )

    opening = chunk(Delta(role="assistant", content=""))
    yield _event(opening.model_copy(update={"tuneloop": extension}))
    usage = None
    try:

        async def all_chunks() -> AsyncIterator[Chunk]:
            if first is not None:
                yield first
            async for item in iterate_in_threadpool(chunks):
                yield item

        async for piece in all_chunks():
            if piece.text:
                yield _event(chunk(Delta(content=piece.text)))
            if piece.finish_reason is not None:
                yield _event(chunk(Delta(), piece.finish_reason))
            if piece.usage is not None:
                usage = piece.usage
    except TuneloopError as exc:
        yield _event(exc.to_openai())
        yield "data: [DONE]\n\n"
        return
    finally:
        # A client that hangs up mid-stream must not leave generation running (or its lock held).
        close = getattr(chunks, "close", None)
        if close is not None:
            await run_in_threadpool(close)
    if include_usage and usage is not None:
        final = ChatCompletionChunk(
            id=completion_id,
            created=created,
            model=model,
            choices=[],
            usage=Usage(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
            ),
        )
        yield _event(final)
    yield "data: [DONE]\n\n"
