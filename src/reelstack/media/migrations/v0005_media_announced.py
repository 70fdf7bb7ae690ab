"""media: what was announced to the catalog, and removals still to announce.

``announced_at`` is the ``updated_at`` of a title's last announcement: a
published title whose ``updated_at`` differs is announced again (the table
is its own outbox). A deleted title leaves a row in ``media_removed_titles``
until its removal is on the log.

Revision ID: 0005_media_announced
Revises: 0004_media_extras
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_media_announced"
down_revision: str | Sequence[str] | None = "0004_media_extras"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media_titles") as batch:
        batch.add_column(sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "media_removed_titles",
        sa.Column("title_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("title_id", name=op.f("pk_media_removed_titles")),
    )


def downgrade() -> None:
    op.drop_table("media_removed_titles")
    with op.batch_alter_table("media_titles") as batch:
        batch.drop_column("announced_at")
