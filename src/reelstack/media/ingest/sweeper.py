"""Turn a finished upload into a title: validate, keep the source, encode, extras.

Whichever media instance claims the title does the work (a lease in the
titles table, renewed while it works, so a crashed instance's title is taken
over by another after the lease). In order: the upload is staged in a
private job folder, stored in the blob store as the title's source (kept even
when refused, for inspection, until the title is deleted), validated, and
either refused with the reason or handed to the encoding pipeline (one job
per upload, whichever instance submits it). Then, while the workers encode,
this instance makes the trickplay track, the artwork (unless some was
uploaded) and, for an episode, the audio fingerprints, and runs intro
detection over the episode's season; if it dies before it is done, another
instance makes them from the kept source once the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import NotFoundError, ReelstackError, UnavailableError
from reelstack.media import repository
from reelstack.media.context import MediaContext, source_key
from reelstack.media.ffmpeg.runner import make_job_folder
from reelstack.media.ingest.extras import file_chunks, make_extras, set_title
from reelstack.media.models import Title, TitleState
from reelstack.media.service import upload_written
from reelstack.media.source.validate import MediaRefused, ValidatedMedia, stage_upload, validate

log = logging.getLogger(__name__)

LEASE_S = 120.0
_JOB_IDS = uuid.UUID("6f1c2a4e-9d3b-4c1a-8e55-0b7d2f6a9c31")  # namespace of ingest's job ids


@contextlib.asynccontextmanager
async def _holding(ctx: MediaContext, title_id: str) -> AsyncIterator[None]:
    """Renew this instance's claim on a title while the block runs, release it after."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            with contextlib.suppress(ReelstackError):
                await set_title(ctx, title_id, claimed_until=time.time() + LEASE_S)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

        async def release(session: AsyncSession) -> None:
            await repository.release(session, title_id, owner=ctx.owner)

        await ctx.db.transaction(release)


def probe_summary(media: ValidatedMedia) -> dict[str, Any]:
    """What the title page and operators want to know of the source."""
    video = media.video
    width, height = media.display_size
    return {
        "container": media.container.value,
        "size_bytes": media.size_bytes,
        "duration_s": round(media.duration_s, 3),
        "video": {
            "codec": video.codec_name,
            "width": video.width,
            "height": video.height,
            "display_width": width,
            "display_height": height,
            "fps": float(video.fps) if video.fps else None,
            "pix_fmt": video.pix_fmt,
        },
        "audio": [
            {
                "codec": a.codec_name,
                "channels": a.channels,
                "sample_rate": a.sample_rate,
                "language": a.language,
            }
            for a in media.probe.audio_streams
        ],
        "subtitle_streams": sum(1 for s in media.probe.streams if s.codec_type == "subtitle"),
    }


async def process(ctx: MediaContext, title_id: str) -> Title:
    """Take a finished upload all the way to an encoding job (or a refusal)."""
    title = await _get(ctx, title_id)
    if title.state not in (TitleState.UPLOADED, TitleState.VALIDATING):
        return title
    upload_id = title.upload_id
    if upload_id is None:
        raise NotFoundError(f"title {title_id} has no upload")
    await set_title(ctx, title_id, state=TitleState.VALIDATING)
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    job_dir = make_job_folder(ctx.work_dir, prefix=f"ingest-{title_id}-")
    try:
        key = source_key(title_id)
        upload = ctx.uploads.data_path(upload_id)
        if await asyncio.to_thread(upload.exists):
            staged = stage_upload(upload, job_dir)
            # The bytes are kept before anything can refuse them.
            await ctx.blob.put(key, file_chunks(staged), content_type="application/octet-stream")
            await set_title(ctx, title_id, source_key=key)
        elif title.source_key is not None:
            # A retry after the upload was handed over: the kept source has it.
            staged = job_dir / "source"
            await _download(ctx, title.source_key, staged)
        else:
            raise NotFoundError(f"the bytes of title {title_id} are gone (upload {upload_id})")
        try:
            media = await asyncio.to_thread(
                validate, staged, job_dir=job_dir, limits=ctx.limits, binaries=ctx.binaries
            )
        except MediaRefused as exc:
            log.info("title %s refused: %s", title_id, exc)
            await set_title(
                ctx, title_id, state=TitleState.REFUSED, reason=f"{exc.code}: {exc.reason}"
            )
            ctx.uploads.delete(upload_id)
            return await _get(ctx, title_id)
        await set_title(ctx, title_id, duration_s=media.duration_s, probe=probe_summary(media))
        title = await _get(ctx, title_id)
        # One job per upload, whoever submits it: an instance that died after
        # submitting and before recording the job leaves the title to another
        # instance, which gets the same job back instead of encoding twice.
        job = await ctx.encoder.submit(
            title_id=title_id,
            source_key=key,
            options={"subtitles": title.subtitles},
            job_id=uuid.uuid5(_JOB_IDS, f"{title_id}/{upload_id}").hex,
        )
        await set_title(ctx, title_id, state=TitleState.ENCODING, job_id=job.id)
        ctx.uploads.delete(upload_id)
        await make_extras(ctx, title, media, job_dir)
        await set_title(ctx, title_id, extras_at=datetime.now(UTC))
    finally:
        await asyncio.to_thread(shutil.rmtree, job_dir, True)
    return await _get(ctx, title_id)


