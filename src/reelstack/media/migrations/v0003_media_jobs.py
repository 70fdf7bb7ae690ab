"""media: encoding jobs and their parts (chunks, audio), the pipeline's state machine.

Revision ID: 0003_media_jobs
Revises: 0002_media_titles
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_media_jobs"
down_revision: str | Sequence[str] | None = "0002_media_titles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title_id", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=1024), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("step_attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("parts_total", sa.Integer(), nullable=False),
        sa.Column("parts_done", sa.Integer(), nullable=False),
        sa.Column("output_prefix", sa.String(length=1024), nullable=True),
        sa.Column("master_key", sa.String(length=1024), nullable=True),
        sa.Column("manifest_key", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_jobs")),
    )
    op.create_index(op.f("ix_media_jobs_title_id"), "media_jobs", ["title_id"])
    op.create_table(
        "media_job_parts",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["media_jobs.id"],
            name=op.f("fk_media_job_parts_job_id_media_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "part", name=op.f("pk_media_job_parts")),
    )


def downgrade() -> None:
    op.drop_table("media_job_parts")
    op.drop_index(op.f("ix_media_jobs_title_id"), table_name="media_jobs")
    op.drop_table("media_jobs")
