"""The official ``openai`` SDK's exceptions as tuneloop's own errors — one home for the mapping.

Why one place: the ``openai`` trainer, the provider-exit workflow (``tuneloop migrate openai``) and
anything else that talks to an OpenAI-compatible account through the SDK must tell a user the same
things: which server refused, what we were trying to do, and what to do about it (a bad key names
the environment variable to set; a 429 keeps the server's ``Retry-After``). The SDK itself already
retries 408/409/429/5xx and connection errors with exponential backoff, honouring ``Retry-After``
and ``retry-after-ms`` (``max_retries`` on the client); what reaches this mapping is what is left
after those retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tuneloop.errors import (
    AuthError,
    BackendError,
    BackendUnavailable,
    ContextWindowExceeded,
    InvalidRequest,
    ModelNotFound,
    NotFound,
    PermissionDenied,
    RateLimited,
)

__all__ = ["error_message", "remote_errors", "retry_after"]


def error_message(err: Any) -> str:
    """The server's own message from an SDK error (its OpenAI-shaped body), else its text."""
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(err, "message", err))


def retry_after(err: Any) -> float | None:
    """Seconds from a response's ``Retry-After`` (or ``retry-after-ms``) header, if it has one."""
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms") is not None:
            return float(headers["retry-after-ms"]) / 1000.0
        if headers.get("retry-after") is not None:
            return float(headers["retry-after"])
    except ValueError:
        return None
    return None


@contextmanager
def remote_errors(
    where: str,
    what: str | None = None,
    *,
    key_env: str = "OPENAI_API_KEY",
    model: str | None = None,
) -> Iterator[None]:
    """Turn the SDK's exceptions raised inside into tuneloop's, naming ``where`` (the server),
    ``what`` we tried to do (if said) and, for a chat call, the upstream ``model`` (a 404 is then
    :class:`ModelNotFound`, and a context-length refusal :class:`ContextWindowExceeded` — OpenAI
    and tuneloop send the code ``context_length_exceeded``, vLLM only says it in words)."""
    import openai

    doing = f" while trying to {what}" if what else ""
    try:
        yield
    except openai.PermissionDeniedError as exc:
        raise PermissionDenied(
            f"{where} refused{_to(what)}: {error_message(exc)}",
            hint="Use a key (or project) with access to this resource.",
        ) from exc
    except openai.AuthenticationError as exc:
        raise AuthError(
            f"{where} rejected the API key{doing}: {error_message(exc)}",
            hint=f"Set a valid key in {key_env}.",
        ) from exc
    except openai.NotFoundError as exc:
        if model is not None:
            raise ModelNotFound(
                f"{where} has no model {model!r}: {error_message(exc)}",
                hint="List the upstream's models (GET /v1/models) and register the right name.",
                param="model",
            ) from exc
        raise NotFound(f"{where}: cannot{_bare(what)}: {error_message(exc)}") from exc
    except openai.RateLimitError as exc:
        raise RateLimited(
            f"{where} is rate limiting requests{_paren(what)}: {error_message(exc)}",
            retry_after=retry_after(exc),
            hint="Lower the concurrency or retry later.",
        ) from exc
    except openai.BadRequestError as exc:
        text = error_message(exc)
        if exc.code == "context_length_exceeded" or (
            "context" in text.lower() and "length" in text.lower()
        ):
            raise ContextWindowExceeded(text, param="messages") from exc
        raise InvalidRequest(
            f"{where} refused{_to(what)}: {text}", param=getattr(exc, "param", None)
        ) from exc
    except openai.APITimeoutError as exc:
        raise BackendUnavailable(
            f"{where} did not answer in time{_paren(what)}.",
            hint="Raise the timeout or check the server.",
        ) from exc
    except openai.APIConnectionError as exc:
        raise BackendUnavailable(
            f"Cannot connect to {where}{_purpose(what)}: {exc}",
            hint="Check that the server is running and base_url is right.",
        ) from exc
    except openai.OpenAIError as exc:
        raise BackendError(f"{where} failed{_purpose(what)}: {error_message(exc)}") from exc


def _to(what: str | None) -> str:
    return f" to {what}" if what else " the request"


def _purpose(what: str | None) -> str:
    return f" to {what}" if what else ""


def _bare(what: str | None) -> str:
    return f" {what}" if what else " find it"


def _paren(what: str | None) -> str:
    return f" ({what})" if what else ""