async def redo_extras(ctx: MediaContext, title_id: str) -> Title:
    """Make the extras of a title whose instance died making them, from its kept source."""
    title = await _get(ctx, title_id)
    if title.source_key is None:
        await set_title(ctx, title_id, extras_at=datetime.now(UTC))
        return title
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    job_dir = make_job_folder(ctx.work_dir, prefix=f"extras-{title_id}-")
    try:
        staged = job_dir / "source"
        await _download(ctx, title.source_key, staged)
        try:
            media = await asyncio.to_thread(
                validate, staged, job_dir=job_dir, limits=ctx.limits, binaries=ctx.binaries
            )
        except MediaRefused as exc:  # accepted once: the limits changed since
            log.warning("title %s: no extras, its source is now refused: %s", title_id, exc)
        else:
            log.info("title %s: making the extras an earlier instance left unfinished", title_id)
            await make_extras(ctx, title, media, job_dir)
        await set_title(ctx, title_id, extras_at=datetime.now(UTC))
    finally:
        await asyncio.to_thread(shutil.rmtree, job_dir, True)
    return await _get(ctx, title_id)


async def _download(ctx: MediaContext, key: str, path: Path) -> None:
    with path.open("wb") as handle:
        async for chunk in ctx.blob.get(key):
            await asyncio.to_thread(handle.write, chunk)


async def _get(ctx: MediaContext, title_id: str) -> Title:
    async with ctx.db.session() as session:
        return await repository.get(session, title_id)


async def reconcile(ctx: MediaContext, title_id: str) -> Title:
    """Bring an encoding title up to date with its job: ready, failed, or still encoding."""
    title = await _get(ctx, title_id)
    if title.state is not TitleState.ENCODING or title.job_id is None:
        return title
    job = await ctx.encoder.get(title.job_id)
    if job.state == "done":
        await set_title(
            ctx,
            title_id,
            expect=(TitleState.ENCODING,),
            state=TitleState.READY,
            master_url=ctx.url_for(job.master_key),
            dash_url=ctx.url_for(job.dash_key),
            rungs=job.rungs,
            reason=None,
        )
    elif job.final:
        await set_title(
            ctx,
            title_id,
            expect=(TitleState.ENCODING,),
            state=TitleState.FAILED,
            reason=job.reason or job.state,
        )
    return await _get(ctx, title_id)


async def sweep(ctx: MediaContext) -> None:
    """One pass: finished or expired uploads, claimable titles, encoding titles."""
    for upload_id in ctx.uploads.ids():
        try:
            info = ctx.uploads.info(upload_id)
        except NotFoundError:
            continue
        if info.complete and info.title_id is not None:
            await upload_written(ctx=ctx, info=info)
    for upload_id in ctx.uploads.expired():
        await _expire(ctx, upload_id)
    now = time.time()
    new_states = (TitleState.UPLOADED, TitleState.VALIDATING)
    async with ctx.db.session() as session:
        # Reads first: a sweep that finds nothing to do writes nothing.
        waiting = await repository.claimable(session, states=new_states, now=now, limit=1)
        encoding = await repository.claimable(session, states=(TitleState.ENCODING,), now=now)

    async def claim_new(session: AsyncSession) -> list[str]:
        return await repository.claim(
            session, states=new_states, owner=ctx.owner, now=now, lease_s=LEASE_S
        )

    for title_id in await ctx.db.transaction(claim_new) if waiting else []:
        async with _holding(ctx, title_id):
            try:
                await process(ctx, title_id)
            except UnavailableError as exc:
                # Retried by the next sweep that claims it (the lease is released).
                log.warning("title %s: cannot proceed yet: %s", title_id, exc)
            except ReelstackError as exc:
                log.error("title %s failed: %s", title_id, exc)
                await set_title(ctx, title_id, state=TitleState.FAILED, reason=str(exc))
    # Extras an instance died making: another one makes them once the lease is out.
    made = (TitleState.ENCODING, TitleState.READY)
    async with ctx.db.session() as session:
        owed = await repository.claimable(session, states=made, now=now, limit=1, extras_owed=True)

    async def claim_owed(session: AsyncSession) -> list[str]:
        return await repository.claim(
            session, states=made, owner=ctx.owner, now=now, lease_s=LEASE_S, extras_owed=True
        )

    for title_id in await ctx.db.transaction(claim_owed) if owed else []:
        async with _holding(ctx, title_id):
            try:
                await redo_extras(ctx, title_id)
            except (UnavailableError, NotFoundError) as exc:
                log.warning("title %s: cannot make its extras yet: %s", title_id, exc)
    # Marking a title ready is a compare-and-set on its state, so instances
    # may reconcile the same title at once; titles still claimed (extras
    # being made) are left for later.
    for title_id in encoding:
        try:
            await reconcile(ctx, title_id)
        except (UnavailableError, NotFoundError) as exc:
            log.warning("title %s: cannot read its job: %s", title_id, exc)


async def _expire(ctx: MediaContext, upload_id: str) -> None:
    async with ctx.db.session() as session:
        title = await repository.find(session, upload_id=upload_id)
    ctx.uploads.delete(upload_id)
    if title is not None and title.state is TitleState.UPLOADING:
        await set_title(
            ctx, title.id, state=TitleState.FAILED, reason="the upload expired unfinished"
        )
    log.info("upload %s expired unfinished", upload_id)


async def run_sweeper(ctx: MediaContext, interval_s: float) -> None:
    """Sweep every ``interval_s`` (at once when woken) until cancelled."""
    while True:
        ctx.wake.clear()
        try:
            await sweep(ctx)
        except (ReelstackError, OSError) as exc:
            log.warning("media sweep failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.wake.wait(), timeout=interval_s)
