"""History's domain types and rules. No I/O.

A bookmark is where a profile stands in a title: position, duration, the
device, and ``watched_at``, the client's time of the heartbeat. The client's
time (not the arrival time) orders heartbeats: it is the write timestamp of
every cell, so a heartbeat that arrives late never overwrites a newer one.
Times are kept to the millisecond, as the wide-column store keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from reelstack.chassis import caller as chassis_caller
from reelstack.errors import InvalidRequestError

CONTINUE_FROM = 0.05
"""Below this fraction a title was only sampled: not in Continue Watching."""
FINISHED_AT = 0.90
"""From this fraction on a title counts as watched (credits): Next Up takes over."""

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of ours a client's clock may be. A later timestamp would win
every last-write-wins comparison until that time comes, so it is refused."""
RELIST_AFTER = timedelta(minutes=10)
"""A heartbeat moves its title to the top of the history list only when the
title's place there is older than this. Moving is a write and a delete, and on
Cassandra every delete is a tombstone a history read scans past: heartbeats
every 30 s would leave hundreds per film. The cost: the list may order titles
watched within 10 minutes of each other by when they were started."""
OLDEST_HEARTBEAT = timedelta(days=365)
"""How old a heartbeat may be (an offline device syncing late)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Whose rows a request reads and writes: the gateway's account and profile.

    ``maturity`` and ``region`` (the gateway's X-Maturity and X-Region) are
    not part of any key: they travel to catalog with a Next Up lookup, so a
    kids profile is never offered an episode it may not see.
    """

    account: str
    profile: str
    maturity: str | None = None
    region: str | None = None

    def headers(self) -> dict[str, str]:
        """Return the identity headers to forward to another service for this caller."""
        return chassis_caller.Caller(
            account=self.account, profile=self.profile, maturity=self.maturity, region=self.region
        ).headers()


@dataclass(frozen=True, slots=True)
class Episode:
    """Where an episode sits in its series (numbers as the catalog gives them)."""

    series_id: str
    season: int
    episode: int


@dataclass(frozen=True, slots=True)
class Bookmark:
    """Where a profile stands in one title."""

    title_id: str
    position_s: float
    duration_s: float
    device: str
    watched_at: datetime
    episode: Episode | None = None
    listed_at: datetime | None = None
    """Where the title stands in the history list (see :data:`RELIST_AFTER`)."""

    @property
    def fraction(self) -> float:
        """How much of the title was watched, 0 to 1."""
        return self.position_s / self.duration_s

    @property
    def in_progress(self) -> bool:
        """Whether the title belongs in Continue Watching."""
        return CONTINUE_FROM <= self.fraction < FINISHED_AT

    @property
    def finished(self) -> bool:
        """Whether the title counts as watched."""
        return self.fraction >= FINISHED_AT


@dataclass(frozen=True, slots=True)
class NextEpisode:
    """The episode to offer after a finished one; ``title_id`` when the lookup knows it."""

    series_id: str
    season: int
    episode: int
    title_id: str | None = None


@dataclass(frozen=True, slots=True)
class NextUp:
    """One Next Up entry: what to play, after which title, watched when."""

    next: NextEpisode
    after: Bookmark


class NextEpisodeLookup(Protocol):
    """Finds the episode after ``episode`` that ``caller`` may see (None: none).

    History cannot read the catalog's tables; whoever knows the series
    (catalog, through a client: :mod:`reelstack.history.catalog`) answers here.
    """

    async def __call__(self, episode: Episode, caller: Caller) -> NextEpisode | None:
        """Return the episode after ``episode``, or None."""
        ...


RESTRICTED = frozenset({"kids", "older-kids", "teens"})
"""Maturity levels that do not see every rating (catalog's table; adults see all)."""


class TitleFilter(Protocol):
    """Keeps, of ``title_ids``, the ones ``caller`` may see now.

    History keeps whatever a profile's players reported, and a kids profile's
    rows may name a title above its level: a heartbeat sent for it (history
    does not ask catalog on the player's hot path), or a profile whose
    maturity was lowered after watching. Lists pass through this filter, so
    such a title is never listed back; catalog knows the ratings and answers
    here (:mod:`reelstack.history.catalog`).
    """

    async def __call__(self, title_ids: Sequence[str], caller: Caller) -> set[str]:
        """Return the ids of ``title_ids`` the caller may see."""
        ...


async def next_in_season(episode: Episode, caller: Caller) -> NextEpisode | None:
    """The default lookup: the following number in the same season, title unknown.

    Without the catalog this is all history knows; the player or playback
    resolves the numbers (a season's last episode leads to one that does not exist).
    """
    return NextEpisode(episode.series_id, episode.season, episode.episode + 1)


def to_millis(moment: datetime) -> datetime:
    """Return ``moment`` in UTC truncated to the millisecond."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def micros(moment: datetime) -> int:
    """Return ``moment`` as microseconds since the epoch (a write timestamp)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def check_watched_at(watched_at: datetime, *, now: datetime) -> datetime:
    """Return the heartbeat time to the millisecond; refuse one too far ahead or behind."""
    if watched_at.tzinfo is None or watched_at.utcoffset() is None:
        raise InvalidRequestError("watched_at must carry a time zone (e.g. 2026-12-06T20:00:00Z)")
    if watched_at > now + MAX_CLOCK_SKEW:
        raise InvalidRequestError(
            f"watched_at {watched_at.isoformat()} is more than "
            f"{int(MAX_CLOCK_SKEW.total_seconds())} s ahead of the server's clock"
        )
    if watched_at < now - OLDEST_HEARTBEAT:
        raise InvalidRequestError(
            f"watched_at {watched_at.isoformat()} is more than {OLDEST_HEARTBEAT.days} days old"
        )
    return to_millis(watched_at)
