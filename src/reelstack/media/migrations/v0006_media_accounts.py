"""media: which account uploaded a title and how many bytes, for per-account quotas.

Titles made before this revision belong to no account (NULL) and count
towards the quotas of callers without an ``x-account-id``.

Revision ID: 0006_media_accounts
Revises: 0005_media_announced
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_media_accounts"
down_revision: str | Sequence[str] | None = "0005_media_announced"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media_titles") as batch:
        batch.add_column(sa.Column("account_id", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("source_bytes", sa.BigInteger(), nullable=True))
        batch.create_index("ix_media_titles_account", ["account_id", "state"])


def downgrade() -> None:
    with op.batch_alter_table("media_titles") as batch:
        batch.drop_index("ix_media_titles_account")
        batch.drop_column("source_bytes")
        batch.drop_column("account_id")
