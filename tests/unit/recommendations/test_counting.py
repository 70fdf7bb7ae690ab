"""Play starts are counted per region, hour and title, each record once, whatever is read again."""

from __future__ import annotations

from reelstack.adapters.widecolumn.sqlite import SqliteWideColumnStore
from reelstack.ports.log import Record
from reelstack.recommendations import builder, counting
from tests.unit.recommendations.conftest import play_record

HOUR = 1_800_000_000 // 3600


async def _counts(store: SqliteWideColumnStore, region: str) -> dict[str, int]:
    return await builder.counts(store, regions=[region], last_hour=HOUR, hours=1)


async def test_plays_are_counted_per_region_and_title(store: SqliteWideColumnStore) -> None:
    records = [
        play_record(0, "space"),
        play_record(1, "space"),
        play_record(2, "robots", region="GB"),
        play_record(3, "robots", region=None),  # no region: the default one
    ]
    assert await counting.count(store, records, default_region="US") == 4
    assert await _counts(store, "US") == {"space": 2, "robots": 1}
    assert await _counts(store, "GB") == {"robots": 1}
    assert await builder.regions(store, "FR") == ["FR", "GB", "US"]


async def test_a_batch_read_again_adds_nothing(store: SqliteWideColumnStore) -> None:
    first = [play_record(0, "space"), play_record(1, "space")]
    await counting.count(store, first, default_region="US")
    # A crash before the commit: the same records, and the next one, come again.
    again = [*first, play_record(2, "space")]
    assert await counting.count(store, again, default_region="US") == 1
    assert await _counts(store, "US") == {"space": 3}
    # The same offsets of another log partition are other records.
    other = [play_record(0, "space", partition=1)]
    assert await counting.count(store, other, default_region="US") == 1
    assert await _counts(store, "US") == {"space": 4}


async def test_unreadable_records_are_skipped_not_counted(store: SqliteWideColumnStore) -> None:
    good = play_record(3, "space")
    bad = [
        Record("playback.plays", 0, 0, None, b"not json", 0),
        Record("playback.plays", 0, 1, None, b'{"type": "play.started", "v": 2}', 0),
        Record(
            "playback.plays", 0, 2, None, b'{"type": "play.started", "v": 1, "title_id": ""}', 0
        ),
    ]
    assert await counting.count(store, [*bad, good], default_region="US") == 1
    assert await _counts(store, "US") == {"space": 1}


async def test_counts_fall_into_their_hours(store: SqliteWideColumnStore) -> None:
    earlier = play_record(0, "space", at=1_800_000_000.0 - 3600 * 30)
    await counting.count(store, [earlier, play_record(1, "space")], default_region="US")
    assert await builder.counts(store, regions=["US"], last_hour=HOUR, hours=24) == {"space": 1}
    assert await builder.counts(store, regions=["US"], last_hour=HOUR, hours=48) == {"space": 2}


def test_the_maturity_levels_are_identitys_as_the_gateway_forwards_them() -> None:
    from reelstack.gateway.auth import MATURITY_LEVELS as GATEWAY_LEVELS
    from reelstack.recommendations.models import MATURITY_LEVELS

    assert MATURITY_LEVELS == GATEWAY_LEVELS
