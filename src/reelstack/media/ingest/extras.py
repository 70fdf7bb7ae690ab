"""What ingest makes beside the encoding job: trickplay, artwork and intro markers.

Each is made from the validated source while the workers encode, published
under the title's public prefix, and recorded on the title; a failure here is
logged and costs only that extra. Also the two helpers every ingest step
uses to write a title's row and stream a file to the blob store.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.config import read_group
from reelstack.errors import ReelstackError
from reelstack.media import repository
from reelstack.media import settings as media_settings
from reelstack.media.context import MediaContext, fingerprint_key
from reelstack.media.extras import artwork, intro, trickplay
from reelstack.media.models import Title, TitleKind, TitleState
from reelstack.media.source.validate import ValidatedMedia

log = logging.getLogger(__name__)

READ_CHUNK = 1024 * 1024


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """A file's bytes in chunks, read off the event loop."""
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
            yield chunk


async def set_title(
    ctx: MediaContext, title_id: str, *, expect: tuple[TitleState, ...] = (), **values: Any
) -> bool:
    """Set fields of a title's row (only in one of ``expect``'s states, if given)."""

    async def work(session: AsyncSession) -> bool:
        return await repository.set_fields(session, title_id, expect=expect, **values)

    return await ctx.db.transaction(work)


async def _publish_dir(ctx: MediaContext, folder: Path, prefix_key: str) -> dict[str, str]:
    types = {".jpg": "image/jpeg", ".vtt": "text/vtt", ".png": "image/png"}
    keys: dict[str, str] = {}
    for path in sorted(await asyncio.to_thread(lambda: list(folder.iterdir()))):
        if path.suffix not in types:
            continue
        key = f"{prefix_key}/{path.name}"
        await ctx.blob.put(key, file_chunks(path), content_type=types[path.suffix])
        keys[path.name] = key
    return keys


async def make_extras(
    ctx: MediaContext, title: Title, media: ValidatedMedia, job_dir: Path
) -> None:
    """Trickplay, artwork and (for episodes) fingerprints; a failure here is logged only."""
    config, run_limits = ctx.config, ctx.limits.run
    display, duration = media.display_size, media.duration_s
    try:
        options = read_group(config, trickplay.TrickplayOptions, media_settings.TRICKPLAY)
        made = await asyncio.to_thread(
            trickplay.make_trickplay,
            ctx.binaries,
            media.source,
            display=display,
            duration_s=duration,
            out_dir=job_dir / "trickplay",
            options=options,
            limits=run_limits,
            threads=ctx.limits.threads,
        )
        keys = await _publish_dir(ctx, made.vtt.parent, ctx.public_key(title.id, "trickplay"))
        await set_title(ctx, title.id, trickplay_key=keys[made.vtt.name])
    except (ReelstackError, OSError, ValueError) as exc:
        log.warning("title %s: no trickplay: %s", title.id, exc)
    if title.poster_key is None or title.backdrop_key is None:
        try:
            art = await asyncio.to_thread(
                artwork.make_artwork,
                ctx.binaries,
                media.source,
                display=display,
                duration_s=duration,
                out_dir=job_dir / "artwork",
                candidates=config.get(media_settings.MEDIA_ARTWORK_CANDIDATES),
                limits=run_limits,
            )
            keys = await _publish_dir(ctx, art.poster.parent, ctx.public_key(title.id, "artwork"))
            values: dict[str, Any] = {}
            if title.poster_key is None:
                values["poster_key"] = keys[art.poster.name]
            if title.backdrop_key is None:
                values["backdrop_key"] = keys[art.backdrop.name]
            await set_title(ctx, title.id, **values)
        except (ReelstackError, OSError, ValueError) as exc:
            log.warning("title %s: no artwork: %s", title.id, exc)
    if title.kind is TitleKind.EPISODE and media.probe.audio_streams:
        try:
            prints = await asyncio.to_thread(
                intro.episode_prints,
                ctx.binaries,
                media.source,
                duration_s=duration,
                intro_search_s=config.get(media_settings.MEDIA_INTRO_SEARCH_S),
                credits_search_s=config.get(media_settings.MEDIA_CREDITS_SEARCH_S),
                job_dir=job_dir,
                limits=run_limits,
            )
            key = fingerprint_key(title.id)
            await ctx.blob.put(
                key, json.dumps(prints.as_dict()).encode(), content_type="application/json"
            )
            await set_title(ctx, title.id, fingerprint_key=key)
            await detect_season(ctx, title.series or "", title.season)
        except (ReelstackError, OSError, ValueError) as exc:
            log.warning("title %s: no intro detection: %s", title.id, exc)


async def detect_season(ctx: MediaContext, series: str, season: int | None) -> int:
    """Find the intro and credits of every fingerprinted episode of a season; return how many."""
    async with ctx.db.session() as session:
        episodes = await repository.list_titles(session, series=series, season=season)
    season_prints: dict[str, intro.EpisodePrints] = {}
    for episode in episodes:
        if episode.fingerprint_key is None:
            continue
        try:
            data = json.loads(await ctx.blob.read(episode.fingerprint_key))
            season_prints[episode.id] = intro.EpisodePrints.from_dict(data)
        except (ReelstackError, ValueError, KeyError) as exc:
            log.warning("episode %s: unreadable fingerprints: %s", episode.id, exc)
    if len(season_prints) < 2:
        return 0
    markers = await asyncio.to_thread(
        intro.detect, season_prints, min_s=ctx.config.get(media_settings.MEDIA_INTRO_MIN_S)
    )
    for title_id, found in markers.items():
        await set_title(
            ctx,
            title_id,
            intro_start_s=found.intro_start_s,
            intro_end_s=found.intro_end_s,
            credits_start_s=found.credits_start_s,
        )
    return len(markers)
