"""API shapes of the media service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from reelstack.media.context import MediaContext
from reelstack.media.models import Title, public_reason
from reelstack.media.pipeline.encoder import JobView


class RungOut(BaseModel):
    bitrate_kbps: int | None = None
    width: int | None = None
    height: int | None = None
    vmaf: float | None = None
    codec: str = "h264"


class TitleOut(BaseModel):
    id: str
    name: str
    synopsis: str
    genres: list[str]
    maturity_rating: str
    kind: str
    series: str | None
    season: int | None
    episode: int | None
    state: str
    reason: str | None
    job_id: str | None
    duration_s: float | None
    master_url: str | None
    dash_url: str | None
    poster_url: str | None
    backdrop_url: str | None
    trickplay_url: str | None
    subtitles: list[str]
    intro_start_s: float | None
    intro_end_s: float | None
    credits_start_s: float | None
    rungs: list[RungOut]
    source: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, title: Title, ctx: MediaContext, *, studio: bool = True) -> TitleOut:
        """The API view of a stored title; without ``studio``, its reason shows no paths."""
        return cls(
            id=title.id,
            name=title.name,
            synopsis=title.synopsis,
            genres=title.genres,
            maturity_rating=title.maturity_rating,
            kind=title.kind.value,
            series=title.series,
            season=title.season,
            episode=title.episode,
            state=title.state.value,
            reason=title.reason if studio else public_reason(title.reason),
            job_id=title.job_id,
            duration_s=title.duration_s,
            master_url=title.master_url,
            dash_url=title.dash_url,
            poster_url=ctx.url_for(title.poster_key),
            backdrop_url=ctx.url_for(title.backdrop_key),
            trickplay_url=ctx.url_for(title.trickplay_key),
            subtitles=[str(s.get("language")) for s in title.subtitles],
            intro_start_s=title.intro_start_s,
            intro_end_s=title.intro_end_s,
            credits_start_s=title.credits_start_s,
            rungs=[RungOut(**r) for r in title.rungs],
            source=title.probe,
            created_at=title.created_at,
            updated_at=title.updated_at,
        )


class TitlesOut(BaseModel):
    count: int
    """Titles on this page."""
    titles: list[TitleOut]
    next_cursor: str | None = None
    """Pass as ``cursor`` for the next page; None on the last one."""


class PartOut(BaseModel):
    part: str
    """A chunk (``c0003``) or ``audio``."""
    state: str
    """pending, running or done."""
    attempts: int


class JobOut(BaseModel):
    id: str
    title_id: str
    state: str
    progress: float
    reason: str | None
    master_url: str | None
    dash_url: str | None
    rungs: list[RungOut]
    step: str | None = None
    """The pipeline's step: queued, probing, planning, encoding, packaging, published, failed."""
    parts_total: int = 0
    parts_done: int = 0
    parts: list[PartOut] = []

    @classmethod
    def of(cls, job: JobView, ctx: MediaContext) -> JobOut:
        """The API view of an encoding job."""
        return cls(
            id=job.id,
            title_id=job.title_id,
            state=job.state,
            progress=round(job.progress, 4),
            reason=job.reason,
            master_url=ctx.url_for(job.master_key),
            dash_url=ctx.url_for(job.dash_key),
            rungs=[RungOut(**r) for r in job.rungs],
            step=job.step,
            parts_total=job.parts_total,
            parts_done=job.parts_done,
            parts=[PartOut(**p) for p in job.parts],
        )


class UploadOut(BaseModel):
    id: str
    offset: int
    length: int
    title_id: str | None
    title_state: str | None
