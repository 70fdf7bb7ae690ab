"""media: when a title's extras (trickplay, artwork, fingerprints) were made.

A title whose extras are owed (``extras_at`` empty while it encodes or plays)
and that nobody holds is taken up by the next media instance that sweeps: the
instance making them may have died half-way.

Revision ID: 0004_media_extras
Revises: 0003_media_jobs
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_media_extras"
down_revision: str | Sequence[str] | None = "0003_media_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media_titles") as batch:
        batch.add_column(sa.Column("extras_at", sa.DateTime(timezone=True), nullable=True))
    # Titles from before this column had their extras made (or given up) already.
    op.execute(
        "UPDATE media_titles SET extras_at = updated_at "
        "WHERE state IN ('encoding', 'ready', 'failed', 'refused')"
    )


def downgrade() -> None:
    with op.batch_alter_table("media_titles") as batch:
        batch.drop_column("extras_at")
