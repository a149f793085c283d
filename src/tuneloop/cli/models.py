"""``tuneloop models``: list the models this project can use, register and remove them, and
manage fine-tuned versions in the model registry (``versions``, ``show``, ``promote``,
``rollback``, ``history``, and the ``alias`` verbs every registry kind shares) — the logic lives in
:mod:`tuneloop.registry.models`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tuneloop.cli.aliases import (
    ByOption,
    ForceOption,
    ReasonOption,
    alias_app,
    history_table,
    move_dict,
    print_move,
)
from tuneloop.cli.context import catalog, out, print_json, store
from tuneloop.cli.options import JsonOption

app = typer.Typer(help="List, register and remove models.", no_args_is_help=True)
app.add_typer(alias_app("model", lambda: store().models), name="alias")


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


# -- the model registry: fine-tuned versions and their aliases --------------------------------

RefArg = Annotated[
    str,
    typer.Argument(
        metavar="REF", help="seoul-guide@3, seoul-guide@production, seoul-guide, or ft:… id."
    ),
]
AliasOption = Annotated[
    str, typer.Option("--alias", help="Alias to move (production, staging, canary …).")
]


def _aliases_of(name: str, version: int) -> list[str]:
    return [a for a, v in store().models.aliases(name).items() if v == version]


@app.command("versions")
def versions(
    name: Annotated[str, typer.Argument(help="Model-registry name, e.g. seoul-guide.")],
    as_json: JsonOption = False,
) -> None:
    """Every version of a fine-tuned model, with lineage and aliases."""
    found = store().models.versions(name)
    aliases = store().models.aliases(name)
    if as_json:
        print_json(
            [
                {**v.as_dict(), "aliases": [a for a, n in aliases.items() if n == v.version]}
                for v in found
            ]
        )
        return
    table = Table("version", "aliases", "model_id", "base", "dataset", "metrics", "created")
    for v in found:
        table.add_row(
            str(v.version),
            ", ".join(a for a, n in aliases.items() if n == v.version),
            v.model_id,
            v.base_model,
            v.dataset_ref or "",
            ", ".join(f"{k}={_short(x)}" for k, x in sorted(v.metrics.items())),
            v.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@app.command("show")
def show(ref: RefArg, as_json: JsonOption = False) -> None:
    """One model version: how it is served, where it came from, its metrics."""
    version = store().models.get(ref)
    aliases = _aliases_of(version.name, version.version)
    if as_json:
        print_json({**version.as_dict(), "aliases": aliases})
        return
    table = Table("", "", show_header=False, box=None)
    table.add_row("version", version.ref + (f" ({', '.join(aliases)})" if aliases else ""))
    table.add_row("model_id", version.model_id)
    table.add_row("backend", version.backend)
    for key, value in sorted(version.config.items()):
        table.add_row(f"  config.{key}", str(value))
    table.add_row("base model", version.base_model)
    table.add_row("dataset", version.dataset_ref or "-")
    table.add_row("prompt", version.prompt_ref or "-")
    table.add_row("job", version.job_id or "-")
    for key, value in sorted(version.hyperparameters.items()):
        table.add_row(f"  hp.{key}", _short(value))
    for key, value in sorted(version.metrics.items()):
        table.add_row(f"  metric.{key}", _short(value))
    for key, value in sorted(version.artifacts.items()):
        table.add_row(f"  artifact.{key}", str(value))
    table.add_row("author", version.author)
    table.add_row("created", version.created_at.isoformat(timespec="seconds"))
    if version.description:
        table.add_row("description", version.description)
    out.print(table)


@app.command("promote")
def promote(
    ref: RefArg,
    alias: Annotated[
        str,
        typer.Option("--to", "--alias", help="Alias to move (production, staging, canary …)."),
    ] = "production",
    reason: ReasonOption = "",
    force: ForceOption = False,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Point an alias (production by default) at a version. A protected alias moves only with a
    stored, passing gate of that version against the alias's current one (shown), or with
    --force --reason; every move is recorded."""
    import getpass

    moved = store().models.promote(
        ref, alias, by=by or getpass.getuser(), reason=reason, force=force
    )
    if as_json:
        print_json(move_dict(moved))
        return
    print_move(moved)


@app.command("rollback")
def rollback(
    name: Annotated[str, typer.Argument(help="Model-registry name, e.g. seoul-guide.")],
    alias: AliasOption = "production",
    reason: ReasonOption = "",
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Undo an alias's last move: point it back at the version it had before (a protected
    alias needs --reason, no gate)."""
    import getpass

    moved = store().models.rollback(name, alias, by=by or getpass.getuser(), reason=reason)
    if as_json:
        print_json(move_dict(moved))
        return
    print_move(moved)


@app.command("history")
def history(
    name: Annotated[str, typer.Argument(help="Model-registry name, e.g. seoul-guide.")],
    alias: Annotated[str | None, typer.Option("--alias", help="Only this alias.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every alias move of a model (promotions, roll backs, removals) with its gate or reason,
    oldest first."""
    store().models.versions(name)  # UnknownReference with a hint for an unknown name
    events = store().models.alias_history(name, alias)
    if as_json:
        print_json([e.as_dict() for e in events])
        return
    if not events:
        out.print(f"No alias of {name} has moved yet.")
        return
    out.print(history_table(events))


# ------------------------------------------------------------------------------------ routes

route_app = typer.Typer(
    help="Answer a model name with another model reference, resolved per request (e.g. an old "
    "ft: id → support@production).",
    no_args_is_help=True,
)
app.add_typer(route_app, name="route")

RouteNameArg = Annotated[
    str, typer.Argument(help="The model name clients send, e.g. an old ft:gpt-4o-mini-… id.")
]


@route_app.command("set")
def route_set(
    name: RouteNameArg,
    target: Annotated[
        str,
        typer.Argument(help="What answers it: support@production, support@3, a registered name."),
    ],
    note: Annotated[str, typer.Option("--note", help="Why the route exists (shown in list).")] = "",
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Route NAME to TARGET; the server resolves TARGET on every request, so a promote or roll
    back of its alias takes effect without a restart."""
    import getpass

    from tuneloop.models.routes import set_route

    route, spec, changed = set_route(catalog(), name, target, by=by or getpass.getuser(), note=note)
    if as_json:
        print_json({**route.as_dict(), "changed": changed, "resolves_to": spec.description})
        return
    verb = "Routed" if changed else "Already routed:"
    out.print(f"{verb} [bold]{route.name}[/] → [bold]{route.target}[/] ({spec.description}).")


@route_app.command("list")
def route_list(as_json: JsonOption = False) -> None:
    """Every route with its target and what the target means now."""
    from tuneloop.errors import ModelNotFound

    routes = store().model_routes.list()
    rows = []
    for route in routes:
        try:
            now = catalog().spec(route.name).description
        except ModelNotFound as exc:
            now = f"unresolvable: {exc.message}"
        rows.append({**route.as_dict(), "resolves_to": now})
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("No routes. Add one with `tuneloop models route set NAME TARGET`.")
        return
    table = Table("name", "target", "resolves to now", "note", "by")
    for row in rows:
        table.add_row(row["name"], row["target"], row["resolves_to"], row["note"], row["by"])
    out.print(table)


@route_app.command("remove")
def route_remove(name: RouteNameArg, as_json: JsonOption = False) -> None:
    """Delete the route of NAME (requests naming it then get what NAME means without a route)."""
    removed = store().model_routes.remove(name)
    if as_json:
        print_json(removed.as_dict())
        return
    out.print(f"Removed the route {removed.name} → {removed.target}.")
