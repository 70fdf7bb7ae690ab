"""Types of the encoding pipeline's jobs: states, requests, stored jobs, progress events.

See :mod:`.jobs` for the API that uses them.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from reelstack.errors import InvalidRequestError
from reelstack.media.ladder.plan import Rung
from reelstack.media.source.subtitles import check_language

TASKS_TOPIC = "media.tasks"
PROGRESS_TOPIC = "media.progress"
WORKER_GROUP = "media-workers"
PROGRESS_PARTITIONS = 4
# Progress events are for watching jobs, not for replaying history.
PROGRESS_RETENTION_MS = 3 * 24 * 3600 * 1000


class JobState(StrEnum):
    """Where a job is in the pipeline."""

    QUEUED = "queued"
    PROBING = "probing"
    PLANNING = "planning"
    ENCODING = "encoding"
    PACKAGING = "packaging"
    PUBLISHED = "published"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """Whether the job is over."""
        return self in (JobState.PUBLISHED, JobState.FAILED)


@dataclass(frozen=True, slots=True)
class SubtitleSource:
    """A subtitle file (SubRip or WebVTT) in the blob store, and its language."""

    key: str
    language: str
    """BCP 47 tag, e.g. ``en`` or ``pt-BR``."""
    label: str = ""
    """Name shown in players; the language's name when empty."""
    default: bool = False
    forced: bool = False


@dataclass(frozen=True, slots=True)
class EncodeRequest:
    """How to encode one title; None fields take the ``media.*`` settings."""

    ladder: str | None = None
    """``fixed`` or ``pertitle`` (media.ladder_mode when None)."""
    rungs: tuple[Rung, ...] = ()
    """An explicit ladder (sizes and bitrates) instead of a planned one."""
    av1: bool | None = None
    """Also encode AV1 renditions (media.av1_enabled when None)."""
    encrypt: bool | None = None
    """Encrypt HLS segments with the title's AES-128 key (media.encrypt when None)."""
    subtitles: tuple[SubtitleSource, ...] = ()
    audio_language: str = ""
    """Language of the audio (the source's tag when empty)."""

    def __post_init__(self) -> None:
        if self.ladder not in (None, "fixed", "pertitle"):
            raise InvalidRequestError(f"ladder must be fixed or pertitle, not {self.ladder!r}")
        for rung in self.rungs:
            if rung.width % 2 or rung.height % 2 or rung.width <= 0 or rung.bitrate_kbps <= 0:
                raise InvalidRequestError(f"bad rung {rung}: even positive sizes and a bitrate")
        for sub in self.subtitles:
            check_language(sub.language)
        if self.audio_language:
            check_language(self.audio_language)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, stored with the job."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EncodeRequest:
        """Rebuild from :meth:`to_json`."""
        return cls(
            ladder=data.get("ladder"),
            rungs=tuple(Rung(**r) for r in data.get("rungs") or ()),
            av1=data.get("av1"),
            encrypt=data.get("encrypt"),
            subtitles=tuple(SubtitleSource(**s) for s in data.get("subtitles") or ()),
            audio_language=str(data.get("audio_language") or ""),
        )


@dataclass(frozen=True, slots=True)
class Job:
    """An encoding job as stored."""

    id: str
    title_id: str
    source_key: str
    state: JobState
    request: EncodeRequest
    parts_total: int = 0
    parts_done: int = 0
    step_attempts: int = 0
    reason: str | None = None
    plan: dict[str, Any] | None = None
    """The ladder, renditions, chunks and source facts, once planned."""
    output_prefix: str | None = None
    master_key: str | None = None
    """Blob key of the HLS master playlist, once published."""
    manifest_key: str | None = None
    """Blob key of the DASH MPD, once published (None for an encrypted title)."""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def progress(self) -> float:
        """Share done, from the stored state (events carry finer progress)."""
        if self.state is JobState.PUBLISHED:
            return 1.0
        if self.state is JobState.PACKAGING:
            return 0.95
        if self.state is JobState.ENCODING and self.parts_total:
            return 0.05 + 0.9 * self.parts_done / self.parts_total
        return 0.0 if self.state is JobState.QUEUED else 0.02


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One event on ``media.progress``: a transition, or how far a part has got."""

    job_id: str
    title_id: str
    state: JobState
    progress: float
    """The whole job's share done, 0 to 1."""
    part: str | None = None
    """The chunk (``c0003``) or ``audio`` this event is about, if any."""
    part_progress: float | None = None
    reason: str | None = None
    at_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    worker: str | None = None

    def encode(self) -> bytes:
        """The event as the log stores it."""
        data = asdict(self)
        data["state"] = self.state.value
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> ProgressEvent:
        """Read an event from the log."""
        data = json.loads(raw)
        data["state"] = JobState(data["state"])
        return cls(**data)
