"""``/v1/files``: upload, list, retrieve, download and delete fine-tuning files (OpenAI's API).

Only ``purpose="fine-tune"`` is accepted — tuneloop has no assistants or batches; files of
purpose ``fine-tune-results`` (a job's step-metrics CSV) are written by the server itself. An
upload is checked with the data stage's validator before it is stored, so a file that could never
train is refused at once with the first problems as ``line N: code: message`` (400, OpenAI's
shape).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tuneloop.errors import InvalidRequest
from tuneloop.serve.auth import require_scope
from tuneloop.serve.fine_tuning_schemas import DeletedFile, FileList, FileObject
from tuneloop.serve.routes.chat import ERRORS
from tuneloop.store.files import FileRecord
from tuneloop.train.result_file import RESULT_PURPOSE

__all__ = ["MAX_UPLOAD_BYTES", "file_object", "router"]

router = APIRouter(tags=["files"], dependencies=[require_scope("files")])

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
"""Largest accepted upload (OpenAI's fine-tuning limit is 512 MB)."""
_CHUNK = 1024 * 1024
_SHOWN = 5


def file_object(record: FileRecord) -> FileObject:
    return FileObject(
        id=record.id,
        bytes=record.bytes,
        created_at=int(record.created_at.timestamp()),
        filename=record.filename,
        purpose="fine-tune-results" if record.purpose == RESULT_PURPOSE else "fine-tune",
        status="processed",
    )


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise InvalidRequest(
                f"File {upload.filename!r} is larger than the {limit} byte limit.",
                hint="Split the training data into a smaller file.",
                param="file",
            )
        parts.append(chunk)
    return b"".join(parts)


def _check_jsonl(data: bytes, filename: str) -> None:
    """Refuse what could never train: not JSONL, or not OpenAI's chat format."""
    from tuneloop.data.validate import validate_lines

    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    report = validate_lines([line.removesuffix(b"\r") for line in lines], path=filename)
    if report.ok:
        return
    shown = "; ".join(
        f"line {i.line}: {i.code}: {i.message}" if i.line else f"{i.code}: {i.message}"
        for i in report.errors[:_SHOWN]
    )
    more = f"; and {len(report.errors) - _SHOWN} more" if len(report.errors) > _SHOWN else ""
    raise InvalidRequest(
        f"Invalid file format for Fine-Tuning API. {filename}: {shown}{more}.",
        hint="Each line must be a JSON object with a `messages` list in OpenAI's chat format; "
        "`tuneloop data validate FILE` shows every problem.",
        param="file",
    )


@router.post("/v1/files", response_model=FileObject, responses=ERRORS, summary="Upload a file")
async def create_file(
    request: Request,
    file: Annotated[UploadFile, File(description="JSONL training data.")],
    purpose: Annotated[str, Form(description="Must be fine-tune.")],
) -> FileObject:
    if purpose != "fine-tune":
        raise InvalidRequest(
            f"Invalid purpose {purpose!r}: tuneloop accepts purpose 'fine-tune' only.",
            param="purpose",
        )
    filename = file.filename or "upload.jsonl"
    data = await _read_limited(file, MAX_UPLOAD_BYTES)
    await run_in_threadpool(_check_jsonl, data, filename)
    store = request.app.state.tuneloop.store
    record = await run_in_threadpool(store.files.create, filename, purpose, data)
    return file_object(record)


@router.get("/v1/files", response_model=FileList, responses=ERRORS, summary="List files")
async def list_files(
    request: Request,
    purpose: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 10000,
    order: Literal["asc", "desc"] = "desc",
) -> FileList:
    store = request.app.state.tuneloop.store
    records, has_more = await run_in_threadpool(
        lambda: store.files.list(purpose=purpose, after=after, limit=limit, order=order)
    )
    data = [file_object(r) for r in records]
    return FileList(
        data=data,
        has_more=has_more,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
    )


@router.get(
    "/v1/files/{file_id}", response_model=FileObject, responses=ERRORS, summary="Retrieve a file"
)
async def retrieve_file(file_id: str, request: Request) -> FileObject:
    store = request.app.state.tuneloop.store
    return file_object(await run_in_threadpool(store.files.get, file_id))


@router.get(
    "/v1/files/{file_id}/content",
    responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
    summary="Retrieve a file's content",
)
async def file_content(file_id: str, request: Request) -> Response:
    store = request.app.state.tuneloop.store
    data = await run_in_threadpool(store.files.content, file_id)
    return Response(content=data, media_type="application/octet-stream")


@router.delete(
    "/v1/files/{file_id}", response_model=DeletedFile, responses=ERRORS, summary="Delete a file"
)
async def delete_file(file_id: str, request: Request) -> DeletedFile:
    store = request.app.state.tuneloop.store
    await run_in_threadpool(store.files.delete, file_id)
    return DeletedFile(id=file_id, deleted=True)
