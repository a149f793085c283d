"""``tuneloop serve``: the OpenAI-compatible HTTP server (uvicorn)."""

from __future__ import annotations

import os
import signal
from typing import Annotated

import typer

from tuneloop.cli.context import err, settings

INSECURE_BANNER = (
    "[bold white on red] INSECURE DEV MODE [/] API keys are NOT checked: anyone who can reach "
    "{url} can use it. Never expose this port; drop --insecure-dev for anything shared."
)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default from settings).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="TCP port (default from settings).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (use PostgreSQL when > 1).")
    ] = None,
    insecure_dev: Annotated[
        bool,
        typer.Option("--insecure-dev", help="Disable API-key checks (local experiments only)."),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    train_workers: Annotated[
        int,
        typer.Option(
            min=0, help="Fine-tuning worker processes to start beside the server (0: none)."
        ),
    ] = 1,
) -> None:
    """Serve /v1/chat/completions, /v1/models and /healthz; requires API keys by default."""
    import uvicorn

    from tuneloop.registry import Store
    from tuneloop.serve.app import INSECURE_ENV

    cfg = settings()
    host = cfg.server.host if host is None else host
    port = cfg.server.port if port is None else port
    workers = cfg.server.workers if workers is None else workers
    # Migrate once here, not racing in each worker.
    with Store.from_settings(cfg) as st:
        has_keys = any(not k.revoked for k in st.keys.list())
    url = f"http://{host}:{port}/v1"
    if insecure_dev:
        err.print(INSECURE_BANNER.format(url=url))
    elif not has_keys:
        err.print(
            "[yellow]No API keys exist yet:[/] every request will get 401. "
            "Create one with `tuneloop keys create`."
        )
    if workers > 1 and cfg.resolved_database_url.startswith("sqlite"):
        err.print("[yellow]Several workers on SQLite work, but PostgreSQL is the tested path.[/]")
    os.environ["TUNELOOP_PROJECT"] = str(cfg.project_dir) if cfg.project_file.exists() else ""
    if not os.environ["TUNELOOP_PROJECT"]:
        del os.environ["TUNELOOP_PROJECT"]
    os.environ[INSECURE_ENV] = "1" if insecure_dev else "0"
    err.print(f"tuneloop serving {url} (OpenAI base_url) — Ctrl-C stops.")
    from tuneloop.train.worker import start_worker_processes, stop_worker_processes

    def _terminated(signum: int, _frame: object) -> None:
        # uvicorn re-raises the SIGTERM it shut down on; exit through `finally` so the training
        # workers are stopped (their jobs checkpointed and requeued), not orphaned.
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminated)
    trainers = start_worker_processes(os.environ.get("TUNELOOP_PROJECT"), train_workers)
    try:
        uvicorn.run(
            "tuneloop.serve.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
        )
    finally:
        stop_worker_processes(trainers)
