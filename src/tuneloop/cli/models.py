"""``tuneloop models``: list the models this project can use, register and remove them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tuneloop.cli.context import catalog, out, print_json, store
from tuneloop.cli.options import JsonOption

app = typer.Typer(help="List, register and remove models.", no_args_is_help=True)


@app.command("list")
def list_models(as_json: JsonOption = False) -> None:
    """Built-in models and the ones registered in this project."""
    specs = catalog().specs()
    if as_json:
        print_json(
            [
                {
                    "name": s.name,
                    "backend": s.backend,
                    "source": s.source,
                    "description": s.description,
                    "config": dict(s.config),
                }
                for s in specs
            ]
        )
        return
    table = Table("name", "backend", "source", "description")
    for s in specs:
        table.add_row(s.name, s.backend, s.source, s.description)
    out.print(table)


@app.command("add")
def add_model(
    name: Annotated[str, typer.Argument(help="Name clients will use, e.g. seoul-guide.")],
    backend: Annotated[
        str, typer.Option(help="Backend: local, openai, echo, or one a plugin adds.")
    ],
    path: Annotated[
        Path | None, typer.Option(help="local: a Hugging Face model folder or a .gguf file.")
    ] = None,
    gguf_file: Annotated[str | None, typer.Option(help="local: GGUF file inside --path.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="openai: API base URL, e.g. http://127.0.0.1:8001/v1.")
    ] = None,
    upstream_model: Annotated[
        str | None, typer.Option(help="openai: the model's name on the upstream server.")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="openai: environment variable holding the upstream's key.")
    ] = None,
    description: Annotated[str, typer.Option(help="Free text shown in `models list`.")] = "",
    replace: Annotated[bool, typer.Option(help="Overwrite an existing registration.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Register a model by name: weights on disk, or a model on an OpenAI-compatible server."""
    from tuneloop.errors import InvalidRequest
    from tuneloop.models.catalog import backends, builtin_models

    if backend not in backends():
        raise InvalidRequest(
            f"Unknown backend {backend!r}.", hint=f"Use one of: {', '.join(sorted(backends()))}."
        )
    if name in builtin_models():
        raise InvalidRequest(
            f"{name!r} is a built-in model name.", hint="Pick another name for your registration."
        )
    only_for = {
        "local": ("path", "gguf_file"),
        "openai": ("base_url", "upstream_model", "api_key_env"),
    }
    given = {
        "path": path,
        "gguf_file": gguf_file,
        "base_url": base_url,
        "upstream_model": upstream_model,
        "api_key_env": api_key_env,
    }
    for owner, options in only_for.items():
        misplaced = [o for o in options if given[o] is not None and backend != owner]
        if misplaced:
            flags = ", ".join("--" + o.replace("_", "-") for o in misplaced)
            raise InvalidRequest(
                f"{flags} only apply to the {owner} backend, not {backend}.",
                hint=f"Drop {flags}, or use --backend {owner}.",
            )
    if backend == "local" and path is None:
        raise InvalidRequest(
            "A local model needs --path.", hint="Pass a model folder or .gguf file."
        )
    config: dict[str, Any] = {}
    if path is not None:
        resolved = path.expanduser().resolve()
        if not resolved.exists():
            raise InvalidRequest(f"{resolved} does not exist.", hint="Check --path.")
        config["path"] = str(resolved)
    for key, value in (
        ("gguf_file", gguf_file),
        ("base_url", base_url),
        ("model", upstream_model),
        ("api_key_env", api_key_env),
    ):
        if value:
            config[key] = value
    if backend == "local":
        from tuneloop.models.local import resolve_weights_location

        resolve_weights_location(config)  # fail now, not at first request
    reg = store().registrations.register(name, backend, config, description, replace=replace)
    if as_json:
        print_json({"name": reg.name, "backend": reg.backend, "config": reg.config})
    else:
        out.print(f"Registered [bold]{reg.name}[/] ({reg.backend}).")


@app.command("remove")
def remove_model(name: Annotated[str, typer.Argument(help="Registered model name.")]) -> None:
    """Remove a registration (weights on disk are left alone)."""
    store().registrations.remove(name)
    out.print(f"Removed {name}.")
