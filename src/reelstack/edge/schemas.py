"""The edge's management API shapes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

# A title id as the catalog makes them: one path segment, never '.' or '..'
# (it becomes a blob prefix to list).
TITLE_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$"
TitleId = Annotated[str, StringConstraints(pattern=TITLE_PATTERN)]


class FillIn(BaseModel):
    """``POST /edge/fill``: the titles to fill, or none for the region's popular ones."""

    titles: list[TitleId] | None = Field(default=None, max_length=1000)


class FillOut(BaseModel):
    """What a fill round did."""

    titles: list[str]
    files: int
    bytes: int
    held: int
    failed: int
    stopped: str
    started_at: float
    finished_at: float


class EdgeStatus(BaseModel):
    """``GET /edge/status``: the edge's health, traffic and contents."""

    instance: str
    region: str
    url: str
    healthy: bool
    requests: int
    hits: int
    bytes_served: int
    bytes_from_origin: int
    origin_fetches: int
    hit_ratio_requests: float
    hit_ratio_bytes: float
    origin_offload: float
    capacity_bytes: int
    used_bytes: int
    titles: list[str]
    connections: int
    filling: bool
    disk_full: bool
    results: dict[str, int]
    last_fill: FillOut | None


class PurgeOut(BaseModel):
    """What ``DELETE /edge/titles/{title}`` dropped (0 files: the edge held none of it)."""

    title: str
    files: int
    bytes: int
