"""API key scopes and model allow-lists.

Keys made before scopes existed could do everything the server offered, so they migrate to every
scope (``admin`` included): nobody is locked out on upgrade. Narrow them afterwards by creating
scoped keys and revoking the old ones (docs/keys.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out, not imported: a migration must keep meaning what it meant when it was written.
_EVERY_SCOPE = '["chat", "files", "fine_tuning", "feedback", "admin"]'


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("scopes", sa.JSON(), nullable=False, server_default=_EVERY_SCOPE)
        )
        batch.add_column(sa.Column("models", sa.JSON(), nullable=True))
    # The default only fills existing rows: a key inserted later must name its scopes.
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("scopes", server_default=None, existing_type=sa.JSON())


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("models")
        batch.drop_column("scopes")
