"""``tuneloop migrate openai switch``: the application keeps its code and its model name; only
``base_url`` (and the key) change.

The switch is a **route** (:mod:`tuneloop.store.model_routes`): requests naming the old ``ft:``
id reach ``NAME@production`` (or ``--alias``) on tuneloop's server, resolved on every request by
the model catalog, so a later ``tuneloop models promote`` or ``rollback`` changes what the old name
answers with no restart and no change in the application. The route wins over the *source*
version whose ``model_id`` is that ``ft:`` id (it would otherwise forward to OpenAI), and the
server lists the ``ft:`` id in ``GET /v1/models`` and answers ``GET /v1/models/{ft id}``.

What changes in the application is one line — the client's ``base_url`` (and a tuneloop key with
the ``chat`` scope instead of the OpenAI key); :func:`one_line_change` writes it.
:func:`check_switch` then proves it against a running server the way the application will call
it: with the official ``openai`` SDK, ``models.retrieve`` and ``chat.completions.create`` naming
the old id.

Until ``production`` moves to the local version (after a passing ``parity --gate``), the route
still ends at the source version — the OpenAI fine-tune, reached through OpenAI — so switching
early changes nothing for users; :class:`Switch` says so in ``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tuneloop.errors import BackendError, InvalidRequest
from tuneloop.migrate.pull import find_source
from tuneloop.models.routes import set_route

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.models.catalog import Catalog
    from tuneloop.registry.models import ModelVersion

__all__ = [
    "KEY_ENV",
    "Switch",
    "SwitchCheck",
    "check_switch",
    "one_line_change",
    "server_base_url",
    "switch",
]

KEY_ENV = "TUNELOOP_API_KEY"
ROUTE_NOTE = "migrated from OpenAI (tuneloop migrate openai switch)"


@dataclass(frozen=True)
class Switch:
    """What the switch set up: the route, where it ends now, and the line to change."""

    name: str
    model_id: str
    target: str
    resolves_to: str
    changed: bool
    base_url: str
    line: str
    key_command: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model_id,
            "route": {"name": self.model_id, "target": self.target, "changed": self.changed},
            "resolves_to": self.resolves_to,
            "base_url": self.base_url,
            "line": self.line,
            "key_command": self.key_command,
            "notes": list(self.notes),
        }


def server_base_url(settings: Settings, server_url: str | None = None) -> str:
    """``server_url`` (``…/v1`` added when missing), else the project's ``[server]`` address."""
    if server_url is None:
        host = settings.server.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        server_url = f"http://{host}:{settings.server.port}"
    url = server_url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def one_line_change(base_url: str, key_env: str = KEY_ENV) -> str:
    """The client construction with tuneloop's ``base_url``; the model name stays as it is."""
    return f'client = OpenAI(base_url="{base_url}", api_key=os.environ["{key_env}"])'


def _target(catalog: Catalog, source: ModelVersion, alias: str) -> tuple[str, ModelVersion]:
    assert catalog.store is not None
    target = f"{source.name}@{alias}"
    version = catalog.store.models.resolve(target)
    if version is None:
        raise InvalidRequest(
            f"{target} is not set, so the old model name would answer nothing.",
            hint=f"`tuneloop migrate openai pull` points {source.name}@production at the source; "
            f"set {alias} with `tuneloop models promote {source.name}@N --to {alias}` (after "
            f"`tuneloop migrate openai parity {source.name} --gate X`).",
            param="alias",
        )
    return target, version


def switch(
    settings: Settings,
    catalog: Catalog,
    name: str,
    *,
    alias: str = "production",
    server_url: str | None = None,
    by: str,
) -> Switch:
    """Route the source's ``ft:`` id to ``NAME@alias`` (idempotent) and describe the change.

    ``name`` is the tuneloop model name (or the ``ft:`` / ``ftjob-`` id). Raises
    :class:`~tuneloop.errors.UnknownReference` for an unpulled source and
    :class:`~tuneloop.errors.InvalidRequest` when the alias is not set.
    """
    from tuneloop.registry.refs import check_alias

    assert catalog.store is not None
    check_alias(alias)
    source = find_source(catalog.store, name)
    target, version = _target(catalog, source, alias)
    _, _, changed = set_route(catalog, source.model_id, target, by=by, note=ROUTE_NOTE)
    base_url = server_base_url(settings, server_url)
    notes = []
    if version.version == source.version:
        notes.append(
            f"{target} still points at the OpenAI source ({source.ref}): requests naming "
            f"{source.model_id} are forwarded to OpenAI until you promote the local version "
            f"(`tuneloop migrate openai parity {source.name} --gate X`, then `tuneloop models "
            f"promote {source.name}@N --to {alias}`)."
        )
    return Switch(
        name=source.name,
        model_id=source.model_id,
        target=target,
        resolves_to=version.ref,
        changed=changed,
        base_url=base_url,
        line=one_line_change(base_url),
        key_command=f"tuneloop keys create {source.name}-app --scope chat",
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class SwitchCheck:
    """What the server answered when asked the way the application asks."""

    listed: bool
    owned_by: str
    answer: str
    model: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "listed": self.listed,
            "owned_by": self.owned_by,
            "answer": self.answer,
            "model": self.model,
        }


def check_switch(
    base_url: str, api_key: str, model_id: str, *, question: str = "안녕하세요"
) -> SwitchCheck:
    """Call the server with the official ``openai`` SDK exactly as the application will after
    the switch: ``models.retrieve(model_id)`` and one ``chat.completions.create``. Raises
    :class:`~tuneloop.errors.BackendError` (mapped from the SDK's errors) when it does not
    answer."""
    import openai

    from tuneloop.models.openai_errors import remote_errors

    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60.0)
    with remote_errors(base_url, f"answer as {model_id}", key_env=KEY_ENV):
        model = client.models.retrieve(model_id)
        listed = any(m.id == model_id for m in client.models.list())
        reply = client.chat.completions.create(
            model=model_id,
            messages=[{"role": "user", "content": question}],
            max_tokens=32,
            temperature=0,
        )
    if not reply.choices:
        raise BackendError(
            f"{base_url} answered {model_id} with no choices.",
            hint="Check the server's log (`tuneloop serve`).",
        )
    return SwitchCheck(
        listed=listed,
        owned_by=model.owned_by,
        answer=reply.choices[0].message.content or "",
        model=reply.model,
    )
