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
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelstack.bootstrap import Adapters
from reelstack.errors import NotFoundError, ReelstackError, UnavailableError
from reelstack.media import jobstore, subtitles
from reelstack.media.chunks import Chunk, keyframe_times, plan_chunks
from reelstack.media.encode import Rendition, encode_audio, encode_chunk, output_fps, renditions_for
from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.errors import FfmpegError
from reelstack.media.ffmpeg.options import Container, SafeInput
from reelstack.media.jobtypes import Job, JobState, ProgressEvent
from reelstack.media.ladder import LadderPlan
from reelstack.media.package import (
    ContentKey,
    PackagingError,
    SubtitleInput,
    VideoInput,
    package,
)
from reelstack.media.pertitle import plan_ladder
from reelstack.media.staging import (
    Pipeline,
    SourceCache,
    delete_prefix,
    download,
    ensure_key,
    publish_tree,
    task_folder,
    upload,
)
from reelstack.media.tasks import Task, enqueue, publish_event
from reelstack.media.validate import MediaRefused, ValidatedMedia, validate

log = logging.getLogger(__name__)

AUDIO_PART = "audio"
# Errors an attempt may hit that another attempt may not: ffmpeg dying, a
# store briefly unreachable, the disk, a damaged intermediate file.
RETRYABLE = (FfmpegError, UnavailableError, OSError, PackagingError, NotFoundError)
_TICK_S = 1.0


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


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def _fail(ctx: Context, job: Job, reason: str) -> None:
    if await jobstore.fail(ctx.adapters.sql, job.id, reason=reason):
        log.warning("job %s failed: %s", job.id, reason)
        await ctx.event(job, JobState.FAILED, job.progress, reason=reason)
        await _cleanup(ctx, job)


async def fail_job(ctx: Context, job_id: str, reason: str) -> None:
    """Fail a job from outside its steps (a step that keeps raising), with its event."""
    await _fail(ctx, await jobstore.load(ctx.adapters.sql, job_id), reason)


async def _cleanup(ctx: Context, job: Job) -> None:
    ctx.sources.drop(job.id)
    try:
        await delete_prefix(ctx.adapters.blob, ctx.pipeline.work_key(job.id))
    except ReelstackError as exc:
        log.warning("cannot delete the work files of job %s: %s", job.id, exc)


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
        await _part_step(ctx, job, task.part, task.slot)
    else:
        await _package_step(ctx, job)


# -- job: probe, plan, fan out ------------------------------------------------------


def _part_names(plan: dict[str, Any]) -> list[str]:
    names = [Chunk.from_json(c).name for c in plan["chunks"]]
    return [*names, AUDIO_PART] if plan["audio"] is not None else names


async def _fan_out(ctx: Context, job: Job) -> None:
    parts = await jobstore.load_parts(ctx.adapters.sql, job.id)
    assert job.plan is not None
    names = _part_names(job.plan)
    todo = [
        Task("part", job.id, name, slot)
        for slot, name in enumerate(names)
        if parts[name].state != jobstore.PART_DONE
    ]
    if todo:
        await enqueue(ctx.adapters.log, *todo)
    elif job.parts_done == job.parts_total:
        await enqueue(ctx.adapters.log, Task("package", job.id))


