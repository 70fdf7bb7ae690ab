"""History's use cases on every wide-column adapter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from reelstack.errors import InvalidRequestError
from reelstack.history import repository, service
from reelstack.history.models import Bookmark, Caller, Episode, NextEpisode, micros
from reelstack.ports import WideColumnStore
from tests.integration.history.conftest import every_title, new_caller

NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def beat(
    title: str,
    position: float,
    *,
    at: datetime = NOW,
    duration: float = 1000.0,
    device: str = "tv",
    episode: Episode | None = None,
) -> Bookmark:
    return Bookmark(title, position, duration, device, at, episode)


async def test_the_newest_heartbeat_wins_whatever_order_they_arrive_in(
    store: WideColumnStore,
) -> None:
    caller = new_caller()
    newer = await service.record_heartbeat(
        store=store, caller=caller, heartbeat=beat("t1", 300, device="phone"), now=NOW
    )
    late = await service.record_heartbeat(
        store=store,
        caller=caller,
        heartbeat=beat("t1", 100, at=NOW - timedelta(seconds=30)),
        now=NOW,
    )
    assert newer.applied and not late.applied
    mark = await service.bookmark(store=store, caller=caller, title_id="t1")
    assert mark is not None and (mark.position_s, mark.device) == (300, "phone")
    assert late.bookmark == mark, "the answer to a late heartbeat is the bookmark that stands"


async def test_a_late_heartbeat_racing_past_the_read_still_loses_to_the_newer_write(
    store: WideColumnStore,
) -> None:
    # Two instances read before either writes: the write timestamps decide.
    caller = new_caller()
    await repository.put_bookmark(store, caller, beat("t1", 300, device="phone"))
    old = beat("t1", 100, at=NOW - timedelta(seconds=30), episode=Episode("s", 1, 2))
    await repository.put_bookmark(store, caller, old)
    mark = await repository.get_bookmark(store, caller, "t1")
    assert mark == beat("t1", 300, device="phone")


async def test_concurrent_heartbeats_leave_one_history_entry_at_the_newest(
    store: WideColumnStore,
) -> None:
    caller = new_caller()
    beats = [beat("t1", 10 * i, at=NOW - timedelta(seconds=60 - i)) for i in range(1, 9)]
    await asyncio.gather(
        *(service.record_heartbeat(store=store, caller=caller, heartbeat=b, now=NOW) for b in beats)
    )
    page = await service.history(store=store, visible=every_title, caller=caller, limit=10)
    assert [(m.title_id, m.position_s) for m in page.items] == [("t1", 80)]


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (NOW + timedelta(minutes=6), "ahead of the server's clock"),
        (NOW + timedelta(days=3650), "ahead of the server's clock"),
        (NOW - timedelta(days=400), "days old"),
        (datetime(2026, 12, 6, 20, 0), "time zone"),
    ],
)
async def test_absurd_heartbeat_times_are_refused_with_the_reason(
    store: WideColumnStore, at: datetime, reason: str
) -> None:
    caller = new_caller()
    with pytest.raises(InvalidRequestError, match=reason):
        await service.record_heartbeat(
            store=store, caller=caller, heartbeat=beat("t", 1, at=at), now=NOW
        )
    assert await service.bookmark(store=store, caller=caller, title_id="t") is None


async def test_history_lists_titles_newest_first_in_pages(store: WideColumnStore) -> None:
    caller = new_caller()
    titles = [f"t{i:02d}" for i in range(7)]
    for i, title in enumerate(titles):
        await service.record_heartbeat(
            store=store,
            caller=caller,
            heartbeat=beat(title, 5, at=NOW - timedelta(minutes=i)),
            now=NOW,
        )
    # Two titles in the same millisecond still page without loss or repeat.
    for title in ("same-a", "same-b"):
        await service.record_heartbeat(
            store=store,
            caller=caller,
            heartbeat=beat(title, 5, at=NOW - timedelta(minutes=3)),
            now=NOW,
        )
    # Watching t05 again moves it to the front.
    later = NOW + timedelta(minutes=11)
    await service.record_heartbeat(
        store=store, caller=caller, heartbeat=beat("t05", 9, at=later), now=later
    )
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await service.history(
            store=store, visible=every_title, caller=caller, limit=3, cursor=cursor
        )
        seen += [m.title_id for m in page.items]
        pages += 1
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == ["t05", "t00", "t01", "t02", "same-a", "same-b", "t03", "t04", "t06"]
    assert pages in (3, 4), "a full last page may end with a cursor to an empty one"
    other = new_caller()
    assert (
        await service.history(store=store, visible=every_title, caller=other, limit=3)
    ).items == []


async def test_a_cursor_that_is_not_ours_is_refused(store: WideColumnStore) -> None:
    with pytest.raises(InvalidRequestError, match="cursor"):
        await service.history(
            store=store, visible=every_title, caller=new_caller(), limit=3, cursor="!!nope"
        )


async def test_continue_watching_holds_titles_between_5_and_90_percent_newest_first(
    store: WideColumnStore,
) -> None:
    caller = new_caller()
    positions = {"sampled": 40, "early": 50, "half": 500, "late": 899, "done": 900}
    for i, (title, position) in enumerate(positions.items()):
        await service.record_heartbeat(
            store=store,
            caller=caller,
            heartbeat=beat(title, position, at=NOW - timedelta(minutes=10 - i)),
            now=NOW,
        )
    marks = await service.continue_watching(
        store=store, visible=every_title, caller=caller, limit=10
    )
    assert [m.title_id for m in marks] == ["late", "half", "early"]
    assert [
        m.title_id
        for m in await service.continue_watching(
            store=store, visible=every_title, caller=caller, limit=1
        )
    ] == ["late"]


class Lookup:
    """A catalog stand-in: season 1 has two episodes, season 2 one; then the series ends."""

    def __init__(self) -> None:
        self.asked: list[Episode] = []

    async def __call__(self, episode: Episode, caller: Caller) -> NextEpisode | None:
        self.asked.append(episode)
        order = [(1, 1), (1, 2), (2, 1)]
        at = order.index((episode.season, episode.episode))
        if at + 1 == len(order):
            return None
        season, number = order[at + 1]
        return NextEpisode(
            episode.series_id, season, number, f"{episode.series_id}-s{season}e{number}"
        )


async def test_next_up_offers_the_episode_after_the_last_one_finished_per_series(
    store: WideColumnStore,
) -> None:
    caller = new_caller()
    heartbeats = [
        # Series a: finished s1e1, then finished s1e2 (a season's end): s2e1 is next.
        beat("a-s1e1", 950, at=NOW - timedelta(hours=5), episode=Episode("a", 1, 1)),
        beat("a-s1e2", 920, at=NOW - timedelta(hours=1), episode=Episode("a", 1, 2)),
        # Series b: finished s1e1 but is part-way through s1e2: Continue Watching, not Next Up.
        beat("b-s1e1", 999, at=NOW - timedelta(hours=4), episode=Episode("b", 1, 1)),
        beat("b-s1e2", 300, at=NOW - timedelta(hours=3), episode=Episode("b", 1, 2)),
        # Series c: finished its last episode: nothing next.
        beat("c-s2e1", 1000, at=NOW - timedelta(hours=2), episode=Episode("c", 2, 1)),
        # Series d: finished s1e1 long ago.
        beat("d-s1e1", 910, at=NOW - timedelta(hours=9), episode=Episode("d", 1, 1)),
        # A film finished: never in Next Up.
        beat("film", 1000, at=NOW - timedelta(minutes=5)),
    ]
    for heartbeat in heartbeats:
        await service.record_heartbeat(store=store, caller=caller, heartbeat=heartbeat, now=NOW)
    lookup = Lookup()
    entries = await service.next_up(
        store=store, visible=every_title, caller=caller, lookup=lookup, limit=10
    )
    assert [(e.next.title_id, e.after.title_id) for e in entries] == [
        ("a-s2e1", "a-s1e2"),
        ("d-s1e2", "d-s1e1"),
    ]
    assert Episode("b", 1, 1) not in lookup.asked
    assert (
        len(
            await service.next_up(
                store=store, visible=every_title, caller=caller, lookup=lookup, limit=1
            )
        )
        == 1
    )


async def test_removing_a_title_drops_it_everywhere_and_late_heartbeats_stay_removed(
    store: WideColumnStore,
) -> None:
    caller = new_caller()
    # A client clock a minute ahead of ours: the removal must still win.
    ahead = NOW + timedelta(minutes=1)
    await service.record_heartbeat(
        store=store, caller=caller, heartbeat=beat("gone", 500, at=ahead), now=NOW
    )
    await service.record_heartbeat(store=store, caller=caller, heartbeat=beat("kept", 500), now=NOW)
    await service.remove(store=store, caller=caller, title_id="gone", now=NOW)
    late = await service.record_heartbeat(
        store=store,
        caller=caller,
        heartbeat=beat("gone", 400, at=NOW - timedelta(seconds=5)),
        now=NOW,
    )
    assert await service.bookmark(store=store, caller=caller, title_id="gone") is None
    page = await service.history(store=store, visible=every_title, caller=caller, limit=10)
    assert [m.title_id for m in page.items] == ["kept"]
    assert [
        m.title_id
        for m in await service.continue_watching(
            store=store, visible=every_title, caller=caller, limit=10
        )
    ] == ["kept"]
    # Accepted (nothing newer stood), yet it stays under the removal's tombstone.
    assert late.applied
    # Watching again after the removal brings it back.
    await service.record_heartbeat(
        store=store,
        caller=caller,
        heartbeat=beat("gone", 600, at=ahead + timedelta(seconds=1)),
        now=NOW,
    )
    assert [
        m.title_id
        for m in (
            await service.history(store=store, visible=every_title, caller=caller, limit=10)
        ).items
    ] == [
        "gone",
        "kept",
    ]


async def test_profiles_and_accounts_never_share_rows(store: WideColumnStore) -> None:
    owner = new_caller("p1")
    sibling = new_caller("p2")
    stranger = type(owner)(account="acct-other", profile=owner.profile)
    await service.record_heartbeat(store=store, caller=owner, heartbeat=beat("t", 500), now=NOW)
    for caller in (sibling, stranger):
        assert await service.bookmark(store=store, caller=caller, title_id="t") is None
        assert (
            await service.history(store=store, visible=every_title, caller=caller, limit=5)
        ).items == []
        await service.remove(store=store, caller=caller, title_id="t", now=NOW)
    assert await service.bookmark(store=store, caller=owner, title_id="t") is not None


class CountingStore:
    """A WideColumnStore that counts the timeline rows each heartbeat writes and deletes."""

    def __init__(self, inner: WideColumnStore) -> None:
        self.inner = inner
        self.timeline_writes = 0
        self.timeline_deletes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def upsert(self, table: str, row: Any, **options: Any) -> None:
        self.timeline_writes += table == repository.TIMELINE.name
        await self.inner.upsert(table, row, **options)

    async def delete(self, table: str, key: Any, **options: Any) -> None:
        self.timeline_deletes += table == repository.TIMELINE.name
        await self.inner.delete(table, key, **options)


async def test_heartbeats_move_a_title_in_the_timeline_at_most_every_ten_minutes(
    store: WideColumnStore,
) -> None:
    # Each move is a delete: a tombstone on Cassandra that every history read
    # scans past. A 30 s heartbeat must not leave one per beat.
    caller = new_caller()
    counting = CountingStore(store)
    start = NOW - timedelta(hours=1)
    for i in range(60):  # half an hour of heartbeats, 30 s apart
        at = start + timedelta(seconds=30 * i)
        await service.record_heartbeat(
            store=cast(WideColumnStore, counting),
            caller=caller,
            heartbeat=beat("film", 10 * i, at=at),
            now=NOW,
        )
    assert (counting.timeline_writes, counting.timeline_deletes) == (3, 2)
    page = await service.history(store=store, visible=every_title, caller=caller, limit=5)
    assert [(m.title_id, m.position_s) for m in page.items] == [("film", 590)]


async def test_a_newer_heartbeat_that_read_before_a_move_keeps_the_title_listed(
    store: WideColumnStore,
) -> None:
    # A moves the title (it read an old place); B, newer, read the same old
    # place before A wrote and does not move it. B must not point the
    # bookmark back at the row A deleted.
    caller = new_caller()
    first = NOW - timedelta(minutes=30)
    await service.record_heartbeat(
        store=store, caller=caller, heartbeat=beat("film", 10, at=first), now=NOW
    )
    moved_at = NOW - timedelta(minutes=1)
    await repository.put_timeline(store, caller, "film", moved_at)
    await repository.put_bookmark(
        store, caller, Bookmark("film", 100, 1000, "tv", moved_at, listed_at=moved_at)
    )
    await repository.delete_timeline(store, caller, "film", first, timestamp_us=micros(moved_at))
    b = Bookmark("film", 130, 1000, "tv", NOW, listed_at=first)
    await repository.put_bookmark(store, caller, b, relisted=False)
    page = await service.history(store=store, visible=every_title, caller=caller, limit=5)
    assert [(m.title_id, m.position_s, m.listed_at) for m in page.items] == [
        ("film", 130, moved_at)
    ]


async def test_many_titles_progress_is_each_titles_own_bookmark(
    store: WideColumnStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller = new_caller()
    for n, title in enumerate(("t1", "t2", "t3", "t4")):
        await repository.put_bookmark(store, caller, beat(title, 100.0 + n))
    await repository.put_bookmark(store, new_caller(), beat("t5", 50))  # another profile's
    asked = ["t4", "t5", "t1", "t4", "t9", "t2"]
    alone = [await service.bookmark(store=store, caller=caller, title_id=t) for t in asked]
    assert [m.position_s if m else None for m in alone] == [103, None, 100, 103, None, 101]
    assert await service.bookmarks_of(store=store, caller=caller, title_ids=asked) == alone
    # A partition past one read's size: the titles the read missed are fetched one by one.
    monkeypatch.setattr(service, "WHOLE_READ", 2)
    assert await service.bookmarks_of(store=store, caller=caller, title_ids=asked) == alone
    assert await service.bookmarks_of(store=store, caller=caller, title_ids=["t3"]) == [
        beat("t3", 102.0)
    ]
