"""Stored gate results: the evidence a protected alias needs before it moves.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gate_results",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("candidate_version", sa.Integer(), nullable=False),
        sa.Column("candidate_hash", sa.String(length=100), nullable=True),
        sa.Column("baseline_model", sa.String(length=500), nullable=False),
        sa.Column("baseline_version", sa.Integer(), nullable=True),
        sa.Column("alias", sa.String(length=100), nullable=True),
        sa.Column("suite", sa.String(length=300), nullable=False),
        sa.Column("suite_hash", sa.String(length=64), nullable=False),
        sa.Column("candidate_run_id", sa.String(length=40), nullable=False),
        sa.Column("baseline_run_id", sa.String(length=40), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_results")),
    )
    op.create_index(
        op.f("ix_gate_results_model_name"), "gate_results", ["model_name"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_gate_results_model_name"), table_name="gate_results")
    op.drop_table("gate_results")
