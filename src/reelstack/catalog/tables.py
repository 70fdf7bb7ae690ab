"""The catalog's tables, declared on the shared metadata (created by ``catalog/migrations``).

Seasons have no table: a season is the number its episodes share, and a
season without episodes is nothing a viewer could browse. The search index
is engine-specific and lives outside this metadata (see :mod:`.search`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    false,
)

from reelstack.db import UNDECLARED_TABLES, UtcDateTime, metadata

# SQLite's FTS5 search table and its shadow tables (catalog_search_data, ...).
UNDECLARED_TABLES.add("catalog_search")

series = Table(
    "catalog_series",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("synopsis", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

titles = Table(
    "catalog_titles",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(300), nullable=False),
    Column("synopsis", Text, nullable=False),
    Column("maturity_rating", String(16), nullable=False),
    Column("series_id", String(32), ForeignKey("catalog_series.id"), nullable=True),
    Column("season", Integer),
    Column("episode", Integer),
    Column("duration_s", Float),
    Column("poster_key", String(1024)),
    Column("backdrop_key", String(1024)),
    Column("intro_start_s", Float),
    Column("intro_end_s", Float),
    Column("credits_start_s", Float),
    Column("published", Boolean, nullable=False),
    # The studio holds the title back although media published it (unpublish);
    # media's announcements never change it.
    Column("withheld", Boolean, nullable=False, server_default=false()),
    # Media's version of what was applied last (see the announcements).
    Column("version", BigInteger, nullable=False),
    # A studio edited name, synopsis, genres or rating here: media's later
    # announcements update the assets only.
    Column("meta_edited", Boolean, nullable=False),
    # What search matches: the name and the series name, lower case.
    Column("search_text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_catalog_titles_series", "series_id", "season", "episode"),
    Index("ix_catalog_titles_published_name", "published", "name"),
    # A trigram index on PostgreSQL and CockroachDB (search); on SQLite,
    # where the FTS5 table serves search, a plain one of the same name.
    Index(
        "ix_catalog_titles_search_trgm",
        "search_text",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    ),
)

genres = Table(
    "catalog_title_genres",
    metadata,
    Column(
        "title_id",
        String(64),
        ForeignKey("catalog_titles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("genre", String(40), primary_key=True),
    Index("ix_catalog_title_genres_genre", "genre"),
)

regions = Table(
    "catalog_title_regions",
    metadata,
    Column(
        "title_id",
        String(64),
        ForeignKey("catalog_titles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("region", String(2), primary_key=True),
)

people = Table(
    "catalog_people",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
)

credits = Table(
    "catalog_credits",
    metadata,
    Column(
        "title_id",
        String(64),
        ForeignKey("catalog_titles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("person_id", String(32), ForeignKey("catalog_people.id"), nullable=False),
    # "role" is a reserved word in CockroachDB (quoted there, not in PostgreSQL).
    Column("part", String(16), nullable=False, key="role"),
    Column("character", String(200)),
)

my_list = Table(
    "catalog_my_list",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("profile_id", String(64), primary_key=True),
    Column("title_id", String(64), primary_key=True),
    Column("added_at", UtcDateTime, nullable=False),
)

thumbs = Table(
    "catalog_thumbs",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("profile_id", String(64), primary_key=True),
    Column("title_id", String(64), primary_key=True),
    Column("value", SmallInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
