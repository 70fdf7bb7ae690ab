"""Playback's subgraph: start and stop a play, the account's active devices.

The same use cases as the REST routes, for the gateway's caller: a title the
profile may not see is an error saying so (as REST's 404), the plan's
stream limit is an error whose ``extensions`` list the devices holding the
streams (as REST's 409 body). ``heartbeat`` renews a play's lease as REST's
``PUT .../heartbeat`` does, so the web player speaks one API for its plays;
an ended play is an error with the code ``PLAY_ENDED`` (REST's 410).
Manifests stay on REST: hls.js fetches them by URL. Titles are references to
catalog's entity, resolved there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import strawberry
from fastapi import FastAPI, Request
from graphql import GraphQLError
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from reelstack.chassis.app import chassis_of
from reelstack.chassis.caller import NO_ACCOUNT
from reelstack.chassis.caller import Caller as GatewayCaller
from reelstack.chassis.subgraph import checked, serve_subgraph, subgraph_schema
from reelstack.errors import InvalidRequestError, NotFoundError
from reelstack.playback import service
from reelstack.playback.context import PlaybackContext
from reelstack.playback.manifest import NoRenditionError
from reelstack.playback.models import Caller, Play, StreamLimitError
from reelstack.playback.schemas import PLAY_ID_PATTERN, PlayIn

_PLAY_ID = re.compile(PLAY_ID_PATTERN)


def _ctx(info: Info[Any, Any]) -> tuple[PlaybackContext, GatewayCaller]:
    request: Request = info.context["request"]
    return (
        chassis_of(request.app).context_as(PlaybackContext),
        GatewayCaller.from_headers(request.headers),
    )


def _caller(who: GatewayCaller) -> Caller:
    if who.account is None or who.profile is None:
        raise NotFoundError("no profile: a play is a profile's (pick one)")
    return Caller(
        account=who.account, profile=who.profile, headers=who.headers(), region=who.region
    )


def _at(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Title:
    id: strawberry.ID


@strawberry.type
class Markers:
    start_s: float
    end_s: float


@strawberry.type
class PlayEdge:
    """An edge a play's manifests name: the player's fallbacks, best first."""

    instance: str
    region: str
    url: str


@strawberry.type
class StartedPlay:
    id: strawberry.ID
    title: Title
    manifest_url: str
    dash_url: str | None
    edges: list[PlayEdge]
    resume_s: float
    lease_expires_at: datetime
    heartbeat_s: int
    intro: Markers | None
    credits_start_s: float | None
    next_episode: Title | None


@strawberry.type
class Lease:
    play_id: strawberry.ID
    lease_expires_at: datetime


@strawberry.type
class ActiveDevice:
    device_id: str
    name: str
    title: Title
    profile_id: strawberry.ID
    since: datetime

    @classmethod
    def of(cls, play: Play) -> ActiveDevice:
        return cls(
            device_id=play.device_id,
            name=play.device_name,
            title=Title(id=strawberry.ID(play.title_id)),
            profile_id=strawberry.ID(play.profile),
            since=_at(play.started_at),
        )


@strawberry.input
class DeviceInput:
    id: str
    name: str
    codecs: list[str] | None = None
    max_height: int | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def active_devices(self, info: Info[Any, Any]) -> list[ActiveDevice] | None:
        """The devices streaming for the caller's account now, oldest first."""
        ctx, who = _ctx(info)
        if who.account is None:
            raise InvalidRequestError(NO_ACCOUNT)
        plays = await service.active_plays(ctx=ctx, account=who.account)
        return [ActiveDevice.of(play) for play in plays]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def start_play(
        self, info: Info[Any, Any], title_id: strawberry.ID, device: DeviceInput
    ) -> StartedPlay:
        """Start a play of a title on a device (errors: not visible, stream limit, no rendition)."""
        ctx, who = _ctx(info)
        caller = _caller(who)
        body = checked(PlayIn, {"title_id": str(title_id), "device": strawberry.asdict(device)})
        try:
            started = await service.start_play(
                ctx=ctx, caller=caller, title_id=body.title_id, device=body.device.device()
            )
        except StreamLimitError as exc:
            devices = [
                {
                    "deviceId": p.device_id,
                    "name": p.device_name,
                    "titleId": p.title_id,
                    "since": _at(p.started_at).isoformat(),
                }
                for p in exc.devices
            ]
            raise GraphQLError(
                str(exc), extensions={"code": "STREAM_LIMIT", "devices": devices}
            ) from None
        except NoRenditionError as exc:
            raise GraphQLError(str(exc), extensions={"code": "NO_RENDITION"}) from None
        intro = started.intro
        following = started.next_episode_id
        return StartedPlay(
            id=strawberry.ID(started.play.id),
            title=Title(id=strawberry.ID(started.play.title_id)),
            manifest_url=started.manifest_url,
            dash_url=started.dash_url,
            edges=[
                PlayEdge(instance=e.instance, region=e.region, url=e.url) for e in started.edges
            ],
            resume_s=started.resume_s,
            lease_expires_at=_at(started.play.expires_at),
            heartbeat_s=int(ctx.times.heartbeat_s),
            intro=None if intro is None else Markers(start_s=intro[0], end_s=intro[1]),
            credits_start_s=started.credits_start_s,
            next_episode=None if following is None else Title(id=strawberry.ID(following)),
        )

    @strawberry.mutation
    async def heartbeat(self, info: Info[Any, Any], play_id: strawberry.ID) -> Lease:
        """Renew the lease of a play of the caller's profile (PLAY_ENDED once it ended)."""
        if not _PLAY_ID.match(str(play_id)):
            raise InvalidRequestError("playId is not a play id")
        ctx, who = _ctx(info)
        try:
            play = await service.heartbeat(ctx=ctx, caller=_caller(who), play_id=str(play_id))
        except service.LeaseEndedError as exc:
            raise GraphQLError(str(exc), extensions={"code": "PLAY_ENDED"}) from None
        return Lease(play_id=strawberry.ID(play.id), lease_expires_at=_at(play.expires_at))

    @strawberry.mutation
    async def stop_play(self, info: Info[Any, Any], play_id: strawberry.ID) -> bool:
        """Stop a play of the caller's profile: its stream slot is free at once."""
        if not _PLAY_ID.match(str(play_id)):
            raise InvalidRequestError("playId is not a play id")
        ctx, who = _ctx(info)
        await service.stop(ctx=ctx, caller=_caller(who), play_id=str(play_id))
        return True


SCHEMA = subgraph_schema(query=Query, mutation=Mutation, types=[Title])


def serve(app: FastAPI) -> None:
    """Mount playback's subgraph on its app."""
    serve_subgraph(app, SCHEMA)
