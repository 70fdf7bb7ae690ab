"""The history service's spec and its pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack import services
from reelstack.errors import InvalidRequestError
from reelstack.history.models import Bookmark, Caller, Episode, check_watched_at, next_in_season

NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def test_the_spec_is_accepted_and_every_route_needs_a_token() -> None:
    spec = services.specs(("reelstack.history",))["history"]
    assert spec.ports == ("widecolumn",)
    (route,) = spec.gateway_routes()
    assert route.prefix == "/api/history" and not route.public
    assert route.rewrite == "/history" and route.max_body_bytes == 8192


@pytest.mark.parametrize(
    ("position", "in_progress", "finished"),
    [(49.9, False, False), (50, True, False), (899.9, True, False), (900, False, True)],
)
def test_a_title_is_in_progress_from_5_percent_and_finished_from_90(
    position: float, in_progress: bool, finished: bool
) -> None:
    mark = Bookmark("t", position, 1000, "tv", NOW)
    assert (mark.in_progress, mark.finished) == (in_progress, finished)


def test_heartbeat_times_are_kept_to_the_millisecond_within_the_allowed_skew() -> None:
    at = NOW + timedelta(minutes=5, microseconds=-1)
    assert check_watched_at(at, now=NOW) == NOW + timedelta(minutes=4, seconds=59, milliseconds=999)
    with pytest.raises(InvalidRequestError, match="ahead"):
        check_watched_at(NOW + timedelta(minutes=5, milliseconds=1), now=NOW)


async def test_the_default_lookup_offers_the_next_number_in_the_season() -> None:
    following = await next_in_season(Episode("show", 2, 9), Caller("acct", "prof"))
    assert following is not None
    assert (following.series_id, following.season, following.episode, following.title_id) == (
        "show",
        2,
        10,
        None,
    )
