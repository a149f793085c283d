"""The FastAPI application: OpenAI-compatible ``/v1`` routes over tuneloop's model catalog.

``create_app`` builds it from explicit parts (tests pass their own store and catalog);
``app_from_env`` is the factory uvicorn workers call, reading the project from ``TUNELOOP_*``
environment variables so several workers (``--workers N``) build identical apps.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from tuneloop import __version__
from tuneloop.config import Settings, load_settings
from tuneloop.models.catalog import Catalog
from tuneloop.registry import Store
from tuneloop.serve.errors import install_error_handlers
from tuneloop.serve.openapi import install_openapi
from tuneloop.serve.routes import chat, files, fine_tuning, health, models
from tuneloop.serve.state import ServerState
from tuneloop.train.base import Trainer

__all__ = ["INSECURE_ENV", "app_from_env", "create_app"]

INSECURE_ENV = "TUNELOOP_SERVE_INSECURE_DEV"


def create_app(
    settings: Settings,
    *,
    store: Store,
    catalog: Catalog | None = None,
    require_auth: bool = True,
    fine_tuning_trainer: Trainer | None = None,
) -> FastAPI:
    app = FastAPI(
        title="tuneloop",
        version=__version__,
        summary="OpenAI-compatible API over models you fine-tune and serve yourself.",
    )
    app.state.tuneloop = ServerState(
        settings=settings,
        store=store,
        catalog=catalog or Catalog(settings, store, allow_ad_hoc=False),
        require_auth=require_auth,
    )
    # None: the ``local-lora`` trainer from the plugin registry, built on first use.
    app.state.fine_tuning_trainer = fine_tuning_trainer
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(chat.router)
    app.include_router(models.router)
    app.include_router(health.router)
    app.include_router(files.router)
    app.include_router(fine_tuning.router)

    if not require_auth:

        @app.middleware("http")
        async def _mark_insecure(request: Request, call_next: RequestResponseEndpoint) -> Response:
            response = await call_next(request)
            response.headers["X-Tuneloop-Auth"] = "disabled"
            return response

    return app


def app_from_env() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory tuneloop.serve.app:app_from_env``."""
    settings = load_settings(os.environ.get("TUNELOOP_PROJECT"))
    store = Store.from_settings(settings)
    return create_app(settings, store=store, require_auth=os.environ.get(INSECURE_ENV) != "1")
