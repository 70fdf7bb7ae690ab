"""Routes of the media service: titles, jobs and their progress, published files.

The tus upload routes are in :mod:`reelstack.media.ingest.tus`. Published files
(HLS and DASH renditions, trickplay, artwork) are served from the blob store
with byte ranges, so a player can play through the gateway: playlists and
segments at signed URLs (``/media/s/TOKEN/...``, see
:mod:`reelstack.signed_urls`), pictures also at ``/media/...``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import FileResponse, Response, StreamingResponse

from reelstack import settings
from reelstack.chassis.responses import json_response
from reelstack.errors import InvalidRequestError, NotFoundError
from reelstack.media import service
from reelstack.media.context import URL_PREFIX, MediaContext, MediaDep
from reelstack.media.models import TitleState
from reelstack.media.pipeline.encoder import JobView
from reelstack.media.schemas import JobOut, TitleOut, TitlesOut
from reelstack.media.source import subtitles
from reelstack.ports.blob_keys import check_key
from reelstack.signed_urls import SIGNED_PREFIX, ExpiredError, SignatureError

MAX_SIDE_BYTES = 10 * 1024 * 1024
EVENT_POLL_S = 0.5
EVENT_KEEPALIVE_S = 15.0
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".ts": "video/mp2t",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
# Playlists change when a title is re-encoded; segments and pictures do not.
_SHORT_LIVED = (".m3u8", ".mpd", ".vtt")
# Open to anyone even with signing on: what a catalog page shows, not the content.
_PICTURES = (".jpg", ".png", ".webp")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
STUDIO_ROLES = frozenset({"studio", "admin"})
PAGE_DEFAULT = 100
PAGE_MAX = 500
# A cursor is an offset today; capped so a crafted one cannot make the store
# skip an arbitrary number of rows.
CURSOR_MAX = 1_000_000
RolesHeader = Annotated[str | None, Header(alias="x-roles", max_length=200)]


def is_studio(x_roles: str | None) -> bool:
    """Whether the gateway's ``x-roles`` names a studio or admin caller."""
    return bool({r.strip() for r in (x_roles or "").split(",")} & STUDIO_ROLES)


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) > CURSOR_MAX:
        raise InvalidRequestError(f"cursor {cursor[:20]!r} is not one this listing gave out")
    return int(cursor)


