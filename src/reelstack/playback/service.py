"""Use cases of playback: start a play, keep its lease, stop it, its manifest and key."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import NotFoundError, ReelstackError
from reelstack.playback import repository
from reelstack.playback.context import PlaybackContext
from reelstack.playback.dash import filtered_mpd
from reelstack.playback.manifest import (
    GATEWAY,
    NoRenditionError,
    filtered_master,
    first_variant,
    key_on_any_host,
    key_uri,
)
from reelstack.playback.models import Caller, Device, PlanLimits, Play, Playable, StreamLimitError
from reelstack.playback.steering import EDGE_SERVICE, Edge, steer
from reelstack.signed_urls import SignatureError

log = logging.getLogger(__name__)

PUBLIC_PREFIX = "/api/playback"
"""Where the gateway serves playback (the spec's route); manifest URLs are made under it."""
MANIFEST_NAME = "master.m3u8"
DASH_NAME = "manifest.mpd"
NO_PLAY = "no such play"


class LeaseEndedError(ReelstackError):
    """The play was stopped or its lease ran out: its slot may be another's now (410)."""


@dataclass(frozen=True, slots=True)
class PlayStarted:
    """A started play and what the player needs to begin."""

    play: Play
    manifest_url: str
    resume_s: float
    intro: tuple[float, float] | None
    credits_start_s: float | None
    next_episode_id: str | None
    edges: tuple[Edge, ...] = ()
    """The edges the manifest names, best first (none: served through the gateway)."""
    dash_url: str | None = None
    """The play's DASH MPD, signed by the same token (None: the title has no MPD)."""


def steered(ctx: PlaybackContext, caller: Caller, title_id: str, now: float) -> tuple[Edge, ...]:
    """Return the edges a play of ``title_id`` by ``caller`` is sent to, best first."""
    if ctx.discovery is None:
        return ()
    return tuple(
        steer(
            ctx.discovery.instances(EDGE_SERVICE),
            region=caller.region,
            title_id=title_id,
            now=now,
            weights=ctx.steering,
        )
    )


def manifest_path(play_id: str, name: str = MANIFEST_NAME) -> str:
    """The path a play's manifest ``name`` is signed over (its token covers ``plays/ID``)."""
    return f"plays/{play_id}/{name}"


async def _key_reachable_from_edges(ctx: PlaybackContext, playable: Playable, master: str) -> bool:
    """Whether the title's key URI still reaches playback when its playlists come from an edge.

    Media writes the key URI into each media playlist from
    ``media.key_url_template``; by default a path, which a player resolves
    against the edge serving the playlist (no keys there). Such a title is
    played through the gateway, where the path resolves to playback, so the
    default works; an absolute template lets encrypted titles use edges too.
    The media playlist is read once per job (cached like the master).
    """
    variant = first_variant(master)
    if variant is None:
        return True  # no variant: the master's filter refuses the play anyway
    try:
        uri = key_uri(await ctx.upstreams.media_playlist(playable, variant))
    except ReelstackError as exc:
        log.warning("cannot tell whether %s is encrypted: %s", playable.title_id, exc)
        return False  # the gateway serves it whatever its key URI is
    if key_on_any_host(uri):
        return True
    log.warning(
        "%s is encrypted with the key at %r, which an edge cannot serve: played through"
        " the gateway (set media.key_url_template to the gateway's absolute URL, then"
        " encode again, to serve encrypted titles from edges)",
        playable.title_id,
        (uri or "")[:80],
    )
    return False


async def _dash(
    ctx: PlaybackContext,
    playable: Playable,
    *,
    plan: PlanLimits,
    device: Device,
    expires: int,
    bases: tuple[str, ...],
) -> str | None:
    """Return the play's DASH MPD, or None when the title has none or it cannot be read."""
    if playable.dash_name is None:
        return None
    try:
        return filtered_mpd(
            await ctx.upstreams.dash(playable),
            folder=playable.folder,
            plan=plan,
            device=device,
            signer=ctx.signer,
            expires=expires,
            bases=bases,
        )
    except (ReelstackError, ValueError, NoRenditionError) as exc:
        # The HLS manifest plays everywhere: a play does not fail for its MPD.
        log.warning("the play of %s gets no DASH manifest: %s", playable.title_id, exc)
        return None


async def start_play(
    *, ctx: PlaybackContext, caller: Caller, title_id: str, device: Device
) -> PlayStarted:
    """Start a play of ``title_id`` on ``device``: check, take a stream slot, sign the manifest."""
    now = ctx.clock()
    up = ctx.upstreams
    # Asked at once: a play start waits for the slowest answer, not the sum.
    title_r, plan_r, playable_r, resume_r = await asyncio.gather(
        up.catalog_title(caller, title_id),
        up.plan(caller),
        up.playable(title_id),
        up.resume_s(caller, title_id),
        return_exceptions=True,
    )
    # Catalog's answer first: a title the caller may not see is 404 whatever
    # else failed, so its existence does not leak through another error.
    title: dict[str, Any] = _value(title_r)
    plan = _value(plan_r)
    playable = _value(playable_r)
    resume_s: float = _value(resume_r)
    expires = int(now + ctx.times.url_ttl_s)
    master = await up.master(playable)
    edges = steered(ctx, caller, title_id, now)
    if edges and not await _key_reachable_from_edges(ctx, playable, master):
        edges = ()
    bases = tuple(edge.url for edge in edges)
    manifest = filtered_master(
        master,
        folder=playable.folder,
        plan=plan,
        device=device,
        signer=ctx.signer,
        expires=expires,
        bases=bases or GATEWAY,
    )
    dash = await _dash(ctx, playable, plan=plan, device=device, expires=expires, bases=bases)
    play = Play(
        id=secrets.token_hex(16),
        account=caller.account,
        profile=caller.profile,
        title_id=title_id,
        device_id=device.id,
        device_name=device.name,
        started_at=now,
        expires_at=now + ctx.times.lease_s,
        region=caller.region,
    )

    async def take_slot(session: AsyncSession) -> None:
        # A device plays one thing at a time: its own earlier play gives way
        # (undone with the rest if the limit refuses). Two statements, so the
        # store's write turn is short: SQLite runs writers one at a time.
        await repository.end_device(session, account=caller.account, device_id=device.id, at=now)
        added = await repository.add_within(
            session, play=play, manifest=manifest, limit=plan.max_streams, now=now, dash=dash
        )
        if not added:
            others = await repository.live_plays(session, account=caller.account, now=now)
            raise StreamLimitError(plan.max_streams, others)

    await ctx.db.transaction(take_slot)
    token = ctx.signer.token(f"plays/{play.id}", expires=expires)
    next_episode = title.get("next_episode_id")
    base = f"{PUBLIC_PREFIX}/manifests/{token}"
    return PlayStarted(
        play=play,
        manifest_url=f"{base}/{manifest_path(play.id)}",
        dash_url=None if dash is None else f"{base}/{manifest_path(play.id, DASH_NAME)}",
        resume_s=resume_s,
        intro=playable.intro,
        credits_start_s=playable.credits_start_s,
        next_episode_id=next_episode if isinstance(next_episode, str) else None,
        edges=edges,
    )


async def active_plays(*, ctx: PlaybackContext, account: str) -> list[Play]:
    """Return the plays holding the account's stream slots now, oldest first."""
    async with ctx.db.session() as session:
        return await repository.live_plays(session, account=account, now=ctx.clock())


def _value(result: Any) -> Any:
    if isinstance(result, BaseException):
        raise result
    return result


async def _owned(session: AsyncSession, caller: Caller, play_id: str) -> Play:
    play = await repository.get(session, play_id)
    if play is None or not play.owned_by(caller):
        # Another account's or profile's play is answered as one that does not exist.
        raise NotFoundError(NO_PLAY)
    return play


async def heartbeat(*, ctx: PlaybackContext, caller: Caller, play_id: str) -> Play:
    """Extend the play's lease; LeaseEndedError if it already ended."""
    now = ctx.clock()

    async def work(session: AsyncSession) -> Play:
        play = await _owned(session, caller, play_id)
        if not play.live(now):
            raise LeaseEndedError("the play has ended: start a new one")
        expires_at = now + ctx.times.lease_s
        await repository.extend(session, play_id=play_id, expires_at=expires_at)
        return Play(**{**_fields(play), "expires_at": expires_at})

    return await ctx.db.transaction(work)


def _fields(play: Play) -> dict[str, Any]:
    return {name: getattr(play, name) for name in Play.__slots__}


async def stop(*, ctx: PlaybackContext, caller: Caller, play_id: str) -> None:
    """End the play now: its stream slot is free at once (idempotent)."""
    now = ctx.clock()

    async def work(session: AsyncSession) -> None:
        await _owned(session, caller, play_id)
        await repository.end(session, play_ids=[play_id], at=now)

    await ctx.db.transaction(work)


async def manifest(*, ctx: PlaybackContext, token: str, play_id: str) -> str:
    """Return a play's manifest if ``token`` signs it (SignatureError, ExpiredError if not)."""
    ctx.signer.verify(token, manifest_path(play_id), now=ctx.clock())
    async with ctx.db.session() as session:
        text = await repository.manifest(session, play_id)
    if text is None:
        # Only reachable with a genuine token of a play since swept away.
        raise SignatureError(NO_PLAY)
    return text


async def dash_manifest(*, ctx: PlaybackContext, token: str, play_id: str) -> str:
    """Return a play's DASH MPD if ``token`` signs the play; NotFoundError if it has none."""
    ctx.signer.verify(token, manifest_path(play_id, DASH_NAME), now=ctx.clock())
    async with ctx.db.session() as session:
        text = await repository.dash_manifest(session, play_id)
    if text is None:
        raise NotFoundError("this play has no DASH manifest")
    return text


async def content_key(*, ctx: PlaybackContext, caller: Caller, title_id: str) -> bytes:
    """Return the title's AES-128 key to a caller playing it now; NotFoundError otherwise."""
    async with ctx.db.session() as session:
        entitled = await repository.has_live_play(
            session,
            account=caller.account,
            profile=caller.profile,
            title_id=title_id,
            now=ctx.clock(),
        )
    if not entitled:
        raise NotFoundError("no key for this caller")
    try:
        key = await ctx.blob.read(ctx.key_blob(title_id))
    except NotFoundError:
        raise NotFoundError("no key for this caller") from None
    if len(key) != 16:
        log.error("the content key of %s is %d bytes, not 16", title_id, len(key))
        raise NotFoundError("no key for this caller")
    return key


async def sweep(*, ctx: PlaybackContext) -> int:
    """Drop plays whose lease ran out longer ago than ``playback.keep_s``; return how many."""
    before = ctx.clock() - ctx.times.keep_s

    async def work(session: AsyncSession) -> int:
        return await repository.drop_older(session, before=before)

    return await ctx.db.transaction(work)
