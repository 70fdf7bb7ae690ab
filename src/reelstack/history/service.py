"""Use cases of the history service. Every one acts for one :class:`Caller`."""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reelstack.errors import InvalidRequestError
from reelstack.history import repository
from reelstack.history.models import (
    RELIST_AFTER,
    RESTRICTED,
    Bookmark,
    Caller,
    NextEpisodeLookup,
    NextUp,
    TitleFilter,
    check_watched_at,
    micros,
)
from reelstack.ports import WideColumnStore

BATCH = 200
"""Timeline rows read per query while filling a page."""
MAX_TITLES = 5000
"""Bookmarks read for Continue Watching and Next Up: one partition read, capped."""
FILTER_BATCH = 100
"""Title ids asked of the :class:`TitleFilter` at once (catalog takes 100 per request)."""
WHOLE_READ = 500
"""Bookmarks read at once to answer many titles' progress; a bigger partition falls back."""
MANY = 3
"""From this many titles, progress is read as one partition read instead of one get each."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of a heartbeat: the bookmark that stands, and whether this one set it."""

    bookmark: Bookmark
    applied: bool


@dataclass(frozen=True, slots=True)
class Page:
    """One page of history, newest first; ``cursor`` fetches the next (None: the end)."""

    items: list[Bookmark]
    cursor: str | None


async def record_heartbeat(
    *, store: WideColumnStore, caller: Caller, heartbeat: Bookmark, now: datetime | None = None
) -> Recorded:
    """Record a heartbeat's bookmark unless a newer one already stands."""
    watched_at = check_watched_at(heartbeat.watched_at, now=now or datetime.now(UTC))
    current = await repository.get_bookmark(store, caller, heartbeat.title_id)
    if current is not None and current.watched_at >= watched_at:
        # Writing it would change nothing (its timestamps lose) but would
        # leave a stale timeline row behind.
        return Recorded(current, applied=False)
    listed = current.listed_at if current is not None else None
    relist = listed is None or watched_at - listed >= RELIST_AFTER
    beat = Bookmark(
        title_id=heartbeat.title_id,
        position_s=heartbeat.position_s,
        duration_s=heartbeat.duration_s,
        device=heartbeat.device,
        watched_at=watched_at,
        episode=heartbeat.episode,
        listed_at=watched_at if relist else listed,
    )
    if relist:
        # The new timeline row goes first: a reader meanwhile sees the old
        # row live until the bookmark names the new one, never neither.
        await repository.put_timeline(store, caller, beat.title_id, watched_at)
    # The bookmark's cells carry the client time: if a newer heartbeat lands
    # between our read and this write, the newer cells still win.
    await repository.put_bookmark(store, caller, beat, relisted=relist)
    if relist and listed is not None:
        await repository.delete_timeline(
            store, caller, beat.title_id, listed, timestamp_us=micros(watched_at)
        )
    return Recorded(beat, applied=True)


async def bookmark(*, store: WideColumnStore, caller: Caller, title_id: str) -> Bookmark | None:
    """Return the caller's bookmark in a title (the resume position), or None."""
    return await repository.get_bookmark(store, caller, title_id)


async def bookmarks_of(
    *, store: WideColumnStore, caller: Caller, title_ids: list[str]
) -> list[Bookmark | None]:
    """Return the caller's bookmark in each of ``title_ids`` (None: never played), in order.

    A page's rows ask for a few dozen titles at once: one read of the
    profile's partition (up to :data:`WHOLE_READ` bookmarks) answers them
    all, where a get per title cost a store round trip each. A profile with
    more bookmarks than that has the titles the read did not reach fetched
    one by one.
    """
    if len(title_ids) < MANY:
        return list(
            await asyncio.gather(
                *(repository.get_bookmark(store, caller, title_id) for title_id in title_ids)
            )
        )
    marks = await repository.bookmarks(store, caller, limit=WHOLE_READ)
    found: dict[str, Bookmark | None] = {mark.title_id: mark for mark in marks}
    if len(marks) >= WHOLE_READ:
        rest = [title_id for title_id in dict.fromkeys(title_ids) if title_id not in found]
        read = await asyncio.gather(
            *(repository.get_bookmark(store, caller, title_id) for title_id in rest)
        )
        found.update(zip(rest, read, strict=True))
    return [found.get(title_id) for title_id in title_ids]


async def visible_only(
    marks: list[Bookmark], *, caller: Caller, visible: TitleFilter
) -> list[Bookmark]:
    """Keep the marks of titles the caller may see (every one for an unrestricted profile)."""
    if caller.maturity not in RESTRICTED or not marks:
        # Adults see every rating: no call to catalog on their lists. A title
        # since withdrawn from the region stays listed; playback refuses it.
        return marks
    seen: set[str] = set()
    ids = list(dict.fromkeys(mark.title_id for mark in marks))
    for start in range(0, len(ids), FILTER_BATCH):
        seen |= await visible(ids[start : start + FILTER_BATCH], caller)
    return [mark for mark in marks if mark.title_id in seen]


