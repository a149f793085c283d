"""Prompt runs: every `tuneloop prompt run` / `compare` arm and its per-case results.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("prompt_ref", sa.String(length=500), nullable=False),
        sa.Column("prompt_name", sa.String(length=200), nullable=False),
        sa.Column("prompt_version", sa.Integer(), nullable=True),
        sa.Column("prompt_hash", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=500), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("n_cases", sa.Integer(), nullable=False),
        sa.Column("n_errors", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_runs"),
    )
    op.create_index("ix_prompt_runs_prompt_name", "prompt_runs", ["prompt_name"])
    op.create_table(
        "prompt_run_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("finish_reason", sa.String(length=20), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_run_results"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["prompt_runs.id"],
            name="fk_prompt_run_results_run_id_prompt_runs",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("run_id", "idx", name="uq_prompt_run_results_run_id_idx"),
    )


def downgrade() -> None:
    op.drop_table("prompt_run_results")
    op.drop_index("ix_prompt_runs_prompt_name", table_name="prompt_runs")
    op.drop_table("prompt_runs")
