"""API-key authentication: ``Authorization: Bearer <key>`` checked against hashed keys in the store.

Keys are created with ``tuneloop keys create`` (shown once, stored as a hash). ``--insecure-dev``
turns the check off for local experiments; the server then says so on start-up and in every
response's ``X-Tuneloop-Auth: disabled`` header.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tuneloop.errors import AuthError

__all__ = ["require_api_key"]

_bearer = HTTPBearer(auto_error=False, description="A key from `tuneloop keys create`.")


def require_api_key(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> None:
    state = request.app.state.tuneloop
    if not state.require_auth:
        return
    if credentials is None or not credentials.credentials:
        raise AuthError(
            "You didn't provide an API key. You need to provide your API key in an Authorization "
            "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            hint="Create one with `tuneloop keys create`.",
        )
    if state.store.keys.verify(credentials.credentials) is None:
        shown = credentials.credentials[:6] + "…" if len(credentials.credentials) > 6 else "…"
        raise AuthError(
            f"Incorrect API key provided: {shown}.",
            hint="Use a key from `tuneloop keys create`; revoked keys no longer work.",
        )