def _safe_source(path: Path, source: dict[str, Any]) -> SafeInput:
    """How the validated source is opened, at ``path`` (a task's own link to it)."""
    opened = source["open"]
    return SafeInput(
        path=path,
        container=Container(source["container"]),
        decoders=tuple(opened["decoders"]),
        max_streams=int(opened["max_streams"]),
        max_pixels=int(opened["max_pixels"]),
        probe_size=int(opened["probe_size"]),
        analyze_duration_us=int(opened["analyze_duration_us"]),
    )


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
    renditions = renditions_for(ladder, av1=av1, av1_ratio=pipeline.av1_ratio)
    fps = output_fps(media.video.fps)
    chunks = plan_chunks(
        media.duration_s,
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
        await _fail(
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
            keyframe_times, ctx.binaries, media.source, cwd=folder, limits=limits.run
        )
        await jobstore.move(db, job.id, states=(JobState.PROBING,), to=JobState.PLANNING)
        await ctx.event(job, JobState.PLANNING, 0.02)
        plan = await asyncio.to_thread(_make_plan, ctx, job, media, keyframes, folder, info.etag)
        if plan["encrypt"]:
            await ensure_key(ctx.adapters.blob, ctx.pipeline.key_blob(job.title_id))
    except MediaRefused as exc:
        await _fail(ctx, job, str(exc))
        return
    except RETRYABLE as exc:
        await _retry_step(ctx, job, Task("job", job.id), attempt, f"probing: {_reason(exc)}")
        return
    if await jobstore.start_encoding(db, job.id, plan=plan, part_names=_part_names(plan)):
        job = await jobstore.load(db, job.id)
        await ctx.event(job, JobState.ENCODING, job.progress)
    job = await jobstore.load(db, job.id)
    if job.state is JobState.ENCODING:
        await _fan_out(ctx, job)


async def _retry_step(ctx: Context, job: Job, task: Task, attempt: int, reason: str) -> None:
    if attempt >= ctx.pipeline.max_attempts:
        await _fail(ctx, job, reason)
        return
    log.warning("job %s attempt %d failed, retrying: %s", job.id, attempt, reason)
    await jobstore.note(ctx.adapters.sql, job.id, reason=reason)
    await enqueue(ctx.adapters.log, task)


# -- part: one chunk into every rendition, or the audio ------------------------------


@contextlib.asynccontextmanager
async def _ticking(ctx: Context, job: Job, part: str) -> AsyncIterator[Callable[[float], None]]:
    """A progress callback for a thread, whose latest value is published every second."""
    latest = [0.0]
    done_share = job.parts_done / max(1, job.parts_total)

    async def tick() -> None:
        sent = -1.0
        while True:
            await asyncio.sleep(_TICK_S)
            if latest[0] != sent:
                sent = latest[0]
                overall = 0.05 + 0.9 * (done_share + sent / max(1, job.parts_total))
                await ctx.event(
                    job, JobState.ENCODING, overall, part=part, part_progress=round(sent, 4)
                )

    def update(fraction: float) -> None:
        latest[0] = fraction

    ticker = asyncio.create_task(tick())
    try:
        yield update
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def _encode_part(
    ctx: Context, job: Job, part: str, attempt: int, folder: Path
) -> dict[str, Any]:
    plan = job.plan
    assert plan is not None
    info = await ctx.adapters.blob.stat(job.source_key)
    if info.etag != plan["source"]["etag"]:
        raise MediaRefused("changed", "the source changed after it was probed")
    cached = await ctx.sources.stage(ctx.adapters.blob, job.id, job.source_key, size=info.size)
    path = folder / "source"
    await asyncio.to_thread(_link, cached, path)
    src = _safe_source(path, plan["source"])
    limits = ctx.pipeline.limits.run
    files: dict[str, str] = {}
    async with _ticking(ctx, job, part) as on_progress:
        if part == AUDIO_PART:
            out = folder / "audio.mp4"
            await asyncio.to_thread(
                encode_audio,
                ctx.binaries,
                src,
                ctx.pipeline.encode,
                out=out,
                limits=limits,
                duration_s=float(plan["duration_s"]),
                on_progress=on_progress,
            )
            outputs = {AUDIO_PART: out}
        else:
            chunk = next(
                Chunk.from_json(c) for c in plan["chunks"] if Chunk.from_json(c).name == part
            )
            renditions = [Rendition.from_json(r) for r in plan["renditions"]]
            expected = chunk.duration_s or max(0.1, float(plan["duration_s"]) - chunk.start_s)
            outputs = await asyncio.to_thread(
                encode_chunk,
                ctx.binaries,
                src,
                chunk,
                renditions,
                ctx.pipeline.encode,
                out_dir=folder,
                limits=limits,
                expected_s=expected,
                on_progress=on_progress,
            )
    for name, file in outputs.items():
        key = ctx.pipeline.work_key(job.id, part, f"a{attempt}", f"{name}.mp4")
        await upload(ctx.adapters.blob, key, file)
        files[name] = key
    return {"files": files, "attempt": attempt, "worker": ctx.worker_id}


def _link(source: Path, target: Path) -> None:
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copyfile(source, target)


async def _part_step(ctx: Context, job: Job, part: str, slot: int) -> None:
    db = ctx.adapters.sql
    if job.state is not JobState.ENCODING:
        return  # done, being packaged, or over
    attempt = await jobstore.begin_part(db, job.id, part, worker=ctx.worker_id)
    if attempt is None:
        if job.parts_done == job.parts_total:
            await enqueue(ctx.adapters.log, Task("package", job.id))  # in case it was lost
        return
    if attempt > ctx.pipeline.max_attempts:
        parts = await jobstore.load_parts(db, job.id)
        last = parts[part].reason if part in parts else None
        await _fail(
            ctx, job, f"{part} gave up after {attempt - 1} attempts: {last or 'worker lost'}"
        )
        return
    folder = task_folder(ctx.work_root / "tasks")
    try:
        output = await _encode_part(ctx, job, part, attempt, folder)
    except MediaRefused as exc:
        await _fail(ctx, job, str(exc))
        return
    except RETRYABLE as exc:
        reason = f"{part}: {_reason(exc)}"
        await jobstore.part_failed(db, job.id, part, reason=reason)
        if attempt >= ctx.pipeline.max_attempts:
            await _fail(ctx, job, reason)
        else:
            log.warning("job %s %s attempt %d failed, retrying: %s", job.id, part, attempt, reason)
            await enqueue(ctx.adapters.log, Task("part", job.id, part, slot))
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    done = await jobstore.finish_part(db, job.id, part, output=output)
    if not done.won:
        for key in output["files"].values():
            await ctx.adapters.blob.delete(key)
        return
    progress = 0.05 + 0.9 * done.parts_done / max(1, done.parts_total)
    await ctx.event(job, JobState.ENCODING, progress, part=part, part_progress=1.0)
    if done.last:
        await enqueue(ctx.adapters.log, Task("package", job.id))


# -- package: join, package, publish -----------------------------------------------------


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
    packaged = await asyncio.to_thread(
        package,
        ctx.binaries,
        videos=videos,
        audio=audio,
        out_dir=out_dir,
        work_dir=folder,
        segment_s=float(plan["segment_s"]),
        limits=ctx.pipeline.limits.run,
        audio_language=plan["audio"]["language"] if plan["audio"] else "",
        subtitles=subs,
        key=key,
        expected_s=float(plan["duration_s"]),
    )
    prefix = ctx.pipeline.output_root(job.title_id, job.id)
    await publish_tree(ctx.adapters.blob, out_dir, prefix, packaged.files)
    manifest = f"{prefix}/{packaged.manifest}" if packaged.manifest else None
    return prefix, f"{prefix}/{packaged.master}", manifest


async def _package_step(ctx: Context, job: Job) -> None:
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
        await _fail(
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
        await _fail(ctx, job, str(exc))
        return
    except RETRYABLE as exc:
        await _retry_step(ctx, job, Task("package", job.id), attempt, f"packaging: {_reason(exc)}")
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if await jobstore.publish(
        db, job.id, output_prefix=prefix, master_key=master, manifest_key=manifest
    ):
        job = await jobstore.load(db, job.id)
        log.info("job %s published at %s", job.id, master)
        await ctx.event(job, JobState.PUBLISHED, 1.0)
        await _cleanup(ctx, job)
