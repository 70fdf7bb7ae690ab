"""Use cases of the media service: uploads, titles, subtitles, artwork, jobs.

The heavy part of ingest (validation, encoding job, trickplay, artwork,
intro detection) runs in :mod:`reelstack.media.ingest.sweeper`, picked up by
whichever instance claims the finished upload.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import ConflictError, InvalidRequestError, NotFoundError, ReelstackError
from reelstack.media import repository
from reelstack.media import settings as media_settings
from reelstack.media.context import MediaContext, fingerprint_key, source_key
from reelstack.media.ingest.uploads import TooLarge, UploadInfo
from reelstack.media.models import MATURITY_RATINGS, Title, TitleMeta, TitleState
from reelstack.media.pipeline.encoder import JobView
from reelstack.media.source import limits, subtitles
from reelstack.media.source.validate import MediaRefused

log = logging.getLogger(__name__)

MAX_NAME = 300
MAX_SYNOPSIS = 4000
MAX_ARTWORK_BYTES = 10 * 1024 * 1024
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def new_title_id() -> str:
    """A fresh title id: 12 hex digits."""
    return secrets.token_hex(6)


def _number(metadata: Mapping[str, str], key: str) -> int | None:
    raw = metadata.get(key, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequestError(f"{key} must be a whole number, got {raw!r}") from None
    if not 0 <= value <= 10_000:
        raise InvalidRequestError(f"{key} must be between 0 and 10000, got {value}")
    return value


def title_meta(metadata: Mapping[str, str]) -> TitleMeta:
    """Read a title's metadata from upload metadata; InvalidRequestError names a bad field."""
    name = (metadata.get("title") or metadata.get("name") or "").strip()
    if not name:
        filename = metadata.get("filename", "").strip()
        name = filename.rsplit(".", 1)[0] if filename else ""
    if not name:
        raise InvalidRequestError("a title is needed (Upload-Metadata 'title')")
    if len(name) > MAX_NAME:
        raise InvalidRequestError(f"the title is longer than {MAX_NAME} characters")
    synopsis = metadata.get("synopsis", "").strip()
    if len(synopsis) > MAX_SYNOPSIS:
        raise InvalidRequestError(f"the synopsis is longer than {MAX_SYNOPSIS} characters")
    genres = tuple(g.strip() for g in metadata.get("genres", "").split(",") if g.strip())
    if len(genres) > 10 or any(len(g) > 40 for g in genres):
        raise InvalidRequestError("at most 10 genres of at most 40 characters each")
    rating = metadata.get("maturity_rating", "").strip() or "TV-PG"
    if rating not in MATURITY_RATINGS:
        raise InvalidRequestError(
            f"maturity rating {rating!r} is not one of {', '.join(MATURITY_RATINGS)}"
        )
    series = metadata.get("series", "").strip() or None
    season, episode = _number(metadata, "season"), _number(metadata, "episode")
    if series is None and (season is not None or episode is not None):
        raise InvalidRequestError("season and episode need a series")
    if series is not None and (season is None or episode is None):
        raise InvalidRequestError("an episode of a series needs its season and episode numbers")
    if series is not None and len(series) > MAX_NAME:
        raise InvalidRequestError(f"the series name is longer than {MAX_NAME} characters")
    return TitleMeta(
        name=name,
        synopsis=synopsis,
        genres=genres,
        maturity_rating=rating,
        series=series,
        season=season,
        episode=episode,
    )


# -- uploads -------------------------------------------------------------------------


def check_disk(*, ctx: MediaContext, incoming: int) -> None:
    """Refuse (507) ``incoming`` upload bytes that would take the disk below its floor."""
    floor = ctx.config.get(media_settings.MEDIA_MIN_FREE_BYTES)
    reason = limits.below_floor(ctx.uploads.folder, floor, incoming=incoming)
    if reason is not None:
        ctx.refusals.note("disk_floor", reason)
        raise limits.InsufficientStorage(f"upload refused: {reason}")