async def history(
    *,
    store: WideColumnStore,
    caller: Caller,
    visible: TitleFilter,
    limit: int,
    cursor: str | None = None,
) -> Page:
    """Return a page of the titles the caller watched and may see, newest first."""
    after = decode_cursor(cursor) if cursor else None
    items: list[Bookmark] = []
    while len(items) < limit:
        before = after[0] if after else None
        rows = await repository.timeline(store, caller, before=before, limit=BATCH)
        fresh = [row for row in rows if after is None or _older(row, after)]
        if not fresh:
            if len(rows) < BATCH or after is None:
                return Page(items, None)
            # A whole batch shares one millisecond: skip the rest of it
            # rather than loop (a profile cannot watch 200 titles in 1 ms).
            after = (after[0] - timedelta(milliseconds=1), "")
            continue
        marks = await asyncio.gather(
            *(repository.get_bookmark(store, caller, title) for _, title in fresh)
        )
        live = [
            mark
            for row, mark in zip(fresh, marks, strict=True)
            if mark is not None and repository.live(row, mark)
        ]
        shown = {m.title_id for m in await visible_only(live, caller=caller, visible=visible)}
        for row, mark in zip(fresh, marks, strict=True):
            after = row
            if repository.live(row, mark) and mark is not None and mark.title_id in shown:
                items.append(mark)
                if len(items) == limit:
                    return Page(items, encode_cursor(row))
        if len(rows) < BATCH:
            return Page(items, None)
    return Page(items, None)


async def continue_watching(
    *, store: WideColumnStore, caller: Caller, visible: TitleFilter, limit: int
) -> list[Bookmark]:
    """Return the titles the caller is part-way through and may see, newest first."""
    marks = await repository.bookmarks(store, caller, limit=MAX_TITLES)
    started = [mark for mark in marks if mark.in_progress]
    started.sort(key=lambda mark: mark.watched_at, reverse=True)
    return (await visible_only(started, caller=caller, visible=visible))[:limit]


async def next_up(
    *,
    store: WideColumnStore,
    caller: Caller,
    lookup: NextEpisodeLookup,
    visible: TitleFilter,
    limit: int,
) -> list[NextUp]:
    """Return, per series, the episode after the one the caller last finished, newest first."""
    newest: dict[str, Bookmark] = {}
    marks = await repository.bookmarks(store, caller, limit=MAX_TITLES)
    # The finished episode is listed too (``after``): one the caller may not see
    # leads nowhere, as if it had never been watched.
    for mark in await visible_only(
        [mark for mark in marks if mark.episode is not None], caller=caller, visible=visible
    ):
        if mark.episode is None:
            continue
        seen = newest.get(mark.episode.series_id)
        if seen is None or mark.watched_at > seen.watched_at:
            newest[mark.episode.series_id] = mark
    # Only the series whose latest episode was finished: one stopped part-way
    # is in Continue Watching instead.
    finished = sorted(
        (mark for mark in newest.values() if mark.finished),
        key=lambda mark: mark.watched_at,
        reverse=True,
    )
    out: list[NextUp] = []
    for mark in finished:
        assert mark.episode is not None
        following = await lookup(mark.episode, caller)
        if following is not None:
            out.append(NextUp(following, mark))
            if len(out) == limit:
                break
    return out


async def remove(
    *, store: WideColumnStore, caller: Caller, title_id: str, now: datetime | None = None
) -> None:
    """Remove a title from the caller's history (and its bookmark)."""
    current = await repository.get_bookmark(store, caller, title_id)
    at = micros(now or datetime.now(UTC))
    if current is not None:
        # A client clock ahead of ours wrote in our future: delete after it,
        # or the bookmark would outlive its deletion.
        at = max(at, micros(current.watched_at) + 1)
    if current is not None and current.listed_at is not None:
        await repository.delete_timeline(
            store, caller, title_id, current.listed_at, timestamp_us=at
        )
    await repository.delete_bookmark(store, caller, title_id, timestamp_us=at)


def _older(row: tuple[datetime, str], after: tuple[datetime, str]) -> bool:
    # Timeline order: watched_at descending, then title ascending.
    return row[0] < after[0] or (row[0] == after[0] and row[1] > after[1])


def encode_cursor(row: tuple[datetime, str]) -> str:
    """Return the opaque cursor that continues after ``row``."""
    millis = micros(row[0]) // 1000
    return base64.urlsafe_b64encode(f"{millis}:{row[1]}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Return the row a cursor continues after; InvalidRequestError if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        millis, _, title = raw.partition(":")
        moment = EPOCH + timedelta(milliseconds=int(millis))
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError, OSError):
        raise InvalidRequestError("cursor is not one this service returned") from None
    if not title:
        raise InvalidRequestError("cursor is not one this service returned")
    return moment, title
