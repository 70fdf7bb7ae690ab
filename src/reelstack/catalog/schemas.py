"""API shapes of the catalog service (``TitleOut`` is the shared contract's)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from reelstack.catalog.context import CatalogContext
from reelstack.catalog.models import RATINGS, CastRole, Title, check_region
from reelstack.errors import InvalidRequestError

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_NAME = 300
MAX_SYNOPSIS = 4000


class ArtworkOut(BaseModel):
    poster: str | None
    backdrop: str | None


class CastOut(BaseModel):
    person_id: str
    name: str
    role: str
    character: str | None


class TitleOut(BaseModel):
    id: str
    kind: Literal["film", "episode"]
    name: str
    synopsis: str
    genres: list[str]
    maturity_rating: str
    regions: list[str]
    series_id: str | None
    series_name: str | None
    season: int | None
    episode: int | None
    next_episode_id: str | None
    duration_s: float | None
    artwork: ArtworkOut
    cast: list[CastOut]

    @classmethod
    def of(cls, title: Title, ctx: CatalogContext, *, next_episode_id: str | None) -> TitleOut:
        """The API view of a title."""
        return cls(
            id=title.id,
            kind=title.kind.value,
            name=title.name,
            synopsis=title.synopsis,
            genres=title.genres,
            maturity_rating=title.maturity_rating,
            regions=title.regions,
            series_id=title.series_id,
            series_name=title.series_name,
            season=title.season,
            episode=title.episode,
            next_episode_id=next_episode_id,
            duration_s=title.duration_s,
            artwork=ArtworkOut(
                poster=ctx.url_for(title.poster_key), backdrop=ctx.url_for(title.backdrop_key)
            ),
            cast=[
                CastOut(
                    person_id=c.person_id, name=c.name, role=c.role.value, character=c.character
                )
                for c in title.cast
            ],
        )


class StudioTitleOut(TitleOut):
    """A title as the studio sees it: also whether it is published and media's version."""

    published: bool
    """Media has published its files."""
    withheld: bool
    """The studio unpublished it."""
    visible: bool
    """Viewers may see it (published and not withheld; their rating and region still apply)."""
    version: int
    meta_edited: bool


class TitlePage(BaseModel):
    total: int
    offset: int
    items: list[TitleOut]


class SearchOut(BaseModel):
    query: str
    items: list[TitleOut]


class SeasonOut(BaseModel):
    number: int | None
    episodes: list[TitleOut]


class SeriesOut(BaseModel):
    id: str
    name: str
    synopsis: str
    seasons: list[SeasonOut]


class GenreOut(BaseModel):
    name: str
    count: int


class GenresOut(BaseModel):
    items: list[GenreOut]


class ThumbIn(BaseModel):
    value: Literal["up", "down"]


class ThumbOut(BaseModel):
    title_id: str
    value: Literal["up", "down"] | None


# -- studio ----------------------------------------------------------------------------

Genre = Field(min_length=1, max_length=40)


def _printable(value: str | None) -> str | None:
    # PostgreSQL refuses NUL in text; other control characters have no place
    # in a title either.
    if value is not None and any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValueError("control characters are not allowed")
    return value


class MetaIn(BaseModel):
    """Fields to change; those left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    synopsis: str | None = Field(default=None, max_length=MAX_SYNOPSIS)
    maturity_rating: str | None = None
    genres: list[str] | None = Field(default=None, max_length=10)

    _text = field_validator("name", "synopsis")(_printable)

    @field_validator("maturity_rating")
    @classmethod
    def _rating(cls, value: str | None) -> str | None:
        if value is not None and value not in RATINGS:
            raise ValueError(f"maturity rating must be one of {', '.join(RATINGS)}")
        return value

    @field_validator("genres")
    @classmethod
    def _genres(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [g.strip() for g in value]
        if any(not g or len(g) > 40 or _printable(g) != g for g in cleaned):
            raise ValueError("a genre is 1 to 40 characters")
        return cleaned


class RegionsIn(BaseModel):
    """The regions a title is available in; empty: everywhere."""

    regions: list[str] = Field(max_length=250)

    @field_validator("regions")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        try:
            return [check_region(code) for code in value]
        except InvalidRequestError as exc:
            raise ValueError(str(exc)) from None


class CreditIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: CastRole
    character: str | None = Field(default=None, max_length=200)

    _text = field_validator("name", "character")(_printable)


class CastIn(BaseModel):
    cast: list[CreditIn] = Field(max_length=200)


class ArtworkIn(BaseModel):
    """Blob keys of published images (media's artwork); None leaves one as it is."""

    poster_key: str | None = Field(default=None, max_length=1024)
    backdrop_key: str | None = Field(default=None, max_length=1024)

    _keys = field_validator("poster_key", "backdrop_key")(_printable)
