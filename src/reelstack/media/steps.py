"""The three steps a media worker runs, each safe to run again.

- ``job``: count an attempt (queued/probing/planning -> probing), fetch and
  validate the source, list its keyframes, plan the ladder and the chunks,
  then (planning -> encoding) store the plan and create one part per chunk
  plus one for the audio, and queue a task per part not done.
- ``part``: count an attempt at the part, encode it (one chunk into every
  rendition, or the whole audio), upload the outputs under a key naming the
  attempt, then record the part done: the first attempt to do so wins, a
  later one deletes its outputs. Whoever completes the last part queues
  ``package``.
- ``package``: (encoding, all parts done -> packaging) fetch the winning
  outputs, join and package them, publish every file through the blob store,
  the master playlist last, then (packaging -> published).

A step that finds the job past it does nothing, but re-queues what may have
been lost with a worker killed between a transition and its follow-up
append. A failed attempt is retried by queuing the task again, up to
``media.max_attempts``; the last failure fails the job with ffmpeg's reason.
An upload refused by validation fails at once: retrying cannot help.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from reelstack.errors import NotFoundError
from reelstack.media import jobstore
from reelstack.media.ffmpeg.probe import keyframe_times
from reelstack.media.jobtypes import Job, JobState
from reelstack.media.ladder.plan import LadderPlan
from reelstack.media.ladder.planner import plan_ladder
from reelstack.media.ladder.renditions import renditions_for
from reelstack.media.packaging.chunks import Chunk, plan_chunks
from reelstack.media.packaging.encode import output_fps
from reelstack.media.source.validate import MediaRefused, ValidatedMedia, validate
from reelstack.media.staging import ensure_key
from reelstack.media.step_package import package_step
from reelstack.media.step_part import part_step
from reelstack.media.stepctx import (
    AUDIO_PART,
    RETRYABLE,
    Context,
    fail,
    fail_job,
    reason_of,
    retry_step,
)
from reelstack.media.tasks import Task, enqueue

__all__ = ["AUDIO_PART", "Context", "fail_job", "run_task"]

log = logging.getLogger(__name__)


async def run_task(ctx: Context, task: Task) -> None:
    """Run one task to its end: done, retried (queued again), or the job failed."""
    try:
        job = await jobstore.load(ctx.adapters.sql, task.job_id)
    except NotFoundError:
        log.warning("task for unknown job %s dropped", task.job_id)
        return
    if task.kind == "job":
        await _job_step(ctx, job)
    elif task.kind == "part":
        assert task.part is not None
        await part_step(ctx, job, task.part, task.slot)
    else:
        await package_step(ctx, job)


# -- job: probe, plan, fan out ------------------------------------------------------


def _part_names(plan: dict[str, Any]) -> list[str]:
    names = [Chunk.from_json(c).name for c in plan["chunks"]]
    return [*names, AUDIO_PART] if plan["audio"] is not None else names


async def _fan_out(ctx: Context, job: Job) -> None:
    parts = await jobstore.load_parts(ctx.adapters.sql, job.id)
    assert job.plan is not None
    names = _part_names(job.plan)
    first = await jobstore.ordinal(ctx.adapters.sql, job)
    todo = [
        Task("part", job.id, name, first + index)
        for index, name in enumerate(names)
        if parts[name].state != jobstore.PART_DONE
    ]
    if todo:
        await enqueue(ctx.adapters.log, *todo)
    elif job.parts_done == job.parts_total:
        await enqueue(ctx.adapters.log, Task("package", job.id))


def _make_plan(
    ctx: Context, job: Job, media: ValidatedMedia, keyframes: list[float], folder: Path, etag: str
) -> dict[str, Any]:
    pipeline = ctx.pipeline
    request = job.request
    width, height = media.display_size
    if request.rungs:
        ladder = LadderPlan("explicit", request.rungs, width, height)
    else:
        ladder = plan_ladder(
            media,
            mode=request.ladder or pipeline.ladder_mode,
            job_dir=folder,
            binaries=ctx.binaries,
            trial_config=pipeline.trials,
            bounds=pipeline.bounds,
            limits=pipeline.limits.run,
        )
    av1 = pipeline.av1 if request.av1 is None else request.av1
    renditions = renditions_for(ladder, av1_ratio=pipeline.av1_ratio if av1 else None)
    fps = output_fps(media.video.fps)
    chunks = plan_chunks(
        # The video's own length: a longer audio track must not add an empty chunk.
        media.video.duration_s or media.duration_s,
        fps,
        segment_s=pipeline.segment_s,
        chunk_s=pipeline.chunk_s,
        keyframes=keyframes,
    )
    audio = media.probe.audio_streams[0] if media.probe.audio_streams else None
    return {
        "ladder": ladder.to_metadata(),
        "renditions": [r.to_json() for r in renditions],
        "chunks": [c.to_json() for c in chunks],
        "fps": f"{fps.numerator}/{fps.denominator}",
        "duration_s": media.duration_s,
        "segment_s": pipeline.segment_s,
        "source": {
            "container": media.container.value,
            "open": {
                "decoders": list(media.source.decoders),
                "max_streams": media.source.max_streams,
                "max_pixels": media.source.max_pixels,
                "probe_size": media.source.probe_size,
                "analyze_duration_us": media.source.analyze_duration_us,
            },
            "etag": etag,
            "size": media.size_bytes,
            "width": width,
            "height": height,
        },
        "audio": None
        if audio is None
        else {"language": request.audio_language or _language(audio.language)},
        "encrypt": pipeline.encrypt if request.encrypt is None else request.encrypt,
    }


def _language(tag: str) -> str:
    # Matroska and MP4 store ISO 639-2 codes; "und" means unknown.
    return "" if tag in ("", "und") else tag


async def _job_step(ctx: Context, job: Job) -> None:
    db = ctx.adapters.sql
    if job.state is JobState.ENCODING:
        await _fan_out(ctx, job)  # a redelivered task: the fan-out may not have happened
        return
    attempt = await jobstore.begin_step(
        db,
        job.id,
        states=(JobState.QUEUED, JobState.PROBING, JobState.PLANNING),
        to=JobState.PROBING,
    )
    if attempt is None:
        return
    if attempt > ctx.pipeline.max_attempts:
        await fail(
            ctx, job, f"probing gave up after {attempt - 1} attempts: {job.reason or 'worker lost'}"
        )
        return
    await ctx.event(job, JobState.PROBING, 0.01)
    try:
        info = await ctx.adapters.blob.stat(job.source_key)
        path = await ctx.sources.stage(ctx.adapters.blob, job.id, job.source_key, size=info.size)
        folder = path.parent
        limits = ctx.pipeline.limits
        media = await asyncio.to_thread(
            validate, path, job_dir=folder, limits=limits, binaries=ctx.binaries
        )
        keyframes = await asyncio.to_thread(
            keyframe_times, ctx.binaries.ffprobe, media.source, cwd=folder, limits=limits.run
        )
        await jobstore.move(db, job.id, states=(JobState.PROBING,), to=JobState.PLANNING)
        await ctx.event(job, JobState.PLANNING, 0.02)
        plan = await asyncio.to_thread(_make_plan, ctx, job, media, keyframes, folder, info.etag)
        if plan["encrypt"]:
            await ensure_key(ctx.adapters.blob, ctx.pipeline.key_blob(job.title_id))
    except MediaRefused as exc:
        await fail(ctx, job, str(exc))
        return
    except RETRYABLE as exc:
        await retry_step(ctx, job, Task("job", job.id), attempt, f"probing: {reason_of(exc)}")
        return
    if await jobstore.start_encoding(db, job.id, plan=plan, part_names=_part_names(plan)):
        job = await jobstore.load(db, job.id)
        await ctx.event(job, JobState.ENCODING, job.progress)
    job = await jobstore.load(db, job.id)
    if job.state is JobState.ENCODING:
        await _fan_out(ctx, job)
