"""What the media worker's steps share: their context, and how a step fails or retries.

See :mod:`.steps` for the steps themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelstack.bootstrap import Adapters
from reelstack.errors import NotFoundError, ReelstackError, UnavailableError
from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.errors import FfmpegError
from reelstack.media.packaging.package import PackagingError
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline.jobtypes import Job, JobState, ProgressEvent
from reelstack.media.pipeline.staging import Pipeline, SourceCache, delete_prefix
from reelstack.media.pipeline.tasks import Task, enqueue, publish_event

log = logging.getLogger("reelstack.media.pipeline.steps")

AUDIO_PART = "audio"
# Errors an attempt may hit that another attempt may not: ffmpeg dying, a
# store briefly unreachable, the disk, a damaged intermediate file.
RETRYABLE = (FfmpegError, UnavailableError, OSError, PackagingError, NotFoundError)


@dataclass
class Context:
    """What a worker's steps share."""

    adapters: Adapters
    binaries: Binaries
    pipeline: Pipeline
    worker_id: str
    work_root: Path

    def __post_init__(self) -> None:
        self.sources = SourceCache(self.work_root / "sources")

    async def event(self, job: Job, state: JobState, progress: float, **extra: Any) -> None:
        """Publish a progress event; a log outage only costs the event."""
        try:
            await publish_event(
                self.adapters.log,
                ProgressEvent(
                    job.id, job.title_id, state, round(progress, 4), worker=self.worker_id, **extra
                ),
            )
        except ReelstackError as exc:
            log.warning("cannot publish progress of job %s: %s", job.id, exc)


def reason_of(exc: BaseException) -> str:
    """An error's message for a job's reason (ffmpeg's includes its stderr tail)."""
    return str(exc) or type(exc).__name__


async def fail(ctx: Context, job: Job, reason: str) -> None:
    """Fail an unfinished job with ``reason``: once, with its event, its work files deleted."""
    if await jobstore.fail(ctx.adapters.sql, job.id, reason=reason):
        log.warning("job %s failed: %s", job.id, reason)
        await ctx.event(job, JobState.FAILED, job.progress, reason=reason)
        await cleanup(ctx, job)


async def fail_job(ctx: Context, job_id: str, reason: str) -> None:
    """Fail a job from outside its steps (a step that keeps raising), with its event."""
    await fail(ctx, await jobstore.load(ctx.adapters.sql, job_id), reason)


async def cleanup(ctx: Context, job: Job) -> None:
    """Drop a finished job's local source and its private work files in the blob store."""
    ctx.sources.drop(job.id)
    try:
        await delete_prefix(ctx.adapters.blob, ctx.pipeline.work_key(job.id))
    except ReelstackError as exc:
        log.warning("cannot delete the work files of job %s: %s", job.id, exc)


async def retry_step(ctx: Context, job: Job, task: Task, attempt: int, reason: str) -> None:
    """Queue ``task`` again after a failed attempt, or fail the job after the last one."""
    if attempt >= ctx.pipeline.max_attempts:
        await fail(ctx, job, reason)
        return
    log.warning("job %s attempt %d failed, retrying: %s", job.id, attempt, reason)
    await jobstore.note(ctx.adapters.sql, job.id, reason=reason)
    await enqueue(ctx.adapters.log, task)