async def _read_body(request: Request, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidRequestError(f"the body is larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def make_router() -> APIRouter:
    """Titles and jobs under ``/api/media``."""
    router = APIRouter(prefix="/api/media", tags=["media"])

    @router.get("/titles")
    async def list_titles(
        ctx: MediaDep,
        x_roles: RolesHeader = None,
        state: Annotated[TitleState | None, Query()] = None,
        series: Annotated[str | None, Query(max_length=300)] = None,
        name: Annotated[str | None, Query(max_length=300)] = None,
        limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
        cursor: Annotated[str | None, Query(max_length=20)] = None,
    ) -> TitlesOut:
        """List titles a page at a time; filter by state, series or exact name.

        Without a studio or admin role only published (``ready``) titles are
        listed, and reasons carry no server paths.
        """
        studio = is_studio(x_roles)
        offset = _offset(cursor)
        if not studio:
            if state not in (None, TitleState.READY):
                return TitlesOut(count=0, titles=[])
            state = TitleState.READY
        # One more than asked says whether there is a next page.
        found = await service.list_titles(
            ctx=ctx, state=state, series=series, name=name, limit=limit + 1, offset=offset
        )
        page = found[:limit]
        return TitlesOut(
            count=len(page),
            titles=[TitleOut.of(t, ctx, studio=studio) for t in page],
            next_cursor=str(offset + limit) if len(found) > limit else None,
        )

    @router.get("/titles/{title_id}")
    async def get_title(title_id: str, ctx: MediaDep, x_roles: RolesHeader = None) -> TitleOut:
        """One title: metadata, state, ladder, artwork, markers."""
        title = await service.get_title(ctx=ctx, title_id=title_id)
        return TitleOut.of(title, ctx, studio=is_studio(x_roles))

    @router.delete("/titles/{title_id}", status_code=204)
    async def delete_title(title_id: str, ctx: MediaDep) -> None:
        """Delete a title, its kept source and its published files."""
        await service.delete_title(ctx=ctx, title_id=title_id)

    @router.put("/titles/{title_id}/subtitles/{language}")
    async def put_subtitles(
        title_id: str, language: str, request: Request, ctx: MediaDep
    ) -> TitleOut:
        """Add subtitles (SubRip or WebVTT body) in ``language``, before the upload completes."""
        # The parser's own cap: a larger body is refused before it is buffered.
        data = await _read_body(request, subtitles.MAX_BYTES)
        title = await service.add_subtitles(
            ctx=ctx, title_id=title_id, language=language, data=data
        )
        return TitleOut.of(title, ctx)

    @router.put("/titles/{title_id}/artwork/{kind}")
    async def put_artwork(title_id: str, kind: str, request: Request, ctx: MediaDep) -> TitleOut:
        """Upload a poster or backdrop (JPEG or PNG body) instead of an extracted one."""
        data = await _read_body(request, MAX_SIDE_BYTES)
        title = await service.put_artwork(ctx=ctx, title_id=title_id, kind=kind, data=data)
        return TitleOut.of(title, ctx)

    @router.get("/jobs/{job_id}")
    async def get_job(job_id: str, ctx: MediaDep) -> JobOut:
        """An encoding job's state and progress."""
        return JobOut.of(await service.get_job(ctx=ctx, job_id=job_id), ctx)

    @router.get("/jobs/{job_id}/events")
    async def job_events(job_id: str, ctx: MediaDep) -> StreamingResponse:
        """Server-sent events: the job's state each time it changes, until it ends."""
        first = await service.get_job(ctx=ctx, job_id=job_id)

        async def views() -> AsyncIterator[JobView]:
            # The pipeline's progress events when it has them, else polling.
            follow = getattr(ctx.encoder, "follow", None)
            if follow is not None:
                async for view in follow(job_id):
                    yield view
                return
            job = first
            while True:
                yield job
                if job.final:
                    return
                await asyncio.sleep(EVENT_POLL_S)
                job = await service.get_job(ctx=ctx, job_id=job_id)

        async def events() -> AsyncIterator[bytes]:
            last: tuple[str, float] | None = None
            final: JobView = first
            sent = time.monotonic()
            async for job in views():
                final = job
                shown = (job.state, round(job.progress, 2))
                if shown != last or job.final:
                    last, sent = shown, time.monotonic()
                    data = JobOut.of(job, ctx).model_dump_json()
                    yield f"event: job\ndata: {data}\n\n".encode()
                elif time.monotonic() - sent > EVENT_KEEPALIVE_S:
                    sent = time.monotonic()
                    yield b": keep-alive\n\n"
            # The title follows its job within a sweep; say how it ended.
            state = None
            for _ in range(int(EVENT_KEEPALIVE_S / EVENT_POLL_S)):
                title = await service.title_of_job(ctx=ctx, job=final)
                state = title.state.value if title is not None else None
                if title is None or title.state.final:
                    break
                await asyncio.sleep(EVENT_POLL_S)
            yield f"event: end\ndata: {json.dumps({'title_state': state})}\n\n".encode()

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The single byte range asked for, as (first, last); None for the whole file."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None  # not a form we serve: the whole file (allowed by RFC 9110)
    first_raw, last_raw = match.groups()
    if not first_raw:
        length = int(last_raw)
        if length == 0:
            raise InvalidRequestError("empty suffix range")
        return max(0, size - length), size - 1
    first = int(first_raw)
    last = min(int(last_raw), size - 1) if last_raw else size - 1
    if first >= size or last < first:
        raise InvalidRequestError("range not satisfiable")
    return first, last


def make_files_router() -> APIRouter:
    """Published files from the blob store: at ``/media/s/TOKEN/...`` signed, ``/media/...`` open.

    With ``media.signed_urls`` on (the default) the open route serves only
    pictures (posters, backdrops, seek-preview thumbnails and their index:
    what a catalog page or a seek bar shows, not the film); playlists,
    segments and subtitles need a token playback made
    (:mod:`reelstack.signed_urls`): 403 for a token that is tampered or
    covers another path, 410 for an expired one.
    """
    router = APIRouter(tags=["published"])

    @router.api_route(f"{SIGNED_PREFIX}/{{token}}/{{path:path}}", methods=["GET", "HEAD"])
    async def signed(token: str, path: str, request: Request, ctx: MediaDep) -> Response:
        """A published file at a signed URL, whole or one byte range."""
        try:
            ctx.signer.verify(token, path, now=time.time())
        except ExpiredError as exc:
            return _refused(410, exc)
        except SignatureError as exc:
            return _refused(403, exc)
        return await _serve(path, request, ctx)

    @router.api_route(f"{URL_PREFIX}/{{path:path}}", methods=["GET", "HEAD"])
    async def published(path: str, request: Request, ctx: MediaDep) -> Response:
        """A published picture, or any published file when signing is off."""
        if ctx.config.get(settings.SIGNED_URLS) and not _is_picture(path):
            return json_response(
                {"detail": "media files are served at signed URLs: start a play at /api/playback"},
                403,
            )
        return await _serve(path, request, ctx)

    return router


def _is_picture(path: str) -> bool:
    """A picture, or the seek-preview index that places pictures (``TITLE/trickplay/*``)."""
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "trickplay":
        return True
    name = parts[-1]
    return "." in name and "." + name.rsplit(".", 1)[-1].lower() in _PICTURES


def _refused(status: int, exc: Exception) -> Response:
    response = json_response({"detail": str(exc)}, status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _serve(path: str, request: Request, ctx: MediaContext) -> Response:
    """A published file, whole or one byte range."""
    try:
        key = check_key(ctx.key_for(path))
    except InvalidRequestError:
        raise NotFoundError(f"no published file {path!r}") from None
    suffix = "." + key.rsplit(".", 1)[-1] if "." in key.rsplit("/", 1)[-1] else ""
    content_type = CONTENT_TYPES.get(suffix.lower())
    if content_type is None:
        raise NotFoundError(f"no published file {path!r}")
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": "public, max-age=2" if suffix in _SHORT_LIVED else "public, max-age=86400",
    }
    local = ctx.blob.local_path(key)
    if local is not None:
        if not await asyncio.to_thread(local.is_file):
            raise NotFoundError(f"no published file {path!r}")
        # Starlette answers Range and HEAD requests for a file itself.
        return FileResponse(local, media_type=content_type, headers=headers)
    info = await ctx.blob.stat(key)
    headers["Accept-Ranges"] = "bytes"
    try:
        wanted = _range(request.headers.get("range"), info.size)
    except InvalidRequestError:
        headers["Content-Range"] = f"bytes */{info.size}"
        return Response(status_code=416, headers=headers)
    first, last = wanted if wanted else (0, info.size - 1)
    length = last - first + 1 if info.size else 0
    headers["Content-Length"] = str(length)
    headers["ETag"] = f'"{info.etag}"'
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    if request.method == "HEAD" or length == 0:
        return Response(status_code=status, headers=headers, media_type=content_type)
    return StreamingResponse(
        ctx.blob.get(key, offset=first, length=length),
        status_code=status,
        headers=headers,
        media_type=content_type,
    )
