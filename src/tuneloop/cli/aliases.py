"""``tuneloop models|prompt|data alias …``: one set of alias verbs for every registry kind.

Why one module: an alias means the same for a prompt, a dataset and a model (a movable name for
one immutable version), so ``set``, ``remove``, ``rollback``, ``history`` and ``list`` take the same
arguments and print the same way everywhere; only the registry behind them differs. The rules
(protected aliases, gates, reasons) are the registry core's (:mod:`tuneloop.registry.core`).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer
from rich.table import Table

from tuneloop.cli.context import out, print_json
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.registry import AliasEvent, AliasMove, Versioned

__all__ = [
    "ByOption",
    "ForceOption",
    "ReasonOption",
    "alias_app",
    "aliases_by_version",
    "history_table",
    "move_dict",
    "print_move",
]

ByOption = Annotated[
    str | None, typer.Option("--by", help="Who moves it (recorded); default: your user name.")
]
ReasonOption = Annotated[
    str,
    typer.Option(
        "--reason",
        help="Why (recorded in the alias history); required with --force and for rolling back "
        "a protected alias.",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Move a protected alias without a passing gate (needs --reason; recorded).",
    ),
]
AliasArg = Annotated[str, typer.Argument(help="Alias, e.g. production, staging or canary.")]
NameArg = Annotated[str, typer.Argument(help="Name in the registry, e.g. seoul-guide.")]
RefArg = Annotated[
    str,
    typer.Argument(
        metavar="REF", help="The version to point at: NAME@3, NAME@other-alias or NAME (newest)."
    ),
]


class _Version(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...


def move_dict(move: AliasMove) -> dict[str, Any]:
    """A move as JSON: where the alias points, from where, and what allowed it."""
    return {
        "kind": move.alias.kind,
        "name": move.alias.name,
        "alias": move.alias.alias,
        "version": move.alias.version,
        "previous": move.previous,
        "changed": move.changed,
        "gate": None if move.gate is None else move.gate.as_dict(),
        "forced": move.forced,
        "reason": move.reason,
    }


def _check_text(check: dict[str, Any]) -> str:
    label = check.get("name") or check.get("metric") or check.get("check") or "check"
    state = check.get("passed")
    mark = "pass" if state is True else "FAIL" if state is False else "-"
    rest = ", ".join(
        f"{k}={v}" for k, v in check.items() if k not in {"name", "metric", "check", "passed"}
    )
    return f"    {mark} {label}" + (f": {rest}" if rest else "")


def print_move(move: AliasMove) -> None:
    """The evidence behind a move (gate, or forced with reason), then the move itself."""
    where = f"{move.alias.name}@{move.alias.alias}"
    if move.gate is not None:
        gate = move.gate
        out.print(
            f"Gate {gate.id} (suite {gate.suite}): {gate.candidate_ref} against "
            f"{gate.baseline_ref} — {'passed' if gate.passed else 'failed'}",
            markup=False,
        )
        for check in gate.checks:
            out.print(_check_text(check), markup=False)
    elif move.forced:
        out.print(f"Forced without a gate: {move.reason}", markup=False)
    if not move.changed:
        out.print(f"{where} already points at version {move.alias.version}; nothing changed.")
    elif move.previous is None:
        out.print(f"{where} → version {move.alias.version} (new alias).")
    else:
        out.print(f"{where}: version {move.previous} → {move.alias.version}.")


def history_table(events: list[AliasEvent]) -> Table:
    """Alias moves, oldest first, with who, why and the gate that allowed each."""
    table = Table("when", "alias", "from", "to", "by", "gate", "reason")
    for e in events:
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.alias,
            "-" if e.from_version is None else str(e.from_version),
            "removed" if e.to_version is None else str(e.to_version),
            e.by,
            e.gate_id or "",
            e.reason,
        )
    return table


def aliases_by_version(registry: Versioned[Any, Any]) -> dict[tuple[str, int], list[str]]:
    """``{(name, version): [alias, …]}`` of every alias of a kind, for listings."""
    found: dict[tuple[str, int], list[str]] = {}
    for alias in registry.all_aliases():
        found.setdefault((alias.name, alias.version), []).append(alias.alias)
    return found


def alias_app(kind: str, registry: Callable[[], Versioned[Any, Any]]) -> typer.Typer:
    """The ``alias`` command group of one kind; ``registry`` opens its registry lazily."""
    app = typer.Typer(
        help=f"Move, remove, roll back and audit {kind} aliases.", no_args_is_help=True
    )

    @app.command("set")
    def set_alias(
        ref: RefArg,
        alias: AliasArg,
        reason: ReasonOption = "",
        force: ForceOption = False,
        by: ByOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Point an alias at a version (creating or moving it); the move is recorded."""
        target: _Version = registry().get(ref)
        move = registry().set_alias(
            target.name,
            alias,
            target.version,
            by=by or getpass.getuser(),
            reason=reason,
            force=force,
        )
        if as_json:
            print_json(move_dict(move))
        else:
            print_move(move)

    @app.command("remove")
    def remove_alias(
        name: NameArg,
        alias: AliasArg,
        reason: ReasonOption = "",
        force: ForceOption = False,
        by: ByOption = None,
    ) -> None:
        """Remove an alias (the versions stay); a protected one needs --force --reason."""
        removed = registry().remove_alias(
            name, alias, by=by or getpass.getuser(), reason=reason, force=force
        )
        out.print(f"Removed {name}@{alias} (it pointed at version {removed.version}).")

    @app.command("rollback")
    def rollback(
        name: NameArg,
        alias: Annotated[str, typer.Option("--alias", help="Alias to roll back.")] = "production",
        reason: ReasonOption = "",
        by: ByOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Point an alias back at the version it had before its last move."""
        move = registry().rollback(name, alias, by=by or getpass.getuser(), reason=reason)
        if as_json:
            print_json(move_dict(move))
        else:
            print_move(move)

    @app.command("history")
    def history(
        name: NameArg,
        alias: Annotated[str | None, typer.Option("--alias", help="Only this alias.")] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Every move of a name's aliases (set, moved, rolled back, removed), oldest first."""
        registry().aliases(name)  # UnknownReference with hints for an unknown name
        events = registry().alias_history(name, alias)
        if as_json:
            print_json([e.as_dict() for e in events])
            return
        out.print(history_table(events))

    @app.command("list")
    def list_aliases(name: NameArg, as_json: JsonOption = False) -> None:
        """Where each alias of a name points now."""
        aliases = registry().aliases(name)
        if as_json:
            print_json(aliases)
            return
        if not aliases:
            out.print(f"{name} has no aliases.")
        for alias, version in aliases.items():
            protected = " (protected)" if registry().is_protected(alias) else ""
            out.print(f"{name}@{alias} → version {version}{protected}", markup=False)

    return app
