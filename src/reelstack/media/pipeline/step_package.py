"""The ``package`` step: join the parts, package them, publish the title.

See :mod:`.steps`.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from fractions import Fraction
from pathlib import Path

from reelstack.media.ladder.renditions import Rendition
from reelstack.media.packaging.chunks import Chunk
from reelstack.media.packaging.encryption import ContentKey
from reelstack.media.packaging.package import PackageRequest, SubtitleInput, VideoInput, package
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline.jobtypes import Job, JobState
from reelstack.media.pipeline.staging import download, publish_tree, task_folder
from reelstack.media.pipeline.stepctx import (
    AUDIO_PART,
    RETRYABLE,
    Context,
    cleanup,
    fail,
    reason_of,
    retry_step,
)
from reelstack.media.pipeline.tasks import Task
from reelstack.media.source import subtitles
from reelstack.media.source.validate import MediaRefused

log = logging.getLogger("reelstack.media.pipeline.steps")


async def _subtitle_inputs(ctx: Context, job: Job, duration_s: float) -> list[SubtitleInput]:
    out = []
    for sub in job.request.subtitles:
        data = await ctx.adapters.blob.read(sub.key)
        webvtt = await asyncio.to_thread(subtitles.convert, data, duration_s=duration_s)
        out.append(SubtitleInput(sub.language, sub.label, webvtt, sub.default, sub.forced))
    return out


async def _package_in(ctx: Context, job: Job, folder: Path) -> tuple[str, str, str | None]:
    plan = job.plan
    assert plan is not None
    parts = await jobstore.load_parts(ctx.adapters.sql, job.id)
    chunks = [Chunk.from_json(c) for c in plan["chunks"]]
    renditions = [Rendition.from_json(r) for r in plan["renditions"]]
    fps = Fraction(plan["fps"])
    videos = []
    for rendition in renditions:
        files = []
        for chunk in chunks:
            output = parts[chunk.name].output
            assert output is not None
            dest = folder / "chunks" / rendition.name / f"{chunk.name}.mp4"
            files.append(await download(ctx.adapters.blob, output["files"][rendition.name], dest))
        videos.append(
            VideoInput(rendition.name, tuple(files), tuple(c.duration_s for c in chunks), fps)
        )
    audio = None
    if plan["audio"] is not None:
        output = parts[AUDIO_PART].output
        assert output is not None
        audio = await download(ctx.adapters.blob, output["files"][AUDIO_PART], folder / "audio.mp4")
    key = None
    if plan["encrypt"]:
        secret = await ctx.adapters.blob.read(ctx.pipeline.key_blob(job.title_id))
        key = ContentKey(secret, ctx.pipeline.key_uri(job.title_id))
    subs = await _subtitle_inputs(ctx, job, float(plan["duration_s"]))
    out_dir = folder / "out"
    out_dir.mkdir(mode=0o700)
    request = PackageRequest(
        videos=tuple(videos),
        audio=audio,
        out_dir=out_dir,
        work_dir=folder,
        segment_s=float(plan["segment_s"]),
        audio_language=plan["audio"]["language"] if plan["audio"] else "",
        subtitles=tuple(subs),
        key=key,
        expected_s=float(plan["duration_s"]),
    )
    packaged = await asyncio.to_thread(
        package, request, binaries=ctx.binaries, limits=ctx.pipeline.limits.run
    )
    prefix = ctx.pipeline.output_root(job.title_id, job.id)
    await publish_tree(ctx.adapters.blob, out_dir, prefix, packaged.files)
    manifest = f"{prefix}/{packaged.manifest}" if packaged.manifest else None
    return prefix, f"{prefix}/{packaged.master}", manifest


async def package_step(ctx: Context, job: Job, task: Task) -> None:
    """Join and package the job's parts, publish the files, mark the job published."""
    db = ctx.adapters.sql
    if job.state not in (JobState.ENCODING, JobState.PACKAGING):
        return
    attempt = await jobstore.begin_step(
        db,
        job.id,
        states=(JobState.ENCODING, JobState.PACKAGING),
        to=JobState.PACKAGING,
        parts_done=True,
    )
    if attempt is None:
        return
    if attempt > ctx.pipeline.max_attempts:
        await fail(
            ctx,
            job,
            f"packaging gave up after {attempt - 1} attempts: {job.reason or 'worker lost'}",
        )
        return
    job = await jobstore.load(db, job.id)
    await ctx.event(job, JobState.PACKAGING, 0.95)
    folder = task_folder(ctx.work_root / "tasks")
    try:
        prefix, master, manifest = await _package_in(ctx, job, folder)
    except MediaRefused as exc:
        await fail(ctx, job, str(exc))
        return
    except RETRYABLE as exc:
        await retry_step(ctx, job, Task("package", job.id), attempt, f"packaging: {reason_of(exc)}")
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if await jobstore.publish(
        db, job.id, output_prefix=prefix, master_key=master, manifest_key=manifest
    ):
        job = await jobstore.load(db, job.id)
        log.info("job %s published at %s", job.id, master)
        await ctx.event(job, JobState.PUBLISHED, 1.0)
        await cleanup(ctx, job)
