"""The title announcements catalog consumes (topic ``media.titles``, schema v1).

The shape is the shared contract between media and catalog; this module
reads it strictly (an unknown type or a missing field is refused, logged and
skipped by the consumer, never half-applied).
"""

from __future__ import annotations

from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelstack.catalog.models import EventType, TitleAssets, TitleEvent, TitleMeta
from reelstack.errors import InvalidRequestError

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class _Meta(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    synopsis: str = Field(default="", max_length=4000)
    genres: list[str] = Field(default_factory=list, max_length=10)
    maturity_rating: str = Field(max_length=16)
    series: str | None = Field(default=None, max_length=300)
    season: int | None = Field(default=None, ge=0, le=10_000)
    episode: int | None = Field(default=None, ge=0, le=10_000)


class _Assets(BaseModel):
    duration_s: float | None = None
    poster_key: str | None = Field(default=None, max_length=1024)
    backdrop_key: str | None = Field(default=None, max_length=1024)
    intro_start_s: float | None = None
    intro_end_s: float | None = None
    credits_start_s: float | None = None


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["title.published", "title.changed", "title.removed"]
    v: Literal[1]
    title_id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=0)
    at: str
    meta: _Meta | None = None
    assets: _Assets | None = None


def _clean(text: str) -> str:
    # An uploader's text may hold control characters (PostgreSQL refuses NUL):
    # dropped here, so such an announcement applies rather than blocking the
    # partition by failing every time it is read.
    return "".join(c for c in text if ord(c) >= 32 or c in "\n\t").strip()


def decode(value: bytes) -> TitleEvent:
    """Read one announcement; InvalidRequestError says what is wrong with it."""
    try:
        event = _Event.model_validate(orjson.loads(value))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise InvalidRequestError(f"not a v1 title announcement: {exc}") from None
    kind = EventType(event.type)
    if kind is not EventType.REMOVED and event.meta is None:
        raise InvalidRequestError(f"a {kind.value} announcement needs its meta")
    meta = None
    if event.meta is not None:
        m = event.meta
        meta = TitleMeta(
            name=_clean(m.name) or event.title_id,
            synopsis=_clean(m.synopsis),
            genres=tuple(g for g in (_clean(g)[:40] for g in m.genres) if g),
            maturity_rating=m.maturity_rating,
            series=_clean(m.series) or None if m.series is not None else None,
            season=m.season,
            episode=m.episode,
        )
    assets = TitleAssets(**event.assets.model_dump()) if event.assets is not None else None
    return TitleEvent(
        type=kind, title_id=event.title_id, version=event.version, meta=meta, assets=assets
    )
