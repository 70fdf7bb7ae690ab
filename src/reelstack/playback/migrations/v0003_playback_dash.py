"""playback: a play's DASH manifest beside its HLS one (none for a title without an MPD).

Revision ID: 0003_playback_dash
Revises: 0002_playback_announced
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_playback_dash"
down_revision: str | Sequence[str] | None = "0002_playback_announced"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("playback_plays") as batch:
        batch.add_column(sa.Column("dash", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("playback_plays") as batch:
        batch.drop_column("dash")
