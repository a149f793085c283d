"""``GET /healthz`` — liveness and database reachability, without auth (for load balancers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from tuneloop import __version__
from tuneloop.serve.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Health check")
async def healthz(request: Request) -> Health:
    state = request.app.state.tuneloop

    def ping() -> None:
        with state.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    await run_in_threadpool(ping)
    return Health(
        status="ok",
        version=__version__,
        auth="api-key" if state.require_auth else "disabled",
        database="ok",
    )
