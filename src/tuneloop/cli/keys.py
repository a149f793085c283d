"""``tuneloop keys``: API keys for ``tuneloop serve`` — shown once, stored only as a hash."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tuneloop.cli.context import err, out, print_json, store
from tuneloop.cli.options import JsonOption

app = typer.Typer(help="Create, list and revoke API keys for the server.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[
        str, typer.Option(help="What the key is for, e.g. the client's name.")
    ] = "default",
    as_json: JsonOption = False,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    record, plaintext = store().keys.create(name)
    if as_json:
        print_json(
            {"id": record.id, "name": record.name, "prefix": record.prefix, "key": plaintext}
        )
        return
    err.print(f"[green]Created key {record.id}[/] ({record.name}). It is shown only once:")
    out.print(plaintext, markup=False)


@app.command("list")
def list_keys(as_json: JsonOption = False) -> None:
    """Keys with their prefix, creation and last use (never the key itself)."""
    records = store().keys.list()
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "prefix": r.prefix,
                    "created_at": r.created_at.isoformat(),
                    "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
                    "revoked": r.revoked,
                }
                for r in records
            ]
        )
        return
    table = Table("id", "name", "prefix", "created", "last used", "revoked")
    for r in records:
        table.add_row(
            str(r.id),
            r.name,
            r.prefix + "…",
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
