"""The ``job`` step: probe and validate the source, plan the ladder and the chunks, fan out.

See :mod:`.steps`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from reelstack.media.ffmpeg.probe import keyframe_times
from reelstack.media.ladder.plan import LadderPlan
from reelstack.media.ladder.planner import plan_ladder
from reelstack.media.ladder.renditions import renditions_for
from reelstack.media.packaging.chunks import Chunk, plan_chunks
from reelstack.media.packaging.encode import output_fps
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline.jobtypes import Job, JobState
from reelstack.media.pipeline.staging import ensure_key
from reelstack.media.pipeline.stepctx import (
    AUDIO_PART,
    RETRYABLE,
    Context,
    fail,
    reason_of,
    retry_step,
)
from reelstack.media.pipeline.tasks import Task, enqueue
from reelstack.media.source.validate import MediaRefused, ValidatedMedia, validate

log = logging.getLogger("reelstack.media.pipeline.steps")


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


async def job_step(ctx: Context, job: Job, task: Task) -> None:
    """Probe, validate and plan the job's source, then fan out a task per part."""
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
