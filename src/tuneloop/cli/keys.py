"""``tuneloop keys``: API keys for ``tuneloop serve`` — shown once, stored only as a hash, each with
its scopes and an optional model allow-list (docs/keys.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tuneloop.cli.context import err, out, print_json, store
from tuneloop.cli.options import JsonOption
from tuneloop.store.keys import ALL, SCOPES, ApiKeyRecord

app = typer.Typer(help="Create, list and revoke API keys for the server.", no_args_is_help=True)


def _scopes(record: ApiKeyRecord) -> list[str]:
    return [s for s in SCOPES if s in record.scopes]


def _json(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "prefix": record.prefix,
        "scopes": _scopes(record),
        "models": list(record.models) if record.models is not None else None,
    }


@app.command("create")
def create(
    name: Annotated[
        str, typer.Option(help="What the key is for, e.g. the client's name.")
    ] = "default",
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help=f"What the key may do: {', '.join(SCOPES)}, or {ALL} for every scope. Repeat "
            "the option or give a comma list. Default: chat.",
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="A model the key may use (repeatable); a name without @ covers all its versions "
            "and aliases. Default: every model.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    record, plaintext = store().keys.create(name, scopes=scope or (), models=model)
    if as_json:
        print_json({**_json(record), "key": plaintext})
        return
    models = ", ".join(record.models) if record.models else "every model"
    err.print(
        f"[green]Created key {record.id}[/] ({record.name}; scopes: "
        f"{', '.join(_scopes(record))}; models: {models}). It is shown only once:"
    )
    out.print(plaintext, markup=False)


@app.command("list")
def list_keys(as_json: JsonOption = False) -> None:
    """Keys with their prefix, scopes, models, creation and last use (never the key itself)."""
    records = store().keys.list()
    if as_json:
        print_json(
            [
                {
                    **_json(r),
                    "created_at": r.created_at.isoformat(),
                    "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
                    "revoked": r.revoked,
                }
                for r in records
            ]
        )
        return
    table = Table("id", "name", "prefix", "scopes", "models", "created", "last used", "revoked")
    for r in records:
        table.add_row(
            str(r.id),
            r.name,
            r.prefix + "…",
            ALL if set(r.scopes) == set(SCOPES) else ",".join(_scopes(r)),
            ",".join(r.models) if r.models else "all",
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "-",
            "yes" if r.revoked else "",
        )
    out.print(table)


@app.command("revoke")
def revoke(key: Annotated[str, typer.Argument(help="Key id or its displayed prefix.")]) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    key = key.rstrip("…")  # `keys list` shows prefixes as "tl-abc123…"
    record = store().keys.revoke(int(key) if key.isdigit() else key)
    out.print(f"Revoked key {record.id} ({record.name}).")
