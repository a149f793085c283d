"""Prompt versions: immutable prompt texts, movable labels, and the audit trail of label moves.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-26

Hand-written like 0001; names follow ``tuneloop.store.schema.NAMING_CONVENTION`` except the two
composite unique constraints and the composite foreign key, which are named explicitly (the
convention only uses the first column, so both unique constraints would get the same name).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_versions"),
        sa.UniqueConstraint("name", "version", name="uq_prompt_versions_name_version"),
        sa.UniqueConstraint("name", "content_hash", name="uq_prompt_versions_name_content_hash"),
    )
    op.create_table(
        "prompt_labels",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
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
        sa.Column("at", _utc(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_label_events"),
    )
    op.create_index("ix_prompt_label_events_name", "prompt_label_events", ["name"])


def downgrade() -> None:
    op.drop_index("ix_prompt_label_events_name", table_name="prompt_label_events")
    op.drop_table("prompt_label_events")
    op.drop_table("prompt_labels")
    op.drop_table("prompt_versions")
