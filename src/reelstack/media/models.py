"""Domain types of the media service: titles and their states (no I/O).

A title's published rungs are kept as the JSON its job reported; the one rung
type of the media code is :class:`reelstack.media.ladder.plan.Rung`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class TitleKind(StrEnum):
    """A film stands alone; an episode belongs to a series and a season."""

    FILM = "film"
    EPISODE = "episode"


class TitleState(StrEnum):
    """Where a title is on its way from upload to playable.

    ``uploading`` -> ``uploaded`` (all bytes in) -> ``validating`` -> ``refused``
    (with the reason; the source is kept) or ``encoding`` (a job runs) ->
    ``ready`` (published) or ``failed`` (with the reason).
    """

    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    VALIDATING = "validating"
    REFUSED = "refused"
    ENCODING = "encoding"
    READY = "ready"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        """Whether nothing more happens to the title on its own."""
        return self in (TitleState.REFUSED, TitleState.READY, TitleState.FAILED)


MATURITY_RATINGS = ("G", "PG", "PG-13", "R", "NC-17", "TV-Y", "TV-G", "TV-PG", "TV-14", "TV-MA")


@dataclass(frozen=True, slots=True)
class TitleMeta:
    """What the uploader says about a title."""

    name: str
    synopsis: str = ""
    genres: tuple[str, ...] = ()
    maturity_rating: str = "TV-PG"
    series: str | None = None
    season: int | None = None
    episode: int | None = None

    @property
    def kind(self) -> TitleKind:
        """An episode when it names a series, else a film."""
        return TitleKind.EPISODE if self.series else TitleKind.FILM


@dataclass(slots=True)
class Title:
    """A title as stored: metadata, ingest state and what was published for it."""

    id: str
    name: str
    synopsis: str
    genres: list[str]
    maturity_rating: str
    kind: TitleKind
    series: str | None
    season: int | None
    episode: int | None
    state: TitleState
    created_at: datetime
    updated_at: datetime
    duration_s: float | None = None
    probe: dict[str, Any] | None = None
    rungs: list[dict[str, Any]] = field(default_factory=list)
    master_url: str | None = None
    dash_url: str | None = None
    poster_key: str | None = None
    backdrop_key: str | None = None
    trickplay_key: str | None = None
    subtitles: list[dict[str, Any]] = field(default_factory=list)
    fingerprint_key: str | None = None
    intro_start_s: float | None = None
    intro_end_s: float | None = None
    credits_start_s: float | None = None
    reason: str | None = None
    upload_id: str | None = None
    source_key: str | None = None
    job_id: str | None = None
    account_id: str | None = None
    """The account that uploaded it (the gateway's ``x-account-id``), for its quotas."""
    source_bytes: int | None = None


# An absolute path (or a file: URL) in a reason: not preceded by a word character,
# so "1/2" and "H.264/AVC" stay; one pass, no nested repeats.
_SERVER_PATH = re.compile(r"(?<![\w.])(?:file:)?/[^\s'\",;:)]*")


def public_reason(reason: str | None) -> str | None:
    """A title's or job's reason with server paths replaced by ``<path>``.

    What went wrong stays ("not a regular file", "ffmpeg failed: ..."); where
    the server keeps its files is for the studio, not for every reader.
    """
    if reason is None:
        return None
    return _SERVER_PATH.sub("<path>", reason)
