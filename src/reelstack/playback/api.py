"""Routes of the playback service, under ``/playback``.

The caller is whoever the gateway's headers name (it removes a client's own
copies and sets them from a verified token). Every play route acts for a
profile: a token without one, or a play of another account or profile, is
answered 404, as if there were no such play. The one exception is the list
of the account's active devices, which the account holder reads too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from starlette.responses import Response

from reelstack.chassis import caller as chassis_caller
from reelstack.chassis.responses import json_response
from reelstack.playback import service
from reelstack.playback.context import PlaybackDep
from reelstack.playback.manifest import NoRenditionError
from reelstack.playback.models import Caller, StreamLimitError
from reelstack.playback.schemas import (
    ID_PATTERN,
    MAX_BODY_BYTES,
    PLAY_ID_PATTERN,
    ActiveDeviceOut,
    ActiveDevicesOut,
    DeviceOut,
    LeaseOut,
    PlayIn,
    PlayOut,
)
from reelstack.signed_urls import ExpiredError, SignatureError

NO_PROFILE = "no such play: the token names no profile"

PlayId = Annotated[str, Path(pattern=PLAY_ID_PATTERN)]
TitleId = Annotated[str, Path(pattern=ID_PATTERN)]


async def get_caller(who: chassis_caller.CallerDep) -> Caller:
    """Return the caller from the gateway's headers (401: no account; 404: no profile)."""
    account = who.require_account()
    if who.profile is None:
        raise HTTPException(404, NO_PROFILE)
    return Caller(account=account, profile=who.profile, headers=who.headers(), region=who.region)


async def small_body(request: Request) -> None:
    """Refuse a body larger than a play start needs before reading it (413)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes")


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_account(who: chassis_caller.CallerDep) -> str:
    """Return the caller's account (401: none); a token without a profile is the account holder."""
    return who.require_account()


AccountDep = Annotated[str, Depends(get_account)]


def make_router() -> APIRouter:
    """Plays, their leases and the content keys they entitle to."""
    router = APIRouter(prefix="/playback", tags=["playback"])

    @router.post("/plays", status_code=201, dependencies=[Depends(small_body)])
    async def start(body: PlayIn, caller: CallerDep, ctx: PlaybackDep) -> Response:
        """Start a play: 404 for a title the caller may not see, 409 at the stream limit."""
        try:
            started = await service.start_play(
                ctx=ctx, caller=caller, title_id=body.title_id, device=body.device.device()
            )
        except StreamLimitError as exc:
            devices = [DeviceOut.of(p).model_dump(mode="json") for p in exc.devices]
            return json_response({"detail": str(exc), "devices": devices}, 409)
        except NoRenditionError as exc:
            return json_response({"detail": str(exc)}, 422)
        out = PlayOut.of(started, heartbeat_s=ctx.times.heartbeat_s)
        return json_response(out.model_dump(mode="json"), 201)

    @router.get("/plays")
    async def active(account: AccountDep, ctx: PlaybackDep) -> Response:
        """The devices streaming for the caller's account now (its account page), oldest first."""
        plays = await service.active_plays(ctx=ctx, account=account)
        out = ActiveDevicesOut(items=[ActiveDeviceOut.of(p) for p in plays])
        return json_response(out.model_dump(mode="json"))

    @router.put("/plays/{play_id}/heartbeat")
    async def heartbeat(play_id: PlayId, caller: CallerDep, ctx: PlaybackDep) -> Response:
        """Keep the play's stream slot for another lease period; 410 once it has ended."""
        try:
            play = await service.heartbeat(ctx=ctx, caller=caller, play_id=play_id)
        except service.LeaseEndedError as exc:
            return json_response({"detail": str(exc)}, 410)
        return json_response(LeaseOut.of(play).model_dump(mode="json"))

    @router.delete("/plays/{play_id}", status_code=204)
    async def stop(play_id: PlayId, caller: CallerDep, ctx: PlaybackDep) -> Response:
        """Stop the play: its stream slot is free at once."""
        await service.stop(ctx=ctx, caller=caller, play_id=play_id)
        return Response(status_code=204)

    @router.get("/keys/{title_id}")
    async def key(title_id: TitleId, caller: CallerDep, ctx: PlaybackDep) -> Response:
        """The title's AES-128 key, to a profile with a live play of it (404 to anyone else)."""
        data = await service.content_key(ctx=ctx, caller=caller, title_id=title_id)
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Cache-Control": "private, no-store"},
        )

    @router.api_route("/manifests/{token}/plays/{play_id}/master.m3u8", methods=["GET", "HEAD"])
    async def manifest(token: str, play_id: PlayId, ctx: PlaybackDep) -> Response:
        """A play's master playlist: 403 for a token that does not sign it, 410 once expired."""
        try:
            text = await service.manifest(ctx=ctx, token=token, play_id=play_id)
        except ExpiredError as exc:
            return json_response({"detail": str(exc)}, 410)
        except SignatureError as exc:
            return json_response({"detail": str(exc)}, 403)
        return Response(
            text,
            media_type="application/vnd.apple.mpegurl",
            headers={"Cache-Control": "private, max-age=60", "Access-Control-Allow-Origin": "*"},
        )

    @router.api_route("/manifests/{token}/plays/{play_id}/manifest.mpd", methods=["GET", "HEAD"])
    async def dash(token: str, play_id: PlayId, ctx: PlaybackDep) -> Response:
        """A play's DASH MPD: 403 for a bad token, 410 once expired, 404 if it has none."""
        try:
            text = await service.dash_manifest(ctx=ctx, token=token, play_id=play_id)
        except ExpiredError as exc:
            return json_response({"detail": str(exc)}, 410)
        except SignatureError as exc:
            return json_response({"detail": str(exc)}, 403)
        return Response(
            text,
            media_type="application/dash+xml",
            headers={"Cache-Control": "private, max-age=60", "Access-Control-Allow-Origin": "*"},
        )

    return router
