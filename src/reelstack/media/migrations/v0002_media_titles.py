"""media: the titles table (metadata, ladder, artwork, intro markers, ingest state).

The first revision of branch ``media``.

Revision ID: 0002_media_titles
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_media_titles"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("media",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_titles",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("synopsis", sa.Text(), nullable=False),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("maturity_rating", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("series", sa.String(length=300), nullable=True),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("probe", sa.JSON(), nullable=True),
        sa.Column("rungs", sa.JSON(), nullable=False),
        sa.Column("master_url", sa.String(length=1024), nullable=True),
        sa.Column("dash_url", sa.String(length=1024), nullable=True),
        sa.Column("poster_key", sa.String(length=1024), nullable=True),
        sa.Column("backdrop_key", sa.String(length=1024), nullable=True),
        sa.Column("trickplay_key", sa.String(length=1024), nullable=True),
        sa.Column("subtitles", sa.JSON(), nullable=False),
        sa.Column("fingerprint_key", sa.String(length=1024), nullable=True),
        sa.Column("intro_start_s", sa.Float(), nullable=True),
        sa.Column("intro_end_s", sa.Float(), nullable=True),
        sa.Column("credits_start_s", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("upload_id", sa.String(length=64), nullable=True),
        sa.Column("source_key", sa.String(length=1024), nullable=True),
        sa.Column("job_id", sa.String(length=128), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_titles")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_media_titles_upload_id")),
    )
    op.create_index(op.f("ix_media_titles_state"), "media_titles", ["state"])
    op.create_index(op.f("ix_media_titles_series"), "media_titles", ["series", "season", "episode"])


def downgrade() -> None:
    op.drop_index(op.f("ix_media_titles_series"), table_name="media_titles")
    op.drop_index(op.f("ix_media_titles_state"), table_name="media_titles")
    op.drop_table("media_titles")
