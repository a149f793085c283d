"""Setting a model route safely: the checks between "route this name" and the stored row.

The store keeps routes (:mod:`tuneloop.store.model_routes`) and the catalog follows them on every
request (:mod:`tuneloop.models.catalog`); this module is the one place that decides whether a
route may be set, so ``tuneloop models route set`` and ``tuneloop migrate openai switch`` refuse
the same things:

* a target that does not resolve now (a typo would otherwise surface as a 404 in production);
* a target that is itself routed (chains hide what answers; one hop is the rule);
* an ad-hoc ``BACKEND:TARGET`` target (the server never builds those for clients);
* a routed name that is already a registered or built-in model name (the route would silently
  shadow it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuneloop.errors import BadReference, RegistryError
from tuneloop.models.catalog import builtin_models

if TYPE_CHECKING:
    from tuneloop.models.catalog import Catalog, ModelSpec
    from tuneloop.store.model_routes import ModelRoute

__all__ = ["set_route"]


def set_route(
    catalog: Catalog, name: str, target: str, *, by: str, note: str = ""
) -> tuple[ModelRoute, ModelSpec, bool]:
    """Route ``name`` to ``target`` after the checks in the module docstring; return the route,
    what the target means now, and whether anything changed.

    Raises :class:`~tuneloop.errors.BadReference` for a refused name or target and
    :class:`~tuneloop.errors.ModelNotFound` for a target that resolves to nothing.
    """
    store = catalog.store
    if store is None:
        raise RegistryError(
            "Routes live in a project's store.", hint="Run inside a project (tuneloop init)."
        )
    if name in builtin_models() or store.registrations.get(name) is not None:
        raise BadReference(
            f"{name!r} is already a registered or built-in model name; a route would hide it.",
            hint="Route the name clients send that tuneloop does not serve yet (an old ft: id), "
            "or remove the registration first.",
            param="name",
        )
    onward = catalog.route_target(target)
    if onward is not None:
        raise BadReference(
            f"{target!r} is itself routed (to {onward!r}); routes go one hop.",
            hint=f"Route {name!r} to {onward!r} directly.",
            param="target",
        )
    spec = catalog.spec(target)
    if spec.source == "ad-hoc":
        raise BadReference(
            f"{target!r} is an ad-hoc BACKEND:TARGET spec, which the server never builds.",
            hint="Register it first (`tuneloop models add`), then route to its name.",
            param="target",
        )
    route, changed = store.model_routes.set(name, target, by=by, note=note)
    return route, spec, changed
