"""hello: the visits table of the sample service (the first revision of branch ``hello``).

Revision ID: 0001_hello_visits
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_hello_visits"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("hello",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hello_visits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hello_visits")),
    )


def downgrade() -> None:
    op.drop_table("hello_visits")
