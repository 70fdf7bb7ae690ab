"""The encoding pipeline's tables: jobs and their parts, declared once on the shared metadata.

Created by the media branch's Alembic migration ``0003_media_jobs``;
:mod:`.jobstore` reads and moves them.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text

from reelstack.db import UtcDateTime, metadata

jobs = Table(
    "media_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title_id", String(64), nullable=False, index=True),
    Column("source_key", String(1024), nullable=False),
    Column("request", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("step_attempts", Integer, nullable=False),
    Column("reason", Text),
    Column("plan", JSON),
    Column("parts_total", Integer, nullable=False),
    Column("parts_done", Integer, nullable=False),
    Column("output_prefix", String(1024)),
    Column("master_key", String(1024)),
    Column("manifest_key", String(1024)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
)

parts = Table(
    "media_job_parts",
    metadata,
    Column(
        "job_id",
        String(32),
        ForeignKey("media_jobs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("part", String(16), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("output", JSON),
    Column("worker", String(200)),
    Column("reason", Text),
    Column("updated_at", UtcDateTime, nullable=False),
)
