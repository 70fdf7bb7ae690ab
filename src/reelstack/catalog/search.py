"""Search as you type that forgives typos, on either engine, behind one interface.

Both engines find candidates by trigrams and rank them the same way here:
a candidate's score is the share of the query's trigrams (pg_trgm's: each
word padded with two spaces in front and one behind) found in its text, the
idea of pg_trgm's ``word_similarity``. "strnger" keeps 6 of its 8 trigrams
in "stranger things" (0.75); the threshold is :data:`THRESHOLD`.

- SQLite: an FTS5 table with the ``trigram`` tokenizer (``catalog_search``)
  gives the titles sharing any three letters with the query.
- PostgreSQL (and CockroachDB): a GIN ``gin_trgm_ops`` index on
  ``catalog_titles.search_text`` serves ``query <% search_text``.

Queries shorter than three letters have no trigram to look up: they match
the start of a word. Every query is bounded (:data:`MAX_QUERY`).
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy import ColumnElement, and_, column, func, literal, or_, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.catalog.tables import titles
from reelstack.errors import InvalidRequestError

MAX_QUERY = 100
THRESHOLD = 0.4
CANDIDATES = 200
_SPACES = re.compile(r"[^\w]+")
# The FTS5 table the SQLite revision makes (not on the shared metadata).
_FTS = table("catalog_search", column("title_id"), column("body"))


def normalize(query: str) -> str:
    """Lower-case words separated by single spaces; InvalidRequestError if empty or too long."""
    if len(query) > MAX_QUERY:
        raise InvalidRequestError(f"a search is at most {MAX_QUERY} characters")
    words = _SPACES.sub(" ", query.lower()).strip()
    if not words:
        raise InvalidRequestError("a search needs at least one letter or digit")
    return words


def search_text(name: str, series_name: str | None) -> str:
    """What a title is found by: its name and its series' name, normalized."""
    return _SPACES.sub(" ", f"{name} {series_name or ''}".lower()).strip()


def trigrams(words: str) -> set[str]:
    """pg_trgm's trigrams of ``words``: each word padded ``"  word "``."""
    out: set[str] = set()
    for word in words.split():
        padded = f"  {word} "
        out.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return out


def score(query: str, found: str) -> float:
    """The share of ``query``'s trigrams present in ``found`` (both normalized)."""
    wanted = trigrams(query)
    if not wanted:
        return 0.0
    return len(wanted & trigrams(found)) / len(wanted)


def _prefix(words: str) -> ColumnElement[bool]:
    # Short queries: the start of any word. The query holds only letters,
    # digits, underscores and spaces; LIKE's own wildcards are escaped.
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        titles.c.search_text.like(f"{escaped}%", escape="\\"),
        titles.c.search_text.like(f"% {escaped}%", escape="\\"),
    )


class SearchIndex(Protocol):
    """Finds titles by a typed, possibly misspelt query."""

    async def put(self, session: AsyncSession, *, title_id: str, body: str) -> None:
        """Index (or re-index) a title's search text."""
        ...

    async def drop(self, session: AsyncSession, *, title_id: str) -> None:
        """Forget a title."""
        ...

    async def candidates(
        self, session: AsyncSession, *, words: str, where: ColumnElement[bool]
    ) -> list[tuple[str, str]]:
        """Return ``(title id, search text)`` of titles that may match and meet ``where``."""
        ...


async def find(
    index: SearchIndex,
    session: AsyncSession,
    *,
    query: str,
    where: ColumnElement[bool],
    limit: int,
) -> list[str]:
    """Return the ids of the titles best matching ``query`` among those meeting ``where``."""
    words = normalize(query)
    if len(words.replace(" ", "")) < 3:
        rows = await session.execute(
            select(titles.c.id)
            .where(_prefix(words), where)
            .order_by(titles.c.name, titles.c.id)
            .limit(limit)
        )
        return [row.id for row in rows]
    found = await index.candidates(session, words=words, where=where)
    ranked = sorted(
        ((score(words, body), body, title_id) for title_id, body in found),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    return [title_id for value, _, title_id in ranked if value >= THRESHOLD][:limit]


class SqliteSearch:
    """FTS5 with the trigram tokenizer (the embedded store)."""

    async def put(self, session: AsyncSession, *, title_id: str, body: str) -> None:
        await self.drop(session, title_id=title_id)
        await session.execute(
            text("INSERT INTO catalog_search (title_id, body) VALUES (:id, :body)"),
            {"id": title_id, "body": body},
        )

    async def drop(self, session: AsyncSession, *, title_id: str) -> None:
        await session.execute(
            text("DELETE FROM catalog_search WHERE title_id = :id"), {"id": title_id}
        )

    async def candidates(
        self, session: AsyncSession, *, words: str, where: ColumnElement[bool]
    ) -> list[tuple[str, str]]:
        # Any raw trigram of the query (the tokenizer indexes every three
        # characters); each is quoted, so nothing in it is FTS syntax.
        grams = sorted({w[i : i + 3] for w in words.split() for i in range(len(w) - 2)})
        if not grams:
            return []
        match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
        hits = (
            select(_FTS.c.title_id)
            .where(text("catalog_search MATCH :match"))
            .order_by(text("bm25(catalog_search)"))
            .limit(CANDIDATES * 5)
        )
        rows = await session.execute(
            select(titles.c.id, titles.c.search_text)
            .where(titles.c.id.in_(hits), where)
            .limit(CANDIDATES),
            {"match": match},
        )
        return [(row.id, row.search_text) for row in rows]


class TrigramSearch:
    """pg_trgm's ``<%`` on a GIN trigram index (PostgreSQL, CockroachDB)."""

    # Lower than pg_trgm's 0.6 default: the final cut is THRESHOLD, here as
    # on SQLite; this only bounds the candidates the index returns.
    INDEX_THRESHOLD = 0.2

    async def put(self, session: AsyncSession, *, title_id: str, body: str) -> None:
        """Nothing to do: the index covers ``catalog_titles.search_text``."""

    async def drop(self, session: AsyncSession, *, title_id: str) -> None:
        """Nothing to do: the index covers ``catalog_titles.search_text``."""

    async def candidates(
        self, session: AsyncSession, *, words: str, where: ColumnElement[bool]
    ) -> list[tuple[str, str]]:
        await session.execute(
            select(
                func.set_config(
                    "pg_trgm.word_similarity_threshold", str(self.INDEX_THRESHOLD), True
                )
            )
        )
        similar = literal(words).op("<%")(titles.c.search_text)
        rows = await session.execute(
            select(titles.c.id, titles.c.search_text)
            .where(and_(similar, where))
            .order_by(func.word_similarity(words, titles.c.search_text).desc())
            .limit(CANDIDATES)
        )
        return [(row.id, row.search_text) for row in rows]


def for_dialect(name: str) -> SearchIndex:
    """The search index of an engine (``sqlite``, ``postgresql``, ``cockroachdb``)."""
    return SqliteSearch() if name == "sqlite" else TrigramSearch()
