"""The user's OpenAI account (or any OpenAI-compatible server), as every migrate step reaches it.

Why the official SDK and not raw HTTP: it is what the team's code already uses, it paginates
(``for job in client.fine_tuning.jobs.list(): …`` follows ``after`` cursors), and it retries
408/409/429/5xx and connection errors with exponential backoff, honouring the server's
``Retry-After`` / ``retry-after-ms`` (``max_retries``). Errors that survive the retries become
tuneloop's own through :func:`tuneloop.models.openai_errors.remote_errors` (a bad key says which
variable to set; a 429 keeps its ``Retry-After``).

The key is read from the environment variable the user names (``OPENAI_API_KEY`` by default) and
never stored: registry entries made by the migrate steps keep the ``base_url`` only.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tuneloop.errors import AuthError
from tuneloop.models.openai_errors import remote_errors

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_BASE_URL", "Account", "connect"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class Account:
    """Where the old fine-tunes live and how to reach them: one SDK client, configured once."""

    client: openai.OpenAI
    base_url: str
    key_env: str = "OPENAI_API_KEY"
    organization: str | None = None
    project: str | None = None
    max_retries: int = 5

    @property
    def is_openai(self) -> bool:
        """Whether this is OpenAI itself (deadlines and ``shutdown_date`` apply)."""
        return self.base_url.rstrip("/") == DEFAULT_BASE_URL

    @property
    def stored_base_url(self) -> str | None:
        """What registry entries keep: ``None`` for OpenAI itself, else the URL (never a key)."""
        return None if self.is_openai else self.base_url

    def remote(self, what: str) -> AbstractContextManager[None]:
        """SDK errors raised inside become tuneloop errors naming this server and ``what``."""
        return remote_errors(self.base_url, what, key_env=self.key_env)


def connect(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    key_env: str = "OPENAI_API_KEY",
    organization: str | None = None,
    project: str | None = None,
    timeout: float = 120.0,
    max_retries: int = 5,
) -> Account:
    """An :class:`Account` for ``base_url`` (default OpenAI) with the key from ``api_key`` or the
    environment variable ``key_env``. Raises :class:`~tuneloop.errors.AuthError` when there is no
    key at all, before any request is made."""
    import openai

    key = api_key or os.environ.get(key_env)
    if not key:
        raise AuthError(
            f"No API key: the environment variable {key_env} is not set.",
            hint=f"export {key_env}=sk-… (the key of the account that owns the fine-tunes), "
            "or name another variable with --key-env.",
        )
    url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    client = openai.OpenAI(
        api_key=key,
        base_url=url,
        organization=organization,
        project=project,
        timeout=timeout,
        max_retries=max_retries,
    )
    return Account(
        client=client,
        base_url=url,
        key_env=key_env,
        organization=organization,
        project=project,
        max_retries=max_retries,
    )
