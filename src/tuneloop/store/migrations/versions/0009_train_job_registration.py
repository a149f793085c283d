"""Fine-tuning jobs record where their result is registered apart from the client's metadata.

``train_jobs.registration`` (JSON, nullable) holds the model name and lineage that a trusted
caller (``tuneloop train run``) chose; ``train_jobs.metadata`` stays the API client's and is never
read. Existing jobs get none: they are registered by the rule for API-created jobs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("train_jobs") as batch:
        batch.add_column(sa.Column("registration", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("train_jobs") as batch:
        batch.drop_column("registration")
