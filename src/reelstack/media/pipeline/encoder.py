"""The media service's seam to the encoding pipeline (:mod:`.jobs`).

The service submits one job per validated title and later asks how it went;
workers in other processes do the work. :class:`Encoder` is all the service
needs, so tests run it with a fake and the pipeline can change behind it.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from reelstack.bootstrap import Adapters
from reelstack.errors import UnavailableError

FINAL_STATES = frozenset({"done", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class JobView:
    """An encoding job as the media service sees it."""

    id: str
    title_id: str
    state: str
    """queued, running, done, failed (or cancelled)."""
    progress: float = 0.0
    reason: str | None = None
    master_key: str | None = None
    """Blob key of the HLS master playlist, once published."""
    dash_key: str | None = None
    rungs: list[dict[str, Any]] = field(default_factory=list)
    """Each rung's bitrate_kbps, width, height, vmaf (and codec)."""
    step: str | None = None
    """The pipeline's own state (probing, planning, encoding, packaging, ...)."""
    parts_total: int = 0
    parts_done: int = 0
    parts: list[dict[str, Any]] = field(default_factory=list)
    """Each chunk's (and the audio's) name, state and attempts, once encoding began."""

    @property
    def final(self) -> bool:
        """Whether the job will not change any more."""
        return self.state in FINAL_STATES

    def as_dict(self) -> dict[str, Any]:
        """Return the view as JSON-ready data."""
        return {
            "id": self.id,
            "title_id": self.title_id,
            "state": self.state,
            "progress": self.progress,
            "reason": self.reason,
            "master_key": self.master_key,
            "dash_key": self.dash_key,
            "rungs": self.rungs,
            "step": self.step,
            "parts_total": self.parts_total,
            "parts_done": self.parts_done,
            "parts": self.parts,
        }


class Encoder(Protocol):
    """Submit encoding jobs and read their state."""

    async def submit(
        self,
        *,
        title_id: str,
        source_key: str,
        options: Mapping[str, Any],
        job_id: str | None = None,
    ) -> JobView:
        """Start encoding the source at ``source_key`` into ``title_id``'s ladder.

        With ``job_id`` (32 hex digits) submitting again returns the same job.
        """
        ...

    async def get(self, job_id: str) -> JobView:
        """Return a job's state; NotFoundError if unknown."""
        ...


# The pipeline's job states, as the service's: published is done.
_STATES = {"published": "done"}


def _value(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value.value if isinstance(value, Enum) else value
    return default


def _rung(rung: Any) -> dict[str, Any]:
    return {
        "bitrate_kbps": _value(rung, "bitrate_kbps", "kbps"),
        "width": _value(rung, "width"),
        "height": _value(rung, "height"),
        "vmaf": _value(rung, "vmaf"),
        "codec": _value(rung, "codec", default="h264"),
    }


def _rungs(job: Any) -> list[dict[str, Any]]:
    plan = _value(job, "plan") or {}
    found = _value(job, "rungs") or _value(plan, "rungs", "ladder", "renditions") or []
    if isinstance(found, Mapping):
        found = _value(found, "rungs", default=[])
    return [_rung(r) for r in found if isinstance(r, Mapping) or hasattr(r, "width")]


def job_view(job: Any) -> JobView:
    """Read a pipeline job (dataclass or mapping) as a :class:`JobView`."""
    state = str(_value(job, "state", "status", default="queued")).lower()
    return JobView(
        id=str(_value(job, "id", "job_id")),
        title_id=str(_value(job, "title_id", default="")),
        state=_STATES.get(state, state),
        progress=float(_value(job, "progress", default=0.0)),
        reason=_value(job, "reason", "error"),
        master_key=_value(job, "master_key"),
        dash_key=_value(job, "manifest_key", "dash_key"),
        rungs=_rungs(job),
        step=state,
        parts_total=int(_value(job, "parts_total", default=0)),
        parts_done=int(_value(job, "parts_done", default=0)),
    )


class PipelineEncoder:
    """The encoder backed by :mod:`.jobs` on the process's adapters."""

    def __init__(self, adapters: Adapters) -> None:
        self.adapters = adapters

    @staticmethod
    def _module(name: str) -> Any:
        try:
            return importlib.import_module(f"reelstack.media.pipeline.{name}")
        except ImportError as exc:
            raise UnavailableError(f"the encoding pipeline is not available: {exc}") from exc

    async def prepare(self) -> None:
        """Create the pipeline's tables and topics (safe to repeat)."""
        await self._module("jobs").prepare(adapters=self.adapters)

    async def submit(
        self,
        *,
        title_id: str,
        source_key: str,
        options: Mapping[str, Any],
        job_id: str | None = None,
    ) -> JobView:
        types = self._module("jobtypes")
        request = types.EncodeRequest(
            subtitles=tuple(
                types.SubtitleSource(key=s["key"], language=s["language"])
                for s in options.get("subtitles", ())
            )
        )
        job = await self._module("jobs").submit(
            adapters=self.adapters,
            title_id=title_id,
            source_key=source_key,
            options=request,
            job_id=job_id,
        )
        return job_view(job)

    async def get(self, job_id: str) -> JobView:
        jobs = self._module("jobs")
        job = await jobs.get(adapters=self.adapters, job_id=job_id)
        view = job_view(job)
        found = await jobs.parts_of(adapters=self.adapters, job_id=job_id)
        parts = [{"part": p.part, "state": p.state, "attempts": p.attempts} for p in found]
        return dataclasses.replace(view, parts=parts)

    async def follow(self, job_id: str) -> AsyncIterator[JobView]:
        """The job's progress events from ``media.progress``, ending with the final job."""
        async for event in self._module("jobs").follow(adapters=self.adapters, job_id=job_id):
            view = job_view(event)
            if view.final:
                break
            yield JobView(job_id, view.title_id, view.state, view.progress, view.reason)
        yield await self.get(job_id)
