"""playback: plays and their stream leases (the first revision of branch ``playback``).

Revision ID: 0001_playback_plays
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_playback_plays"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("playback",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "playback_plays",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("profile_id", sa.String(length=128), nullable=False),
        sa.Column("title_id", sa.String(length=128), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("device_name", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playback_plays")),
    )
    op.create_index(
        "ix_playback_plays_account_expires", "playback_plays", ["account_id", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_playback_plays_account_expires", table_name="playback_plays")
    op.drop_table("playback_plays")
