"""Every error tuneloop raises on purpose, in one tree.

Why one tree: the CLI and the server both turn these into something a person can act on — the CLI
prints ``message`` and ``hint`` as one paragraph and exits with ``exit_code``; the server answers
with ``http_status`` and OpenAI's error body ``{"error": {"message", "type", "param", "code"}}`` so
the official ``openai`` SDK raises its matching exception class.

::

    TuneloopError
    ├── ConfigError                  bad tuneloop.toml / TUNELOOP_* value
    ├── StoreError                   database or artifact store problem
    │   └── MigrationError
    ├── DataError
    │   └── InvalidRecord            (path, line)
    ├── PromptError
    ├── RegistryError
    │   ├── BadReference             a prompt/dataset/model reference that is malformed …
    │   │   └── UnknownReference     … or names no version (also a NotFound)
    │   ├── ProtectedAlias           a protected alias may not move without gate evidence
    │   └── NotFound                 unknown model, key, artifact …
    │       └── ModelNotFound
    ├── InvalidRequest               a request (HTTP or CLI) is malformed
    ├── BackendError                 a model backend failed
    │   ├── AuthError                missing or wrong API key
    │   │   └── PermissionDenied     the key lacks the scope a route needs
    │   ├── RateLimited              (retry_after)
    │   ├── BackendUnavailable       cannot reach the upstream / load the weights
    │   └── ContextWindowExceeded
    ├── TrainError
    └── EvalGateFailed
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "AuthError",
    "BackendError",
    "BackendUnavailable",
    "BadReference",
    "ConfigError",
    "ContextWindowExceeded",
    "DataError",
    "EvalGateFailed",
    "InvalidRecord",
    "InvalidRequest",
    "MigrationError",
    "ModelNotFound",
    "NotFound",
    "PermissionDenied",
    "PromptError",
    "ProtectedAlias",
    "RateLimited",
    "RegistryError",
    "StoreError",
    "TrainError",
    "TuneloopError",
    "UnknownReference",
]


class TuneloopError(Exception):
    """Base class. ``message`` says what is wrong, ``hint`` what to do about it.

    ``code`` is stable (scripts and tests may match on it); ``http_status`` and ``openai_type``
    shape the server's error body; ``exit_code`` is the CLI's exit status.
    """

    code = "tuneloop_error"
    http_status = 500
    openai_type = "server_error"
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.param = param

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def to_openai(self) -> dict[str, Any]:
        """The body OpenAI's API returns for an error, so SDK clients map it to their exceptions."""
        return {
            "error": {
                "message": str(self),
                "type": self.openai_type,
                "param": self.param,
                "code": self.code,
            }
        }


class ConfigError(TuneloopError):
    code = "config_error"
    exit_code = 2


class StoreError(TuneloopError):
    code = "store_error"
    exit_code = 3


class MigrationError(StoreError):
    code = "migration_error"


class DataError(TuneloopError):
    code = "data_error"
    http_status = 400
    openai_type = "invalid_request_error"
    exit_code = 4


class InvalidRecord(DataError):
    """One bad record in an input file; ``path`` and ``line`` point at it."""

    code = "invalid_record"

    def __init__(
        self, message: str, *, path: str | Path, line: int | None = None, hint: str | None = None
    ) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = Path(path)
        self.line = line


class PromptError(TuneloopError):
    code = "prompt_error"
    http_status = 400
    openai_type = "invalid_request_error"
    exit_code = 4


class RegistryError(TuneloopError):
    code = "registry_error"
    http_status = 400
    openai_type = "invalid_request_error"
    exit_code = 5


class NotFound(RegistryError):
    code = "not_found"
    http_status = 404


class ModelNotFound(NotFound):
    code = "model_not_found"


class BadReference(RegistryError):
    """A reference (``seoul-qa@3:train``, ``support@production``, ``seoul-guide@2``) that cannot
    name a version: malformed, or (see :class:`UnknownReference`) naming nothing that exists.

    One type and one exit code whatever the kind (prompt, dataset, model), so scripts and the
    server treat a bad reference the same everywhere; ``param`` names the offending argument.
    """

    code = "bad_reference"


class UnknownReference(BadReference, NotFound):
    """A well-formed reference to a name, version, alias or split that does not exist; the hint
    lists what does (and the closest names)."""

    code = "unknown_reference"
    http_status = 404


class ProtectedAlias(RegistryError):
    """Moving a protected alias (``production`` by default) without the gate evidence it needs;
    the hint names the missing gate and the command that produces it."""

    code = "protected_alias"
    http_status = 409
    exit_code = 9


class InvalidRequest(TuneloopError):
    code = "invalid_request"
    http_status = 400
    openai_type = "invalid_request_error"
    exit_code = 2


class BackendError(TuneloopError):
    code = "backend_error"
    http_status = 502
    openai_type = "server_error"
    exit_code = 6


class AuthError(BackendError):
    code = "invalid_api_key"
    http_status = 401
    openai_type = "invalid_request_error"


class PermissionDenied(AuthError):
    """A valid key without the scope a request needs; 403, so the SDK raises
    ``PermissionDeniedError``."""

    code = "missing_scope"
    http_status = 403


class RateLimited(BackendError):
    code = "rate_limit_exceeded"
    http_status = 429
    openai_type = "requests"

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class BackendUnavailable(BackendError):
    code = "backend_unavailable"
    http_status = 503


class ContextWindowExceeded(BackendError):
    code = "context_length_exceeded"
    http_status = 400
    openai_type = "invalid_request_error"


class TrainError(TuneloopError):
    code = "train_error"
    exit_code = 7


class EvalGateFailed(TuneloopError):
    code = "eval_gate_failed"
    exit_code = 8
