"""Every error the server returns has OpenAI's body: ``{"error": {message, type, param, code}}``.

Why: the official SDK reads that body to raise ``BadRequestError``, ``AuthenticationError``,
``NotFoundError`` … with the message; a FastAPI-style ``{"detail": ...}`` would reach users as an
opaque error. Validation problems are 400 (as on OpenAI), never 422, and nothing a client sends
should produce a 5xx.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tuneloop.errors import TuneloopError

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger("tuneloop.serve")

_HTTP_TYPES = {
    401: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
}


def error_response(
    status: int, message: str, *, type_: str, param: str | None = None, code: str | None = None
) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "Invalid request.", None
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(loc) or None
    if first.get("type") == "json_invalid":
        return (
            "We could not parse the JSON body of your request. Send valid JSON with "
            "Content-Type: application/json.",
            None,
        )
    if first.get("type") == "extra_forbidden":
        return f"Unrecognized request argument supplied: {param}", param
    if first.get("type") == "missing":
        return f"Missing required parameter: '{param}'.", param
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"Invalid value for '{param}': {first.get('msg')}{more}.", param


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TuneloopError)
    async def _tuneloop(_: Request, exc: TuneloopError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.code)
        return JSONResponse(exc.to_openai(), status_code=exc.http_status)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error while serving a request")
        return error_response(
            500,
            "The server had an error while processing your request. Its log has the details.",
            type_="server_error",
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return error_response(400, message, type_="invalid_request_error", param=param)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = (
                "Unknown route. tuneloop serves /v1/chat/completions, /v1/models, /v1/files, "
                "/v1/fine_tuning/jobs, /healthz, and its API description at /openapi.json and "
                "/docs."
            )
        return error_response(
            exc.status_code,
            message,
            type_=_HTTP_TYPES.get(exc.status_code, "invalid_request_error"),
        )
