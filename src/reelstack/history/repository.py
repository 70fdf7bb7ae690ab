"""History's tables on the wide-column port, and the reads and writes on them.

Both tables are partitioned by (account, profile), so a profile's rows are
reachable only with the account the gateway vouches for:

- ``history_bookmarks``: one row per title, clustered by title. Every cell
  is written with the heartbeat's client time as its timestamp (CQL's
  ``USING TIMESTAMP``), so the newest heartbeat wins whatever order they land in.
- ``history_timeline``: the same titles newest first (``listed_at`` desc).
  A heartbeat that moves its title up adds a row and deletes the title's
  previous one (at most every ``RELIST_AFTER``); the bookmark's ``listed_at``
  names the current row, so rows left behind by concurrent heartbeats or a
  removal are dropped on reading (see :func:`live`).

No TTL: history stays until the profile removes a title.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from reelstack.history.models import Bookmark, Caller, Episode, micros
from reelstack.ports import Column, TableSpec, WideColumnStore

BOOKMARKS = TableSpec(
    name="history_bookmarks",
    columns=(
        Column("account", "text"),
        Column("profile", "text"),
        Column("title", "text"),
        Column("position_s", "double"),
        Column("duration_s", "double"),
        Column("device", "text"),
        Column("watched_at", "timestamp"),
        Column("listed_at", "timestamp"),
        Column("series", "text"),
        Column("season", "int"),
        Column("episode", "int"),
    ),
    partition_key=("account", "profile"),
    clustering=(("title", "asc"),),
)

TIMELINE = TableSpec(
    name="history_timeline",
    columns=(
        Column("account", "text"),
        Column("profile", "text"),
        Column("listed_at", "timestamp"),
        Column("title", "text"),
    ),
    partition_key=("account", "profile"),
    clustering=(("listed_at", "desc"), ("title", "asc")),
)

TABLES = (BOOKMARKS, TIMELINE)
MILLISECOND = timedelta(milliseconds=1)


async def create_tables(store: WideColumnStore) -> None:
    """Create history's tables (idempotent; run when the port opens)."""
    for spec in TABLES:
        await store.create_table(spec)


def _partition(caller: Caller) -> dict[str, str]:
    return {"account": caller.account, "profile": caller.profile}


def _bookmark(row: dict[str, Any]) -> Bookmark:
    episode = None
    if row.get("series") is not None:
        episode = Episode(row["series"], row["season"], row["episode"])
    return Bookmark(
        title_id=row["title"],
        position_s=row["position_s"],
        duration_s=row["duration_s"],
        device=row["device"],
        watched_at=row["watched_at"],
        episode=episode,
        listed_at=row.get("listed_at"),
    )


async def get_bookmark(store: WideColumnStore, caller: Caller, title_id: str) -> Bookmark | None:
    """Return the caller's bookmark in ``title_id``, or None."""
    row = await store.get(BOOKMARKS.name, {**_partition(caller), "title": title_id})
    return None if row is None else _bookmark(row)


async def bookmarks(store: WideColumnStore, caller: Caller, *, limit: int) -> list[Bookmark]:
    """Return up to ``limit`` of the caller's bookmarks, in title order."""
    rows = await store.query(BOOKMARKS.name, _partition(caller), limit=limit)
    return [_bookmark(row) for row in rows]


async def put_bookmark(
    store: WideColumnStore, caller: Caller, bookmark: Bookmark, *, relisted: bool = True
) -> None:
    """Write ``bookmark`` with its client time as the write timestamp.

    ``listed_at`` is written only by a heartbeat that moved the title in the
    timeline (``relisted``): the others leave the cell to whichever mover
    was newest, whose timeline row therefore exists.
    """
    episode = bookmark.episode
    listed = {"listed_at": bookmark.listed_at} if relisted else {}
    await store.upsert(
        BOOKMARKS.name,
        {
            **listed,
            **_partition(caller),
            "title": bookmark.title_id,
            "position_s": bookmark.position_s,
            "duration_s": bookmark.duration_s,
            "device": bookmark.device,
            "watched_at": bookmark.watched_at,
            # None deletes the cell: an episode's numbers never outlive a
            # newer heartbeat that has none.
            "series": episode.series_id if episode else None,
            "season": episode.season if episode else None,
            "episode": episode.episode if episode else None,
        },
        timestamp_us=micros(bookmark.watched_at),
    )


async def put_timeline(
    store: WideColumnStore, caller: Caller, title_id: str, listed_at: datetime
) -> None:
    """Add ``title_id`` to the caller's timeline at ``listed_at``."""
    await store.upsert(
        TIMELINE.name,
        {**_partition(caller), "listed_at": listed_at, "title": title_id},
        timestamp_us=micros(listed_at),
    )


async def delete_timeline(
    store: WideColumnStore,
    caller: Caller,
    title_id: str,
    listed_at: datetime,
    *,
    timestamp_us: int,
) -> None:
    """Delete the caller's timeline row of ``title_id`` at ``listed_at``."""
    key = {**_partition(caller), "listed_at": listed_at, "title": title_id}
    await store.delete(TIMELINE.name, key, timestamp_us=timestamp_us)


async def delete_bookmark(
    store: WideColumnStore, caller: Caller, title_id: str, *, timestamp_us: int
) -> None:
    """Delete the caller's bookmark of ``title_id`` (writes older than the timestamp stay gone)."""
    key = {**_partition(caller), "title": title_id}
    await store.delete(BOOKMARKS.name, key, timestamp_us=timestamp_us)


async def timeline(
    store: WideColumnStore, caller: Caller, *, before: datetime | None, limit: int
) -> list[tuple[datetime, str]]:
    """Return up to ``limit`` (listed_at, title) rows newest first, at or before ``before``."""
    end: Sequence[Any] | None = None if before is None else (before + MILLISECOND,)
    rows = await store.query(TIMELINE.name, _partition(caller), end=end, limit=limit)
    return [(row["listed_at"], row["title"]) for row in rows]


def live(row: tuple[datetime, str], bookmark: Bookmark | None) -> bool:
    """Whether a timeline row is the title's current one (not stale, not removed)."""
    return bookmark is not None and bookmark.listed_at == row[0]
