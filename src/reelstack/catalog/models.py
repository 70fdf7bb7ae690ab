"""Domain types of the catalog (no I/O): titles, series, viewers and what they may see.

The rating table is the catalog's to own (see the shared contract): a
profile's maturity level admits the ratings of its level and every level
below; a rating the table does not know is for adults only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from reelstack.errors import InvalidRequestError


class Maturity(StrEnum):
    """A profile's maturity level, lowest first (identity's ``Maturity``)."""

    KIDS = "kids"
    OLDER_KIDS = "older-kids"
    TEENS = "teens"
    ADULTS = "adults"


# The ratings each level adds to the ones below it.
_ADDED: dict[Maturity, tuple[str, ...]] = {
    Maturity.KIDS: ("TV-Y", "TV-G", "G"),
    Maturity.OLDER_KIDS: ("TV-PG", "PG"),
    Maturity.TEENS: ("TV-14", "PG-13"),
    Maturity.ADULTS: ("R", "NC-17", "TV-MA"),
}
RATINGS: tuple[str, ...] = tuple(r for added in _ADDED.values() for r in added)


def allowed_ratings(level: Maturity) -> frozenset[str] | None:
    """The ratings ``level`` may see; None for adults (everything, unknown ratings too)."""
    if level is Maturity.ADULTS:
        return None
    out: set[str] = set()
    for each in Maturity:
        out.update(_ADDED[each])
        if each is level:
            return frozenset(out)
    raise AssertionError("unreachable")


def may_see(level: Maturity, rating: str) -> bool:
    """Whether a profile of ``level`` may see a title rated ``rating``."""
    allowed = allowed_ratings(level)
    return allowed is None or rating in allowed


_REGION = re.compile(r"^[A-Z]{2}$")


def check_region(region: str) -> str:
    """Return ``region`` if it is an ISO 3166-1 alpha-2 code (upper case); else refuse it."""
    if not _REGION.match(region):
        raise InvalidRequestError(f"region {region!r} is not an ISO 3166-1 alpha-2 code like US")
    return region


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who reads: the profile's maturity level and region (from the gateway's headers)."""

    maturity: Maturity = Maturity.ADULTS
    region: str = "US"
    account: str | None = None
    profile: str | None = None


class TitleKind(StrEnum):
    """What a title id names: a film or an episode of a series."""

    FILM = "film"
    EPISODE = "episode"


class CastRole(StrEnum):
    """What a person did on a title."""

    ACTOR = "actor"
    DIRECTOR = "director"
    WRITER = "writer"
    CREATOR = "creator"
    PRODUCER = "producer"


@dataclass(frozen=True, slots=True)
class CastMember:
    """One credit: a person, their role and, for actors, the character."""

    person_id: str
    name: str
    role: CastRole
    character: str | None = None


@dataclass(slots=True)
class Title:
    """A film or an episode as the catalog holds it."""

    id: str
    kind: TitleKind
    name: str
    synopsis: str
    maturity_rating: str
    published: bool
    version: int
    series_id: str | None = None
    series_name: str | None = None
    season: int | None = None
    episode: int | None = None
    duration_s: float | None = None
    poster_key: str | None = None
    backdrop_key: str | None = None
    intro_start_s: float | None = None
    intro_end_s: float | None = None
    credits_start_s: float | None = None
    meta_edited: bool = False
    withheld: bool = False
    """The studio unpublished it: no viewer sees it, whatever media announces."""
    genres: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    cast: list[CastMember] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """A series: its name and synopsis; its seasons are the seasons its episodes name."""

    id: str
    name: str
    synopsis: str


@dataclass(frozen=True, slots=True)
class TitleMeta:
    """What media says about a title (the uploader's metadata)."""

    name: str
    synopsis: str
    genres: tuple[str, ...]
    maturity_rating: str
    series: str | None
    season: int | None
    episode: int | None


@dataclass(frozen=True, slots=True)
class TitleAssets:
    """What media made for a title: duration, artwork keys, intro and credits markers."""

    duration_s: float | None = None
    poster_key: str | None = None
    backdrop_key: str | None = None
    intro_start_s: float | None = None
    intro_end_s: float | None = None
    credits_start_s: float | None = None


class EventType(StrEnum):
    PUBLISHED = "title.published"
    CHANGED = "title.changed"
    REMOVED = "title.removed"


@dataclass(frozen=True, slots=True)
class TitleEvent:
    """One announcement from media (``media.titles``); ``meta`` is None for a removal."""

    type: EventType
    title_id: str
    version: int
    meta: TitleMeta | None
    assets: TitleAssets | None
