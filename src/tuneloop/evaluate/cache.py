"""The response cache: re-running a suite asks the model only what it has not answered before.

Key: sha256 of the model's **resolved identity** — the immutable version it resolved to
(``seoul-guide@2``, not the alias ``seoul-guide@staging`` that was typed), the ``sha256`` of its
weights (or of backend + config where there are no files), its backend and config — the rendered
messages and every sampling parameter (temperature, top_p, max_tokens, stop, seed). Change any of
them — another prompt version, a new version behind the same alias, re-trained weights at the same
path, a longer ``max_tokens`` — and the key changes, so a hit is always an answer to exactly this
request from exactly this model.

What is **not** cached: sampling with ``temperature > 0`` and no ``seed``. Such answers are
random on purpose; caching one would freeze a single draw and make every later run report the
same lucky (or unlucky) sample, hiding the variance the user asked for. With a seed the request
is meant to be reproducible, so it is cached like greedy decoding. Failed calls are never cached.

Backend identity is the backend class plus, when the model exposes them, its ``upstream_model``
and client ``base_url`` — or a ``cache_identity`` string a backend may provide. A model handed to
the runner without a resolved identity (a test double, a trivial baseline) is keyed by its name and
backend identity alone; an upstream API that changes the model behind a name is not visible to
tuneloop either: use ``--refresh`` then.

Modes: read and write (default), write only (``--refresh``: ignore stored answers, store the new
ones), or no cache at all (``--no-cache``: the runner gets ``cache=None``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tuneloop.store.response_cache import CachedResponse, CachedResponses

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel
    from tuneloop.models.identity import ResolvedModel
    from tuneloop.models.types import SamplingParams
    from tuneloop.registry import Store

__all__ = [
    "CachedResponse",
    "ResponseCache",
    "backend_identity",
    "cache_key",
    "cacheable",
    "model_identity",
]

KEY_VERSION = 2  # bump when the key's contents change, so old rows simply stop matching


def cacheable(params: SamplingParams) -> bool:
    """Greedy decoding, or sampling with a seed (see the module docstring for why)."""
    return params.temperature == 0 or params.seed is not None


def backend_identity(model: ChatModel) -> str:
    """What, besides its name, tells this model's answers apart from another's."""
    custom = getattr(model, "cache_identity", None)
    if isinstance(custom, str):
        return custom
    cls = type(model)
    parts = [f"{cls.__module__}.{cls.__qualname__}"]
    upstream = getattr(model, "upstream_model", None)
    if isinstance(upstream, str):
        parts.append(upstream)
    client = getattr(model, "client", None)
    base_url = getattr(client, "base_url", None)
    if base_url is not None:
        parts.append(str(base_url))
    return "|".join(parts)


def model_identity(model: ChatModel, resolved: ResolvedModel | None = None) -> dict[str, Any]:
    """The part of a cache key that names the model (see the module docstring)."""
    if resolved is None:
        return {"model": model.name, "backend": backend_identity(model)}
    return {
        "version": resolved.version_ref,
        "hash": resolved.content_hash,
        "backend": backend_identity(model),
        "spec": [
            resolved.spec.backend,
            json.dumps(dict(resolved.spec.config), sort_keys=True, default=str),
        ],
    }


def cache_key(
    model: ChatModel,
    messages: Sequence[dict[str, Any]],
    params: SamplingParams,
    resolved: ResolvedModel | None = None,
    *,
    indexes: Mapping[str, str] | None = None,
) -> str | None:
    """The cache key of this request, or ``None`` when it must not be cached.

    ``indexes`` maps the knowledge indexes the prompt searched to their content hashes: a new
    index version must not be served the old one's answers. Without it the key is unchanged.
    """
    if not cacheable(params):
        return None
    blob: dict[str, Any] = {
        "v": KEY_VERSION,
        "model": model_identity(model, resolved),
        "messages": [{"role": m.get("role"), "content": m.get("content")} for m in messages],
        "params": {
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
            "stop": list(params.stop),
            "seed": params.seed,
        },
    }
    if indexes:
        blob["indexes"] = dict(indexes)
    text = json.dumps(blob, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """The response cache table with a read/write policy."""

    def __init__(self, table: CachedResponses, *, read: bool = True, write: bool = True) -> None:
        self.table = table
        self.read = read
        self.write = write

    @classmethod
    def from_store(cls, store: Store, *, refresh: bool = False) -> ResponseCache:
        """The project's cache; ``refresh`` ignores stored answers but stores new ones."""
        return cls(store.response_cache, read=not refresh, write=True)

    @property
    def mode(self) -> str:
        return "on" if self.read else "refresh"

    def lookup(self, keys: Iterable[str | None]) -> dict[str, CachedResponse]:
        """Stored answers for the given keys (``None`` keys ignored); empty when not reading."""
        wanted = [k for k in keys if k is not None]
        if not self.read or not wanted:
            return {}
        return self.table.get_many(wanted)

    def save(self, entries: Iterable[CachedResponse]) -> int:
        """Store new answers (no-op when not writing); return how many."""
        return self.table.put_many(entries) if self.write else 0
