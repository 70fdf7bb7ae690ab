"""API shapes of the history service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from reelstack.history.models import Bookmark, Episode, NextUp

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
"""Account, profile, title and series ids: what every id service hands out, and no more."""
MAX_DURATION_S = 7 * 24 * 3600.0
"""No title runs a week; a larger duration is a client bug."""

Id = Annotated[str, Field(pattern=ID_PATTERN)]


class HeartbeatIn(BaseModel):
    """A player's heartbeat: where it stands in the title, by the client's clock."""

    model_config = ConfigDict(extra="forbid")

    position_s: float = Field(ge=0, le=MAX_DURATION_S, allow_inf_nan=False)
    duration_s: float = Field(gt=0, le=MAX_DURATION_S, allow_inf_nan=False)
    device: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    watched_at: AwareDatetime
    series_id: Id | None = None
    season: int | None = Field(default=None, ge=0, le=1000)
    episode: int | None = Field(default=None, ge=0, le=100_000)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.position_s > self.duration_s:
            raise ValueError(
                f"position_s {self.position_s} is past the end (duration_s {self.duration_s})"
            )
        numbers = (self.series_id, self.season, self.episode)
        if any(value is not None for value in numbers) and None in numbers:
            raise ValueError("series_id, season and episode go together: send all three or none")
        return self

    def bookmark(self, title_id: str) -> Bookmark:
        """Return the bookmark this heartbeat sets in ``title_id``."""
        episode = None
        if self.series_id is not None and self.season is not None and self.episode is not None:
            episode = Episode(self.series_id, self.season, self.episode)
        return Bookmark(
            title_id=title_id,
            position_s=self.position_s,
            duration_s=self.duration_s,
            device=self.device,
            watched_at=self.watched_at,
            episode=episode,
        )


class BookmarkOut(BaseModel):
    """Where a profile stands in a title."""

    title_id: str
    position_s: float
    duration_s: float
    fraction: float
    device: str
    watched_at: datetime
    series_id: str | None = None
    season: int | None = None
    episode: int | None = None

    @classmethod
    def of(cls, mark: Bookmark) -> BookmarkOut:
        """Return the API shape of ``mark``."""
        episode = mark.episode
        return cls(
            title_id=mark.title_id,
            position_s=mark.position_s,
            duration_s=mark.duration_s,
            fraction=round(mark.fraction, 4),
            device=mark.device,
            watched_at=mark.watched_at,
            series_id=episode.series_id if episode else None,
            season=episode.season if episode else None,
            episode=episode.episode if episode else None,
        )


class HeartbeatOut(BaseModel):
    """The bookmark that stands after a heartbeat; ``applied`` false: a newer one already did."""

    applied: bool
    bookmark: BookmarkOut


class HistoryPage(BaseModel):
    """Titles watched, newest first; pass ``cursor`` back for the next page (null: the end)."""

    items: list[BookmarkOut]
    cursor: str | None


class TitleList(BaseModel):
    """A list of bookmarks (Continue Watching)."""

    items: list[BookmarkOut]


class Watching(BaseModel):
    """What a home page asks history: Continue Watching and the title watched last."""

    continue_watching: list[BookmarkOut]
    last_watched: BookmarkOut | None


class NextUpItem(BaseModel):
    """An episode to play next: its numbers, its title id when known, and what it follows."""

    series_id: str
    season: int
    episode: int
    title_id: str | None
    after: BookmarkOut

    @classmethod
    def of(cls, entry: NextUp) -> NextUpItem:
        """Return the API shape of ``entry``."""
        return cls(
            series_id=entry.next.series_id,
            season=entry.next.season,
            episode=entry.next.episode,
            title_id=entry.next.title_id,
            after=BookmarkOut.of(entry.after),
        )


class NextUpList(BaseModel):
    """Next Up, newest first."""

    items: list[NextUpItem]