def _check_quotas(
    ctx: MediaContext, account_id: str | None, spent: repository.Usage, length: int
) -> None:
    """Refuse an upload of ``length`` bytes past one of the account's quotas."""
    get = ctx.config.get
    who = f"account {account_id}" if account_id else "callers without an account"
    checks = (
        ("bytes", get(media_settings.MEDIA_QUOTA_BYTES), spent.source_bytes + length, 413,
         f"{who} would keep {spent.source_bytes + length} bytes of uploads"),
        ("uploads", get(media_settings.MEDIA_QUOTA_UPLOADS), spent.uploads_in_flight + 1, 429,
         f"{who} has {spent.uploads_in_flight} unfinished uploads"),
        ("titles", get(media_settings.MEDIA_QUOTA_TITLES), spent.titles + 1, 429,
         f"{who} has {spent.titles} titles"),
    )  # fmt: skip
    for quota, limit, wanted, status, message in checks:
        if limit and wanted > limit:
            ctx.refusals.note(f"quota:{quota}", message, account=account_id)
            raise limits.QuotaExceeded(quota, limit, message, status=status)
    encode_s = get(media_settings.MEDIA_QUOTA_ENCODE_S)
    if encode_s and spent.duration_s_since >= encode_s:
        message = f"{who} had {spent.duration_s_since:.0f} s encoded in the last 24 hours"
        ctx.refusals.note("quota:encode_s", message, account=account_id)
        raise limits.QuotaExceeded("encode_s", encode_s, message, status=429)


async def start_upload(
    *,
    ctx: MediaContext,
    length: int,
    metadata: Mapping[str, str],
    account_id: str | None = None,
) -> tuple[UploadInfo, Title]:
    """Create an upload and the title it will become (state ``uploading``).

    ``account_id`` (the gateway's ``x-account-id``) owns the title and spends
    its quotas; QuotaExceeded names the one used up.
    """
    max_bytes = ctx.config.get(media_settings.MEDIA_MAX_BYTES)
    if length > max_bytes:
        raise TooLarge(f"Upload-Length {length} is over the {max_bytes} bytes accepted")
    meta = title_meta(metadata)
    check_disk(ctx=ctx, incoming=length)
    since = datetime.now(UTC) - timedelta(days=1)
    async with ctx.db.session() as session:
        spent = await repository.usage(session, account_id=account_id, since=since)
    # Checked before the transaction, so two uploads racing may both pass: a
    # quota can be overrun by the uploads one account starts at the same moment.
    _check_quotas(ctx, account_id, spent, length)
    title_id = new_title_id()
    info = ctx.uploads.create(length=length, metadata=dict(metadata), title_id=title_id)

    async def work(session: AsyncSession) -> Title:
        return await repository.create(
            session,
            title_id=title_id,
            meta=meta,
            state=TitleState.UPLOADING,
            upload_id=info.id,
            account_id=account_id,
            source_bytes=length,
        )

    try:
        title = await ctx.db.transaction(work)
    except ReelstackError:
        ctx.uploads.delete(info.id)
        raise
    return info, title


async def upload_written(*, ctx: MediaContext, info: UploadInfo) -> None:
    """Note an upload whose last byte arrived: its title is ready to be processed."""
    if not info.complete or info.title_id is None:
        return
    title_id = info.title_id

    async def work(session: AsyncSession) -> bool:
        return await repository.set_fields(
            session, title_id, expect=(TitleState.UPLOADING,), state=TitleState.UPLOADED
        )

    if await ctx.db.transaction(work):
        ctx.wake.set()


async def terminate_upload(*, ctx: MediaContext, upload_id: str) -> None:
    """Delete an unfinished upload and the title it was to become."""
    info = ctx.uploads.info(upload_id)
    ctx.uploads.delete(upload_id)
    if info.title_id is None:
        return
    title_id = info.title_id

    async def work(session: AsyncSession) -> None:
        title = await repository.find(session, upload_id=upload_id)
        if title is not None and title.state is TitleState.UPLOADING:
            await repository.delete(session, title_id)

    await ctx.db.transaction(work)


# -- titles --------------------------------------------------------------------------


async def get_title(*, ctx: MediaContext, title_id: str) -> Title:
    """Return one title."""
    async with ctx.db.session() as session:
        return await repository.get(session, title_id)


