"""API keys for ``tuneloop serve``: create, verify, list, revoke.

Only ``sha256(key)`` (hex) and a short display prefix are stored, never the key itself, so a leaked
database or backup does not leak working keys. Why sha256 and not bcrypt/argon2: those slow hashes
exist to protect low-entropy *passwords* against guessing. Our keys are 40 characters from
:mod:`secrets` (240 bits), which no amount of guessing reaches, so a fast hash loses nothing — and
because it is deterministic (no per-row salt) the server can find a key by an indexed lookup on its
hash on every request instead of checking each row with a deliberately slow function.

The plaintext is returned exactly once, by :meth:`ApiKeys.create`; the caller shows it to the user.

A key carries **scopes** — what it may do: ``chat`` (chat completions, the model list), ``files``,
``fine_tuning``, ``feedback``, and ``admin``, which implies every other — and an optional **model
allow-list**. The rules (:meth:`ApiKeyRecord.has_scope`, :meth:`ApiKeyRecord.allows_model`) live
here, on the record, so the server and any later caller apply the same ones.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from tuneloop.errors import InvalidRequest, NotFound, RegistryError
from tuneloop.store.engine import session_scope
from tuneloop.store.schema import ApiKey, utcnow

__all__ = [
    "ADMIN",
    "ALL",
    "DEFAULT_SCOPES",
    "KEY_PREFIX",
    "SCOPES",
    "ApiKeyRecord",
    "ApiKeys",
    "generate",
    "hash_key",
    "parse_models",
    "parse_scopes",
]

ADMIN = "admin"
SCOPES: tuple[str, ...] = ("chat", "files", "fine_tuning", "feedback", ADMIN)
"""Every scope a key can hold; ``admin`` implies all the others."""
ALL = "all"
"""Shorthand accepted by :func:`parse_scopes` for every scope (``admin`` included)."""
DEFAULT_SCOPES: frozenset[str] = frozenset({"chat"})
"""What a key gets when none are named: what an OpenAI client needs for chat and ``/v1/models``."""

KEY_PREFIX = "tl-"
LAST_USED_RESOLUTION = timedelta(minutes=1)
_RANDOM_CHARS = 40
_DISPLAY_CHARS = len(KEY_PREFIX) + 6  # "tl-" + 6 random chars: enough to tell keys apart


@dataclass(frozen=True)
class ApiKeyRecord:
    """What is known about a key without the key: safe to print and to return from the API."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: frozenset[str] = DEFAULT_SCOPES
    models: tuple[str, ...] | None = None
    """The model allow-list; ``None``: every model the server serves."""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        """Whether the key may do what ``scope`` covers (``admin`` covers everything)."""
        return scope in self.scopes or ADMIN in self.scopes

    def allows_model(self, ref: str) -> bool:
        """Whether the key may use the model ``ref``.

        An allow-list entry matches itself exactly; an entry without ``@`` also matches every
        version and alias of that name (``seoul-guide`` allows ``seoul-guide@production`` and
        ``seoul-guide@3``; ``seoul-guide@staging`` allows only that ref). ``ft:…`` ids match only
        when listed.
        """
        if self.models is None or ref in self.models:
            return True
        name, at, _ = ref.partition("@")
        return bool(at) and name in self.models


def generate() -> str:
    """A new plaintext key: ``tl-`` + 40 URL-safe random characters."""
    return KEY_PREFIX + secrets.token_urlsafe(_RANDOM_CHARS)[:_RANDOM_CHARS]


