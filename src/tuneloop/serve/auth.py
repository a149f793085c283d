"""API-key authentication and scopes: ``Authorization: Bearer <key>`` checked against hashed keys.

Keys are created with ``tuneloop keys create`` (shown once, stored as a hash). Each router declares
the scope its routes need once, ``APIRouter(dependencies=[require_scope("files")])``:

- no key, a wrong key or a revoked key → 401 (``invalid_api_key``);
- a valid key without the scope → 403 (``missing_scope``), naming the scope and how to get a key
  with it;
- a model outside the key's allow-list is answered as OpenAI answers a model you cannot access:
  as if it did not exist (404 ``model_not_found`` in chat and ``/v1/models``; 400 ``param: model``
  when creating a fine-tuning job), so a key never learns which other models exist.

A route without a scope is a bug: ``tests/serve/test_scopes.py`` walks the OpenAPI spec and fails
for any route not in its public list (``/healthz``) that a key without the right scope can call.

``--insecure-dev`` turns every check off for local experiments; the server then says so on start-up
and in every response's ``X-Tuneloop-Auth: disabled`` header.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from tuneloop.errors import AuthError, ModelNotFound, PermissionDenied
from tuneloop.store.keys import SCOPES, ApiKeyRecord

__all__ = ["check_model_access", "model_allowed", "require_scope"]

_bearer = HTTPBearer(auto_error=False, description="A key from `tuneloop keys create`.")


def require_scope(scope: str) -> Any:
    """The dependency a router (or route) lists to let only keys holding ``scope`` through:
    ``APIRouter(dependencies=[require_scope("files")])``.

    It is FastAPI's ``Security`` with ``scopes=[scope]``, so each operation's ``security`` entry in
    the OpenAPI spec names the scope it needs (``{"HTTPBearer": ["files"]}``).
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; valid: {', '.join(SCOPES)}")
    return Security(_check_scopes, scopes=[scope])


def _check_scopes(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> None:
    if not request.app.state.tuneloop.require_auth:
        return
    record = _verified_key(request, credentials)
    missing = [s for s in security_scopes.scopes if not record.has_scope(s)]
    if not missing:
        return
    needed = " ".join(f"--scope {s}" for s in missing)
    have = ", ".join(sorted(record.scopes)) or "none"
    raise PermissionDenied(
        f"You have insufficient permissions for this operation. Missing scopes: "
        f"{', '.join(missing)}. The API key {record.prefix}… ({record.name!r}) has: {have}.",
        hint=f"Create a key with it: `tuneloop keys create --name NAME {needed}` (repeat --scope "
        "for more, or --scope all); docs/keys.md lists what each route needs.",
    )


def _verified_key(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> ApiKeyRecord:
    cached: ApiKeyRecord | None = getattr(request.state, "api_key", None)
    if cached is not None:
        return cached
    if credentials is None or not credentials.credentials:
        raise AuthError(
            "You didn't provide an API key. You need to provide your API key in an Authorization "
            "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            hint="Create one with `tuneloop keys create`.",
        )
    record: ApiKeyRecord | None = request.app.state.tuneloop.store.keys.verify(
        credentials.credentials
    )
    if record is None:
        shown = credentials.credentials[:6] + "…" if len(credentials.credentials) > 6 else "…"
        raise AuthError(
            f"Incorrect API key provided: {shown}.",
            hint="Use a key from `tuneloop keys create`; revoked keys no longer work.",
        )
    request.state.api_key = record
    return record


def model_allowed(request: Request, model: str) -> bool:
    """Whether the request's key may use ``model`` (always, with auth off)."""
    record: ApiKeyRecord | None = getattr(request.state, "api_key", None)
    return record is None or record.allows_model(model)


def check_model_access(request: Request, model: str) -> None:
    """Raise :class:`ModelNotFound` — as for a model that does not exist — when the request's key
    may not use ``model``."""
    if model_allowed(request, model):
        return
    record: ApiKeyRecord = request.state.api_key
    raise ModelNotFound(
        f"The model `{model}` does not exist or you do not have access to it.",
        hint=f"This API key may use only: {', '.join(record.models or ())}. Create a key for "
        "another model with `tuneloop keys create --model NAME`.",
        param="model",
    )