async def list_titles(
    *,
    ctx: MediaContext,
    state: TitleState | None = None,
    series: str | None = None,
    name: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Title]:
    """Return one page of titles (episodes in order)."""
    async with ctx.db.session() as session:
        return await repository.list_titles(
            session, state=state, series=series, name=name, limit=limit, offset=offset
        )


async def delete_title(*, ctx: MediaContext, title_id: str) -> None:
    """Delete a title, its source and everything published for it.

    Not while it is being validated or encoded: the job would go on and
    publish files for a title that no longer exists (ConflictError, 409).
    """
    title = await get_title(ctx=ctx, title_id=title_id)
    _deletable(title)
    if title.upload_id is not None:
        ctx.uploads.delete(title.upload_id)
    keys = [source_key(title_id), fingerprint_key(title_id)]
    keys += [str(entry["key"]) for entry in title.subtitles if "key" in entry]
    keys += [info.key for info in await ctx.blob.list(ctx.public_key(title_id, ""))]
    for key in keys:
        await ctx.blob.delete(key)

    async def work(session: AsyncSession) -> None:
        _deletable(await repository.get(session, title_id))
        await repository.delete(session, title_id)

    await ctx.db.transaction(work)


def _deletable(title: Title) -> None:
    if title.state in (TitleState.VALIDATING, TitleState.ENCODING):
        job = f" (job {title.job_id})" if title.job_id else ""
        raise ConflictError(
            f"title {title.id} is {title.state.value}{job}; delete it once it is ready,"
            " refused or failed"
        )


async def add_subtitles(*, ctx: MediaContext, title_id: str, language: str, data: bytes) -> Title:
    """Check and store a subtitle file (SubRip or WebVTT) as WebVTT for a title."""
    subtitles.check_language(language)
    title = await get_title(ctx=ctx, title_id=title_id)
    try:
        # Off the event loop: the parser is linear and capped, but 4 MiB of cues
        # still take a fraction of a second other requests need not wait for.
        webvtt = await asyncio.to_thread(subtitles.convert, data, duration_s=title.duration_s)
    except MediaRefused as exc:
        ctx.refusals.note("subtitle", str(exc))
        raise
    # Kept private: the encoding pipeline publishes it as a subtitle rendition.
    key = f"private/subtitles/{title_id}/{language}.vtt"
    await ctx.blob.put(key, webvtt.encode("utf-8"), content_type="text/vtt")
    entry = {"language": language, "key": key}

    async def work(session: AsyncSession) -> Title:
        current = await repository.get(session, title_id)
        kept = [s for s in current.subtitles if s.get("language") != language]
        await repository.set_fields(session, title_id, subtitles=[*kept, entry])
        return await repository.get(session, title_id)

    return await ctx.db.transaction(work)


async def put_artwork(*, ctx: MediaContext, title_id: str, kind: str, data: bytes) -> Title:
    """Store an uploaded poster or backdrop (JPEG or PNG) for a title."""
    if kind not in ("poster", "backdrop"):
        raise InvalidRequestError(f"artwork is a poster or a backdrop, not {kind!r}")
    if len(data) > MAX_ARTWORK_BYTES:
        raise InvalidRequestError(f"artwork is larger than {MAX_ARTWORK_BYTES} bytes")
    content_type = next((t for magic, t in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if content_type is None:
        raise InvalidRequestError("artwork must be a JPEG or PNG image")
    await get_title(ctx=ctx, title_id=title_id)
    extension = "jpg" if content_type == "image/jpeg" else "png"
    key = ctx.public_key(title_id, f"artwork/{kind}-uploaded.{extension}")
    await ctx.blob.put(key, data, content_type=content_type)

    async def work(session: AsyncSession) -> Title:
        if kind == "poster":
            await repository.set_fields(session, title_id, poster_key=key)
        else:
            await repository.set_fields(session, title_id, backdrop_key=key)
        return await repository.get(session, title_id)

    return await ctx.db.transaction(work)


async def get_job(*, ctx: MediaContext, job_id: str) -> JobView:
    """Return an encoding job's state."""
    return await ctx.encoder.get(job_id)


async def title_of_job(*, ctx: MediaContext, job: JobView) -> Title | None:
    """The title a job encodes, if it still exists."""
    try:
        return await get_title(ctx=ctx, title_id=job.title_id)
    except NotFoundError:
        return None
