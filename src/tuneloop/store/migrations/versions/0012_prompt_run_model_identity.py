"""Prompt runs record the resolved model version and its content hash beside the name typed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prompt_runs") as batch:
        batch.add_column(sa.Column("model_version", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("model_hash", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prompt_runs") as batch:
        batch.drop_column("model_hash")
        batch.drop_column("model_version")
