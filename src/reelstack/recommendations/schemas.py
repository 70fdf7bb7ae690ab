"""The service's answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ItemOut(BaseModel):
    id: str
    kind: Literal["title", "series"]
    progress: float | None = None


class RowOut(BaseModel):
    id: str
    name: str
    items: list[ItemOut]


class PartError(BaseModel):
    part: str
    detail: str


class HomeOut(BaseModel):
    """A profile's rows, in page order; ``errors`` names the parts left out."""

    profile_id: str
    region: str
    maturity: str
    fallback: bool
    rows: list[RowOut]
    errors: list[PartError]


class PopularTitle(BaseModel):
    id: str
    plays: int


class PopularOut(BaseModel):
    """A region's most played titles, most played first (what edges fill)."""

    region: str
    titles: list[PopularTitle]
