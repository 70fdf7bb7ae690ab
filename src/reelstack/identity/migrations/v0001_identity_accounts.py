"""identity: accounts, signing keys, refresh tokens, failed sign-ins (branch ``identity``).

Revision ID: 0001_identity_accounts
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelstack.db import UtcDateTime

revision: str = "0001_identity_accounts"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("identity",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=100), nullable=False),
        sa.Column("plan", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_identity_accounts_email")),
    )
    op.create_table(
        "identity_plan_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("from_plan", sa.String(length=16), nullable=False),
        sa.Column("to_plan", sa.String(length=16), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_plan_changes")),
    )
    op.create_index(
        op.f("ix_identity_plan_changes_account_id"), "identity_plan_changes", ["account_id"]
    )
    op.create_table(
        "identity_signing_keys",
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("private_pem", sa.LargeBinary(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_identity_signing_keys")),
    )
    op.create_table(
        "identity_refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("family_started_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("profile_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_identity_refresh_tokens")),
    )
    op.create_index(
        op.f("ix_identity_refresh_tokens_family"), "identity_refresh_tokens", ["family"]
    )
    op.create_index(
        op.f("ix_identity_refresh_tokens_account_id"), "identity_refresh_tokens", ["account_id"]
    )
    op.create_table(
        "identity_profiles",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("avatar", sa.String(length=50), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("maturity", sa.String(length=16), nullable=False),
        sa.Column("kids", sa.Boolean(), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_profiles")),
    )
    op.create_index(op.f("ix_identity_profiles_account_id"), "identity_profiles", ["account_id"])
    op.create_table(
        "identity_failed_signins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_failed_signins")),
    )
    op.create_index("ix_identity_failed_signins_key_at", "identity_failed_signins", ["key", "at"])


def downgrade() -> None:
    op.drop_table("identity_failed_signins")
    op.drop_table("identity_profiles")
    op.drop_table("identity_refresh_tokens")
    op.drop_table("identity_signing_keys")
    op.drop_table("identity_plan_changes")
    op.drop_table("identity_accounts")