def hash_key(plaintext: str) -> str:
    """The stored form of a key: sha256 of its UTF-8 bytes, lowercase hex."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def parse_scopes(values: Iterable[str]) -> frozenset[str]:
    """Scope names from flags or a request: repeated values and/or comma lists, ``all`` for every
    scope. Nothing named gives :data:`DEFAULT_SCOPES`.

    Raises :class:`InvalidRequest` (param ``scope``) naming an unknown scope and the valid ones.
    """
    named = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not named:
        return DEFAULT_SCOPES
    unknown = sorted({n for n in named if n not in SCOPES and n != ALL})
    if unknown:
        raise InvalidRequest(
            f"Unknown scope {', '.join(map(repr, unknown))}.",
            hint=f"Valid scopes: {', '.join(SCOPES)}, or {ALL!r} for every scope.",
            param="scope",
        )
    return frozenset(SCOPES) if ALL in named else frozenset(named)


def parse_models(values: Iterable[str] | None) -> tuple[str, ...] | None:
    """A model allow-list (duplicates and blanks dropped, order kept); nothing named: ``None``,
    meaning every model."""
    if values is None:
        return None
    found = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    return found or None


def _sorted_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(scopes, key=SCOPES.index)


def _record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        # A scope this version does not know (written by a newer one) grants nothing here.
        scopes=frozenset(s for s in row.scopes if s in SCOPES),
        models=tuple(row.models) if row.models else None,
    )


class ApiKeys:
    """The ``api_keys`` table; every method is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self,
        name: str,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        models: Iterable[str] | None = None,
    ) -> tuple[ApiKeyRecord, str]:
        """Create a key called ``name``; return its record and the plaintext (shown only now).

        ``scopes`` are scope names (or ``all``), :data:`DEFAULT_SCOPES` when empty; ``models`` is
        the allow-list, ``None`` for every model.
        """
        granted = parse_scopes(scopes)
        allowed = parse_models(models)
        plaintext = generate()
        with session_scope(self._engine) as session:
            row = ApiKey(
                name=name,
                prefix=plaintext[:_DISPLAY_CHARS],
                key_hash=hash_key(plaintext),
                scopes=_sorted_scopes(granted),
                models=list(allowed) if allowed is not None else None,
            )
            session.add(row)
            session.flush()
            return _record(row), plaintext

    def verify(self, plaintext: str) -> ApiKeyRecord | None:
        """The record for a valid, unrevoked key (and note its use), else ``None``."""
        if not isinstance(plaintext, str) or not plaintext.startswith(KEY_PREFIX):
            return None
        digest = hash_key(plaintext)
        with session_scope(self._engine) as session:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
            if row is None or not hmac.compare_digest(row.key_hash, digest):
                return None
            if row.revoked_at is not None:
                return None
            now = utcnow()
            # Every request verifies its key: write last use at most once a minute, not per call.
            if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
                row.last_used_at = now
            return _record(row)

    def list(self, *, include_revoked: bool = True) -> builtins.list[ApiKeyRecord]:
        """All keys, oldest first."""
        query = select(ApiKey).order_by(ApiKey.id)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        with session_scope(self._engine) as session:
            return [_record(row) for row in session.scalars(query)]

    def revoke(self, id_or_prefix: int | str) -> ApiKeyRecord:
        """Revoke a key by id, display prefix or full plaintext; revoking twice is harmless.

        Raises :class:`NotFound` if no key matches, :class:`RegistryError` if a prefix is ambiguous.
        """
        with session_scope(self._engine) as session:
            if isinstance(id_or_prefix, int) or id_or_prefix.isdigit():
                rows = list(session.scalars(select(ApiKey).where(ApiKey.id == int(id_or_prefix))))
            elif len(id_or_prefix) > _DISPLAY_CHARS:
                digest = hash_key(id_or_prefix)
                rows = list(session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)))
            else:
                rows = list(session.scalars(select(ApiKey).where(ApiKey.prefix == id_or_prefix)))
            if not rows:
                raise NotFound(
                    f"No API key matches {id_or_prefix!r}.",
                    hint="`tuneloop keys list` shows each key's id and prefix.",
                )
            if len(rows) > 1:
                raise RegistryError(
                    f"{len(rows)} API keys have the prefix {id_or_prefix!r}.",
                    hint="Revoke by id instead (`tuneloop keys list` shows the ids).",
                )
            row = rows[0]
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _record(row)
