"""``tuneloop db``: database migrations (also applied automatically when the store opens)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tuneloop.cli.context import out, print_json, settings
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.registry import Store

app = typer.Typer(help="Inspect and migrate the database schema.", no_args_is_help=True)


def _store_unmigrated() -> Store:
    from tuneloop.registry import Store

    return Store.from_settings(settings(), migrate=False)


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from tuneloop.store import migrate

    with _store_unmigrated() as st:
        migrate.upgrade(st.engine, revision)
        out.print(f"Database at revision {migrate.current_revision(st.engine)}.")


@app.command("downgrade")
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base' for empty.")],
) -> None:
    """Revert migrations down to REVISION."""
    from tuneloop.store import migrate

    with _store_unmigrated() as st:
        migrate.downgrade(st.engine, revision)
        out.print(f"Database at revision {migrate.current_revision(st.engine) or 'base'}.")


@app.command("current")
def current(as_json: JsonOption = False) -> None:
    """Show the database's revision and the newest one this tuneloop knows."""
    from tuneloop.store import migrate
    from tuneloop.store.engine import masked_url

    with _store_unmigrated() as st:
        cur, head = migrate.current_revision(st.engine), migrate.head_revision()
    url = masked_url(settings().resolved_database_url)  # never print the password
    if as_json:
        print_json({"database_url": url, "current": cur, "head": head, "up_to_date": cur == head})
    else:
        out.print(f"{url}: revision {cur or 'base'} (newest: {head})", markup=False)
