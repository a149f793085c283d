"""One alias table for prompts, datasets and models: prompt labels and model aliases become rows
of ``aliases`` / ``alias_events``, history included; alias events gain ``reason`` and ``gate_id``.

Why copy, not recreate: alias history answers "what was production serving last Tuesday", so
every recorded move survives the migration, in its original order. Downgrading copies prompt and
model aliases back; dataset aliases did not exist before and are dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)

# (kind, old alias table, its alias column, old event table)
_OLD = (
    ("prompt", "prompt_labels", "label", "prompt_label_events"),
    ("model", "model_aliases", "alias", "model_alias_events"),
)


def _current(table: str, column: str) -> sa.TableClause:
    return sa.table(
        table,
        sa.column("name"),
        sa.column(column),
        sa.column("version"),
        sa.column("updated_at"),
        sa.column("updated_by"),
    )


def _events(table: str, column: str) -> sa.TableClause:
    return sa.table(
        table,
        sa.column("id"),
        sa.column("name"),
        sa.column(column),
        sa.column("from_version"),
        sa.column("to_version"),
        sa.column("at"),
        sa.column("by"),
    )


_aliases = sa.table(
    "aliases",
    sa.column("kind"),
    sa.column("name"),
    sa.column("alias"),
    sa.column("version"),
    sa.column("updated_at"),
    sa.column("updated_by"),
)
_alias_events = sa.table(
    "alias_events",
    sa.column("id"),
    sa.column("kind"),
    sa.column("name"),
    sa.column("alias"),
    sa.column("from_version"),
    sa.column("to_version"),
    sa.column("at"),
    sa.column("by"),
    sa.column("reason"),
    sa.column("gate_id"),
)


def upgrade() -> None:
    op.create_table(
        "aliases",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", "alias", name=op.f("pk_aliases")),
    )
    op.create_table(
        "alias_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("gate_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alias_events")),
    )
    op.create_index("ix_alias_events_kind_name", "alias_events", ["kind", "name"], unique=False)

    bind = op.get_bind()
    for kind, table, column, _ in _OLD:
        old = _current(table, column)
        rows = bind.execute(sa.select(old)).mappings().all()
        if rows:
            bind.execute(
                _aliases.insert(),
                [
                    {
                        "kind": kind,
                        "name": r["name"],
                        "alias": r[column],
                        "version": r["version"],
                        "updated_at": r["updated_at"],
                        "updated_by": r["updated_by"],
                    }
                    for r in rows
                ],
            )
    # Events of both kinds in the order they happened, so new ids keep history's order.
    events = []
    for kind, _, column, table in _OLD:
        old_events = _events(table, column)
        for r in bind.execute(sa.select(old_events)).mappings():
            events.append((r["at"], kind, r["id"], r, column))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    if events:
        bind.execute(
            _alias_events.insert(),
            [
                {
                    "kind": kind,
                    "name": r["name"],
                    "alias": r[column],
                    "from_version": r["from_version"],
                    "to_version": r["to_version"],
                    "at": at,
                    "by": r["by"],
                    "reason": "",
                    "gate_id": None,
                }
                for at, kind, _, r, column in events
            ],
        )

    op.drop_index("ix_prompt_label_events_name", table_name="prompt_label_events")
    op.drop_table("prompt_label_events")
    op.drop_table("prompt_labels")
    op.drop_index(op.f("ix_model_alias_events_name"), table_name="model_alias_events")
    op.drop_table("model_alias_events")
    op.drop_table("model_aliases")


def downgrade() -> None:
    op.create_table(
        "prompt_labels",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", "label", name="pk_prompt_labels"),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["prompt_versions.name", "prompt_versions.version"],
            name="fk_prompt_labels_name_prompt_versions",
        ),
    )
    op.create_table(
        "prompt_label_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_label_events"),
    )
    op.create_index("ix_prompt_label_events_name", "prompt_label_events", ["name"])
    op.create_table(
        "model_alias_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_alias_events")),
    )
    op.create_index(
        op.f("ix_model_alias_events_name"), "model_alias_events", ["name"], unique=False
    )
    op.create_table(
        "model_aliases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            name="fk_model_aliases_name_model_versions",
        ),
        sa.PrimaryKeyConstraint("name", "alias", name=op.f("pk_model_aliases")),
    )

    bind = op.get_bind()
    for kind, table, column, event_table in _OLD:
        current = bind.execute(sa.select(_aliases).where(_aliases.c.kind == kind)).mappings().all()
        if current:
            bind.execute(
                _current(table, column).insert(),
                [
                    {
                        "name": r["name"],
                        column: r["alias"],
                        "version": r["version"],
                        "updated_at": r["updated_at"],
                        "updated_by": r["updated_by"],
                    }
                    for r in current
                ],
            )
        events = (
            bind.execute(
                sa.select(_alias_events)
                .where(_alias_events.c.kind == kind)
                .order_by(_alias_events.c.id)
            )
            .mappings()
            .all()
        )
        if events:
            bind.execute(
                _events(event_table, column).insert(),
                [
                    {
                        "name": r["name"],
                        column: r["alias"],
                        "from_version": r["from_version"],
                        "to_version": r["to_version"],
                        "at": r["at"],
                        "by": r["by"],
                    }
                    for r in events
                ],
            )

    op.drop_index("ix_alias_events_kind_name", table_name="alias_events")
    op.drop_table("alias_events")
    op.drop_table("aliases")
