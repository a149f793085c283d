"""Eval runs record the model version and content hash a reference resolved to.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

``model`` keeps what the user typed (``seoul-guide@staging``); ``model_version``
(``seoul-guide@2``) and ``model_hash`` (``sha256:…``) say what was actually evaluated. Existing
runs get ``NULL``: what their alias pointed at when they ran is not known.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("eval_runs") as batch:
        batch.add_column(sa.Column("model_version", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("model_hash", sa.String(length=100), nullable=True))
    op.create_index("ix_eval_runs_model_version", "eval_runs", ["model_version"])


def downgrade() -> None:
    op.drop_index("ix_eval_runs_model_version", table_name="eval_runs")
    with op.batch_alter_table("eval_runs") as batch:
        batch.drop_column("model_hash")
        batch.drop_column("model_version")
