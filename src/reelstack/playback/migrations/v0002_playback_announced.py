"""playback: where each play was and whether it is on the log (``playback.plays``).

Revision ID: 0002_playback_announced
Revises: 0001_playback_plays
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_playback_announced"
down_revision: str | Sequence[str] | None = "0001_playback_plays"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("playback_plays") as batch:
        batch.add_column(sa.Column("region", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("announced_at", sa.Float(), nullable=True))
    op.create_index("ix_playback_plays_announced", "playback_plays", ["announced_at", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_playback_plays_announced", table_name="playback_plays")
    with op.batch_alter_table("playback_plays") as batch:
        batch.drop_column("announced_at")
        batch.drop_column("region")
