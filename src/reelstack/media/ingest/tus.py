"""The tus 1.0 resumable upload protocol over :class:`~.uploads.UploadStore`.

Core protocol plus the creation, creation-with-upload, termination,
expiration and checksum extensions (https://tus.io/protocols/resumable-upload):

- ``OPTIONS /api/media/uploads``: versions, extensions, the largest upload.
- ``POST /api/media/uploads`` with ``Upload-Length`` and ``Upload-Metadata``
  (``title``, ``synopsis``, ``genres``, ``maturity_rating``, ``series``,
  ``season``, ``episode``, ``filename``): 201 with ``Location`` and the title
  it becomes in ``Reelstack-Title-Id``; a body of type
  ``application/offset+octet-stream`` is its first chunk.
- ``HEAD .../{id}``: ``Upload-Offset`` (what reached the disk) and ``Upload-Length``.
- ``PATCH .../{id}``: append at ``Upload-Offset``; 409 if the offset is not
  the upload's, 413 past its length, 460 on a checksum mismatch, 423 while
  another request writes to it.
- ``DELETE .../{id}``: terminate an unfinished upload.

Every response but OPTIONS's carries ``Tus-Resumable: 1.0.0``; a request
without it (or with another version) gets 412.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from email.utils import formatdate

from fastapi import APIRouter, Request
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from reelstack.errors import InvalidRequestError, NotFoundError, ReelstackError
from reelstack.media import repository, service
from reelstack.media import settings as media_settings
from reelstack.media.context import MediaContext, MediaDep
from reelstack.media.ingest.uploads import (
    CHECKSUM_ALGORITHMS,
    ChecksumMismatch,
    OffsetMismatch,
    TooLarge,
    UploadGone,
    UploadInfo,
    UploadLocked,
    encode_metadata,
    parse_checksum,
    parse_metadata,
)
from reelstack.media.schemas import UploadOut

log = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
OCTET_STREAM = "application/offset+octet-stream"
UPLOADS_PATH = "/api/media/uploads"
TITLE_HEADER = "Reelstack-Title-Id"
MAX_ACCOUNT_CHARS = 128  # the column's width

# Most specific first: how each refusal reaches a tus client.
_STATUS: tuple[tuple[type[ReelstackError], int], ...] = (
    (UploadLocked, 423),
    (OffsetMismatch, 409),
    (UploadGone, 410),
    (TooLarge, 413),
    (ChecksumMismatch, 460),
    (NotFoundError, 404),
    (InvalidRequestError, 400),
)


def _headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **extra}


def _error(exc: ReelstackError) -> Response:
    status = getattr(exc, "status", None)  # quotas and the disk floor carry theirs
    if not isinstance(status, int):
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 503)
    return JSONResponse(
        {"error": type(exc).__name__, "detail": str(exc)}, status_code=status, headers=_headers()
    )


def _version_error(request: Request) -> Response | None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        return Response(
            "Tus-Resumable: 1.0.0 is required\n",
            status_code=412,
            headers={"Tus-Version": TUS_VERSION, "Tus-Resumable": TUS_VERSION},
        )
    return None


def _length(raw: str | None, name: str) -> int:
    if raw is None or not raw.isdigit():
        raise InvalidRequestError(f"{name} must be a whole number of bytes, got {raw!r}")
    return int(raw)


def _expires(info: UploadInfo) -> dict[str, str]:
    return {} if info.complete else {"Upload-Expires": formatdate(info.expires, usegmt=True)}


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        # What arrived is kept (unless a checksum cannot be verified now).
        log.info("upload client went away mid-PATCH at %s", request.url.path)


async def _append(ctx: MediaContext, request: Request, upload_id: str, offset: int) -> UploadInfo:
    checksum_header = request.headers.get("upload-checksum")
    checksum = parse_checksum(checksum_header) if checksum_header else None
    # What is still to come must fit above the floor, checked at every chunk:
    # the disk fills from other uploads and encodes meanwhile.
    known = ctx.uploads.info(upload_id)
    service.check_disk(ctx=ctx, incoming=max(0, known.length - offset))
    info = await ctx.uploads.append(
        upload_id, offset=offset, chunks=_body(request), checksum=checksum
    )
    await service.upload_written(ctx=ctx, info=info)
    return info


def make_router() -> APIRouter:
    """The tus routes under ``/api/media/uploads``."""
    router = APIRouter(prefix=UPLOADS_PATH, tags=["uploads"])

    @router.options("")
    async def options(ctx: MediaDep) -> Response:
        """What this server supports."""
        return Response(
            status_code=204,
            headers={
                "Tus-Resumable": TUS_VERSION,
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": EXTENSIONS,
                "Tus-Max-Size": str(ctx.config.get(media_settings.MEDIA_MAX_BYTES)),
                "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
            },
        )

    @router.post("")
    async def create(request: Request, ctx: MediaDep) -> Response:
        """Create an upload (and the title it becomes); its first chunk may come along."""
        if (refused := _version_error(request)) is not None:
            return refused
        try:
            if request.headers.get("upload-defer-length"):
                raise InvalidRequestError("Upload-Defer-Length is not supported")
            length = _length(request.headers.get("upload-length"), "Upload-Length")
            metadata = parse_metadata(request.headers.get("upload-metadata", ""))
            account = request.headers.get("x-account-id")
            if account is not None and len(account) > MAX_ACCOUNT_CHARS:
                raise InvalidRequestError(f"x-account-id is longer than {MAX_ACCOUNT_CHARS}")
            info, title = await service.start_upload(
                ctx=ctx, length=length, metadata=metadata, account_id=account
            )
            if request.headers.get("content-type") == OCTET_STREAM:
                info = await _append(ctx, request, info.id, 0)
        except ReelstackError as exc:
            return _error(exc)
        headers = _headers(
            Location=f"{UPLOADS_PATH}/{info.id}",
            **{TITLE_HEADER: title.id, "Upload-Offset": str(info.offset)},
            **_expires(info),
        )
        return Response(status_code=201, headers=headers)

    @router.head("/{upload_id}")
    async def head(upload_id: str, request: Request, ctx: MediaDep) -> Response:
        """Where the upload stands."""
        if (refused := _version_error(request)) is not None:
            return refused
        try:
            info = ctx.uploads.info(upload_id)
            # A crash between the last write and its acknowledgement leaves
            # the title waiting: a client asking where it stands settles it.
            await service.upload_written(ctx=ctx, info=info)
        except ReelstackError as exc:
            return Response(status_code=_error(exc).status_code, headers=_headers())
        headers = _headers(
            **{"Upload-Offset": str(info.offset), "Upload-Length": str(info.length)},
            **_expires(info),
        )
        if info.metadata:
            headers["Upload-Metadata"] = encode_metadata(info.metadata)
        if info.title_id:
            headers[TITLE_HEADER] = info.title_id
        return Response(status_code=200, headers=headers)

    @router.patch("/{upload_id}")
    async def patch(upload_id: str, request: Request, ctx: MediaDep) -> Response:
        """Append a chunk at the client's offset."""
        if (refused := _version_error(request)) is not None:
            return refused
        if request.headers.get("content-type") != OCTET_STREAM:
            return Response(
                f"Content-Type must be {OCTET_STREAM}\n", status_code=415, headers=_headers()
            )
        try:
            offset = _length(request.headers.get("upload-offset"), "Upload-Offset")
            info = await _append(ctx, request, upload_id, offset)
        except ReelstackError as exc:
            return _error(exc)
        headers = _headers(**{"Upload-Offset": str(info.offset)}, **_expires(info))
        if info.title_id:
            headers[TITLE_HEADER] = info.title_id
        return Response(status_code=204, headers=headers)

    @router.delete("/{upload_id}")
    async def terminate(upload_id: str, request: Request, ctx: MediaDep) -> Response:
        """Stop an upload and free its space."""
        if (refused := _version_error(request)) is not None:
            return refused
        try:
            await service.terminate_upload(ctx=ctx, upload_id=upload_id)
        except ReelstackError as exc:
            return _error(exc)
        return Response(status_code=204, headers=_headers())

    @router.get("/{upload_id}")
    async def status(upload_id: str, ctx: MediaDep) -> UploadOut:
        """Where an upload stands and what became of its title (JSON; not part of tus)."""
        info = ctx.uploads.info(upload_id)
        state = None
        if info.title_id is not None:
            async with ctx.db.session() as session:
                found = await repository.find(session, upload_id=upload_id)
            state = found.state.value if found is not None else None
        return UploadOut(
            id=info.id,
            offset=info.offset,
            length=info.length,
            title_id=info.title_id,
            title_state=state,
        )

    return router
