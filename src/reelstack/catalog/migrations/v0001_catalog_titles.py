"""catalog: titles, series, genres, regions, cast, My List, thumbs, search; media's titles copied.

The first revision of branch ``catalog``. It depends on media's
``0004_media_extras`` so media's ``media_titles`` exists (every service
shares one SQL database) and copies every row of it: the metadata media held
(name, synopsis, genres, rating, series/season/episode, artwork keys,
duration, markers) becomes the catalog's, a ``ready`` title published, at
the version media announces it with (its ``updated_at`` in microseconds),
so the announcement media makes of it after the upgrade changes nothing.
Media keeps its columns (see docs/adr/0012-catalog.md).

Revision ID: 0001_catalog_titles
Revises:
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from reelstack.db import UtcDateTime

revision: str = "0001_catalog_titles"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("catalog",)
depends_on: str | Sequence[str] | None = "0004_media_extras"

_ID = 64


def _owned(name: str, *columns: Any, **kw: Any) -> None:
    op.create_table(
        name,
        sa.Column("title_id", sa.String(length=_ID), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["title_id"],
            ["catalog_titles.id"],
            name=op.f(f"fk_{name}_title_id_catalog_titles"),
            ondelete="CASCADE",
        ),
        **kw,
    )


def upgrade() -> None:
    op.create_table(
        "catalog_series",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("synopsis", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_series")),
        sa.UniqueConstraint("name", name=op.f("uq_catalog_series_name")),
    )
    op.create_table(
        "catalog_titles",
        sa.Column("id", sa.String(length=_ID), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("synopsis", sa.Text(), nullable=False),
        sa.Column("maturity_rating", sa.String(length=16), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=True),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("poster_key", sa.String(length=1024), nullable=True),
        sa.Column("backdrop_key", sa.String(length=1024), nullable=True),
        sa.Column("intro_start_s", sa.Float(), nullable=True),
        sa.Column("intro_end_s", sa.Float(), nullable=True),
        sa.Column("credits_start_s", sa.Float(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("meta_edited", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["catalog_series.id"],
            name=op.f("fk_catalog_titles_series_id_catalog_series"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_titles")),
    )
    op.create_index(
        "ix_catalog_titles_series", "catalog_titles", ["series_id", "season", "episode"]
    )
    op.create_index("ix_catalog_titles_published_name", "catalog_titles", ["published", "name"])
    _owned(
        "catalog_title_genres",
        sa.Column("genre", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("title_id", "genre", name=op.f("pk_catalog_title_genres")),
    )
    op.create_index("ix_catalog_title_genres_genre", "catalog_title_genres", ["genre"])
    _owned(
        "catalog_title_regions",
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("title_id", "region", name=op.f("pk_catalog_title_regions")),
    )
    op.create_table(
        "catalog_people",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_people")),
    )
    _owned(
        "catalog_credits",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("character", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["catalog_people.id"],
            name=op.f("fk_catalog_credits_person_id_catalog_people"),
        ),
        sa.PrimaryKeyConstraint("title_id", "position", name=op.f("pk_catalog_credits")),
    )
    for name, extra in (
        ("catalog_my_list", [sa.Column("added_at", UtcDateTime(), nullable=False)]),
        (
            "catalog_thumbs",
            [
                sa.Column("value", sa.SmallInteger(), nullable=False),
                sa.Column("updated_at", UtcDateTime(), nullable=False),
            ],
        ),
    ):
        op.create_table(
            name,
            sa.Column("account_id", sa.String(length=64), nullable=False),
            sa.Column("profile_id", sa.String(length=64), nullable=False),
            sa.Column("title_id", sa.String(length=_ID), nullable=False),
            *extra,
            sa.PrimaryKeyConstraint(
                "account_id", "profile_id", "title_id", name=op.f(f"pk_{name}")
            ),
        )
    _create_search_index()
    _copy_media_titles()


def _create_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # Trigram tokens match any three letters of a name: the candidates
        # for a query with a typo (see reelstack.catalog.search).
        op.execute(
            "CREATE VIRTUAL TABLE catalog_search USING fts5("
            "title_id UNINDEXED, body, tokenize='trigram')"
        )
        # The index the metadata declares (a trigram one on the servers).
        op.create_index("ix_catalog_titles_search_trgm", "catalog_titles", ["search_text"])
    else:
        if dialect == "postgresql":
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_catalog_titles_search_trgm ON catalog_titles "
            "USING gin (search_text gin_trgm_ops)"
        )


_media = sa.table(
    "media_titles",
    *(
        sa.column(name, kind)
        for name, kind in (
            ("id", sa.String()),
            ("name", sa.String()),
            ("synopsis", sa.Text()),
            ("genres", sa.JSON()),
            ("maturity_rating", sa.String()),
            ("kind", sa.String()),
            ("series", sa.String()),
            ("season", sa.Integer()),
            ("episode", sa.Integer()),
            ("duration_s", sa.Float()),
            ("poster_key", sa.String()),
            ("backdrop_key", sa.String()),
            ("intro_start_s", sa.Float()),
            ("intro_end_s", sa.Float()),
            ("credits_start_s", sa.Float()),
            ("state", sa.String()),
            ("created_at", UtcDateTime()),
            ("updated_at", UtcDateTime()),
        )
    ),
)


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _copy_media_titles() -> None:
    if context.is_offline_mode():
        # A rendered script (alembic --sql) cannot read rows; the copy runs
        # when the migration runs against the database itself.
        op.execute("-- catalog: media's titles are copied when this migration runs online")
        return
    bind = op.get_bind()
    meta = sa.MetaData()
    meta.reflect(bind, only=["catalog_series", "catalog_titles", "catalog_title_genres"])
    series_t, titles_t, genres_t = (
        meta.tables[n] for n in ("catalog_series", "catalog_titles", "catalog_title_genres")
    )
    now = datetime.now(UTC)
    series_ids: dict[str, str] = {}
    for row in bind.execute(sa.select(_media).order_by(_media.c.created_at, _media.c.id)):
        series_id = None
        if row.series:
            series_id = series_ids.get(row.series)
            if series_id is None:
                series_id = series_ids[row.series] = uuid.uuid4().hex[:16]
                bind.execute(
                    series_t.insert().values(
                        id=series_id, name=row.series, synopsis="", created_at=now, updated_at=now
                    )
                )
        search_text = " ".join(p for p in (row.name, row.series) if p).lower()
        bind.execute(
            titles_t.insert().values(
                id=row.id,
                kind=row.kind,
                name=row.name,
                synopsis=row.synopsis,
                maturity_rating=row.maturity_rating,
                series_id=series_id,
                season=row.season,
                episode=row.episode,
                duration_s=row.duration_s,
                poster_key=row.poster_key,
                backdrop_key=row.backdrop_key,
                intro_start_s=row.intro_start_s,
                intro_end_s=row.intro_end_s,
                credits_start_s=row.credits_start_s,
                published=row.state == "ready",
                version=_micros(row.updated_at),
                meta_edited=False,
                search_text=search_text,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
        )
        names = {str(g).strip()[:40] for g in (row.genres or []) if str(g).strip()}
        for genre in sorted(names):
            bind.execute(genres_t.insert().values(title_id=row.id, genre=genre))
        if bind.dialect.name == "sqlite":
            bind.execute(
                sa.text("INSERT INTO catalog_search (title_id, body) VALUES (:id, :body)"),
                {"id": row.id, "body": search_text},
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE catalog_search")
    op.drop_index("ix_catalog_titles_search_trgm", table_name="catalog_titles")
    for name in (
        "catalog_thumbs",
        "catalog_my_list",
        "catalog_credits",
        "catalog_people",
        "catalog_title_regions",
        "catalog_title_genres",
    ):
        op.drop_table(name)
    op.drop_index("ix_catalog_titles_published_name", table_name="catalog_titles")
    op.drop_index("ix_catalog_titles_series", table_name="catalog_titles")
    op.drop_table("catalog_titles")
    op.drop_table("catalog_series")
