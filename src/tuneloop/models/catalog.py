"""Which models exist, and turning a model name into a ready :class:`ChatModel`.

A name resolves, in order, to: a model registered in the project's store (``tuneloop models add``),
a built-in alias from a plugin (``smollm2-135m``), a fine-tuned version in the model registry
(its ``model_id`` ``ft:…``, or a ref ``seoul-guide@production`` / ``seoul-guide@3`` /
``seoul-guide``), or an ad-hoc ``BACKEND:TARGET`` spec (``local:/path/to/hf-folder``,
``openai:gpt-4o-mini``).

Before all of that, a **route** (``tuneloop models route set``,
:mod:`tuneloop.store.model_routes`) answers a name with another reference —
``ft:gpt-4o-mini-…:acme:support:AbC123`` → ``support@production`` after
``tuneloop migrate openai switch``. A route wins over every other meaning of the name —
including the registry version whose ``model_id`` is that ``ft:`` id (the OpenAI *source* version
``migrate openai pull`` recorded) — and its target is resolved like any other name, never through
another route.

Registry names are looked up on every :meth:`Catalog.get` and the loaded model is cached by the
version they resolve to, so promoting ``seoul-guide@production`` takes effect in a running server
on its next request — through a route too.

What produces answers that are kept (evaluations, prompt runs, chat) calls :meth:`Catalog.resolve`
instead: one immutable identity (:class:`~tuneloop.models.identity.ResolvedModel` — the version
``seoul-guide@2`` and the ``sha256:`` of its weights) computed once, up front, and
:meth:`Catalog.load` builds the model from that identity, never from the alias again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from tuneloop.errors import ModelNotFound, RegistryError
from tuneloop.models.base import ChatModel
from tuneloop.models.identity import HashCache, ResolvedModel, content_hash
from tuneloop.plugins import collect

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.registry import Store
    from tuneloop.registry.models import ModelVersion

__all__ = [
    "BackendFactory",
    "Catalog",
    "ModelSpec",
    "ResolvedModel",
    "backends",
    "builtin_models",
]


@dataclass(frozen=True)
class ModelSpec:
    """A named model: which backend serves it and with what configuration."""

    name: str
    backend: str
    config: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    source: Literal["builtin", "registered", "fine-tuned", "ad-hoc", "routed"] = "builtin"


BackendFactory = Callable[[ModelSpec, "Settings"], ChatModel]


def backends() -> dict[str, BackendFactory]:
    """Backends registered by plugins, by name."""
    found: dict[str, BackendFactory] = collect("register_backends")
    return found


def builtin_models() -> dict[str, ModelSpec]:
    """Models plugins know by name, without any project."""
    found: dict[str, ModelSpec] = collect("register_models", key=lambda spec: spec.name)
    return found


class Catalog:
    """Model names for one project: built-ins plus the store's registrations.

    ``get`` caches the ChatModel per name, so one process loads a local model's weights once
    (the local backend additionally caches weights per file across names).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        *,
        allow_ad_hoc: bool = True,
        hashes: HashCache | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._hashes = hashes
        # The server turns this off: a client must not make it load arbitrary paths or call
        # arbitrary upstreams with the server's credentials.
        self.allow_ad_hoc = allow_ad_hoc
        self._models: dict[str, ChatModel] = {}
        self._lock = threading.Lock()

    def specs(self) -> list[ModelSpec]:
        return self._specs(routes=True)

    def _specs(self, *, routes: bool) -> list[ModelSpec]:
        specs = dict(builtin_models())
        if self.store is not None:
            for reg in self.store.registrations.list():
                specs[reg.name] = ModelSpec(
                    name=reg.name,
                    backend=reg.backend,
                    config=dict(reg.config),
                    description=reg.description,
                    source="registered",
                )
            for version in self.store.models.all():
                specs.setdefault(version.model_id, _version_spec(version.model_id, version))
            for alias in self.store.models.all_aliases():
                ref = f"{alias.name}@{alias.alias}"
                specs.setdefault(ref, _version_spec(ref, self.store.models.get(ref)))
            for route in self.store.model_routes.list() if routes else []:
                try:
                    specs[route.name] = self._locate(route.name)[0]
                except ModelNotFound:
                    specs.pop(route.name, None)  # its target is gone: the name answers nothing
        return sorted(specs.values(), key=lambda s: s.name)

    def route_target(self, name: str) -> str | None:
        """The reference a route sends ``name`` to, if ``name`` is routed."""
        if self.store is None:
            return None
        route = self.store.model_routes.get(name)
        return None if route is None else route.target

    def spec(self, name: str) -> ModelSpec:
        target = self.route_target(name)
        if target is not None:
            return self._locate(name)[0]
        return self._unrouted_spec(name)

    def _unrouted_spec(self, name: str) -> ModelSpec:
        if self.store is not None:
            reg = self.store.registrations.get(name)
            if reg is not None:
                return ModelSpec(
                    reg.name, reg.backend, dict(reg.config), reg.description, "registered"
                )
        builtin = builtin_models().get(name)
        if builtin is not None:
            return builtin
        version = self._version(name)
        if version is not None:
            return _version_spec(name, version)
        backend, sep, target = name.partition(":")
        if self.allow_ad_hoc and sep and target and backend in backends():
            return ModelSpec(name, backend, {"target": target}, source="ad-hoc")
        known = ", ".join(s.name for s in self._specs(routes=False)) or "none"
        hint = f"Known models: {known}. Register one with `tuneloop models add`"
        if self.allow_ad_hoc:
            hint += ", or use BACKEND:TARGET such as local:/path/to/model or openai:gpt-4o-mini"
        raise ModelNotFound(
            f"The model `{name}` does not exist or you do not have access to it.",
            hint=hint + ".",
            param="model",
        )

    def _version(self, name: str) -> ModelVersion | None:
        """The model-registry version ``name`` resolves to, unless a registration or built-in
        has that name (they win, as in :meth:`spec`)."""
        if self.store is None or name in builtin_models():
            return None
        version = self.store.models.resolve(name)
        if version is None or self.store.registrations.get(name) is not None:
            return None
        return version

    def _locate(self, name: str) -> tuple[ModelSpec, ModelVersion | None]:
        """The spec ``name`` means now, and the registry version behind it (if any); a routed
        name means what its target means now (the spec keeps the routed name)."""
        target = self.route_target(name)
        if target is not None:
            spec, version = self._locate_unrouted(target, routed_from=name)
            return replace(
                spec,
                name=name,
                description=f"route → {target}: {spec.description}",
                source="routed",
            ), version
        return self._locate_unrouted(name)

    def _locate_unrouted(
        self, name: str, *, routed_from: str | None = None
    ) -> tuple[ModelSpec, ModelVersion | None]:
        version = self._version(name)
        if version is not None:
            return _version_spec(name, version), version
        try:
            return self._unrouted_spec(name), None
        except ModelNotFound as exc:
            if routed_from is None:
                raise
            raise ModelNotFound(
                f"The model `{routed_from}` is routed to `{name}`, which does not resolve: "
                f"{exc.message}",
                hint=f"Point the route elsewhere (`tuneloop models route set {routed_from} "
                "TARGET`) or set the alias it names.",
                param="model",
            ) from exc

    @property
    def hashes(self) -> HashCache:
        """File digests remembered across runs (``TUNELOOP_HOME/cache/content-hashes.json``)."""
        if self._hashes is None:
            self._hashes = HashCache.default()
        return self._hashes

    def resolve(self, ref: str) -> ResolvedModel:
        """``ref`` as one immutable identity: version id + content hash (see
        :mod:`tuneloop.models.identity`). Raises :class:`~tuneloop.errors.ModelNotFound` for an
        unknown name and :class:`~tuneloop.errors.RegistryError` for an uninstalled backend."""
        spec, version = self._locate(ref)
        self._factory(ref, spec)
        digest, hashed_from = content_hash(spec, self.hashes)
        if version is not None:
            return ResolvedModel(
                requested=ref,
                version_ref=version.ref,
                name=version.name,
                version=version.version,
                content_hash=digest,
                spec=spec,
                hashed_from=hashed_from,
                model_id=version.model_id,
            )
        return ResolvedModel(
            requested=ref,
            version_ref=spec.name,
            name=spec.name,
            version=None,
            content_hash=digest,
            spec=spec,
            hashed_from=hashed_from,
        )

    def load(self, resolved: ResolvedModel) -> ChatModel:
        """The ChatModel of exactly this identity (cached per version and hash); the alias the
        user typed is not looked up again."""
        key = f"\0{resolved.version_ref}\0{resolved.content_hash}"
        return self._build(key, resolved.requested, resolved.spec)

    def get(self, name: str) -> ChatModel:
        """The model ``name`` means now, hashing nothing (the server's per-request path); a
        routed name is looked up again on every call, so its target's alias moves take effect."""
        target = self.route_target(name) or name
        version = self._version(target)
        key = f"\0{version.model_id}" if version is not None else target
        with self._lock:
            cached = self._models.get(key)
            if cached is not None:
                return cached
        spec = _version_spec(name, version) if version is not None else self.spec(name)
        return self._build(key, name, spec)

    def _factory(self, name: str, spec: ModelSpec) -> BackendFactory:
        factory = backends().get(spec.backend)
        if factory is None:
            raise RegistryError(
                f"Model {name!r} uses backend {spec.backend!r}, which is not installed.",
                hint=f"Installed backends: {', '.join(sorted(backends()))}.",
            )
        return factory

    def _build(self, key: str, name: str, spec: ModelSpec) -> ChatModel:
        with self._lock:
            cached = self._models.get(key)
            if cached is not None:
                return cached
        model = self._factory(name, spec)(spec, self.settings)
        with self._lock:
            return self._models.setdefault(key, model)


def _version_spec(name: str, version: ModelVersion) -> ModelSpec:
    lineage = f"{version.ref} ({version.model_id}), fine-tuned from {version.base_model}"
    if version.dataset_ref:
        lineage += f" on {version.dataset_ref}"
    return ModelSpec(name, version.backend, dict(version.config), lineage, "fine-tuned")
