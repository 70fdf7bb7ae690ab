"""catalog: a title the studio withholds (unpublished) stays hidden whatever media announces.

Revision ID: 0002_catalog_withheld
Revises: 0001_catalog_titles
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_catalog_withheld"
down_revision: str | Sequence[str] | None = "0001_catalog_titles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain ADD COLUMN, not a batch: on SQLite a batch copies the table, and
# dropping the old copy cascades to genres, regions, cast and lists.


def upgrade() -> None:
    # Every title held today stays as viewers see it: none is withheld.
    op.add_column(
        "catalog_titles",
        sa.Column("withheld", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("catalog_titles", "withheld")
