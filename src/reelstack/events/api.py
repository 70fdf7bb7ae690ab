"""``POST /events``: a batch of player events, appended whole once it is durable.

The route takes the raw request rather than a pydantic body: it is the hot
path of every playing device. A valid batch is decoded and checked whole by
msgspec structs made from the schema table (:mod:`reelstack.events.fastpath`);
anything else is parsed with orjson and checked by the table-driven schemas
(:mod:`reelstack.events.schemas`), which name each refused event and why
(``bench/bench_events.py`` measures the route, through the gateway, against
the log's own ``append_many``).

Answers: ``200 {"accepted": n}`` once appended; ``401`` without the
gateway's caller headers; ``413`` for a body or batch over the limits;
``400`` for a body that is not ``{"events": [...]}``; ``422`` with the
reason of every refused event when any event fails its schema, and then
nothing of the batch is appended. An appended batch's play starts, stalls and
errors are added to the QoE series of the request's ``X-Region``
(:mod:`reelstack.events.qoe`); a refused one adds nothing.

Why a batch is refused whole: a player retries what was not acknowledged,
and it can only retry a whole batch safely if none of it was written; a
half-appended batch would leave the client to work out which events to
resend, and a retry of the whole would duplicate the ones that landed. It
also matches the log's ``append_many`` (all or none), and it makes a broken
player visible at once instead of silently losing some of its events.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from reelstack.chassis import caller as chassis_caller
from reelstack.chassis.responses import json_response
from reelstack.chassis.route_deps import chassis_for
from reelstack.events import fastpath, service
from reelstack.events.context import EventsContext
from reelstack.events.fields import check_identifier
from reelstack.events.models import Caller

ACCOUNT_HEADER = chassis_caller.ACCOUNT
PROFILE_HEADER = chassis_caller.PROFILE
REGION_HEADER = chassis_caller.REGION

# The request body as OpenAPI shows it; the checks themselves are in schemas.py.
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["events"],
                "properties": {
                    "events": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["type", "v", "session", "seq", "ts"],
                        },
                    }
                },
            }
        }
    },
}


def _refuse(ctx: EventsContext, status: int, reason: str, detail: str, **more: Any) -> Response:
    ctx.refused.labels(reason).inc()
    return json_response({"error": reason, "detail": detail, **more}, status)


def _caller(request: Request) -> Caller | None:
    headers = request.headers
    account = headers.get(ACCOUNT_HEADER)
    profile = headers.get(PROFILE_HEADER)
    if account is None or profile is None:
        return None
    if check_identifier(account) is not None or check_identifier(profile) is not None:
        return None
    return Caller(account, profile)


async def _body(request: Request, limit: int) -> bytes | None:
    """Return the body, or None once it passes ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


async def post_events(request: Request) -> Response:
    """Append a batch of player events to the log, all or none, keyed by play session."""
    ctx = chassis_for(request).context_as(EventsContext)
    caller = _caller(request)
    if caller is None:
        return _refuse(
            ctx,
            401,
            "no_caller",
            f"{ACCOUNT_HEADER} and {PROFILE_HEADER} must name the caller: "
            "send events through the gateway with a profile's token",
        )
    limits = ctx.limits
    body = await _body(request, limits.max_body_bytes)
    if body is None:
        return _refuse(
            ctx, 413, "body_too_large", f"the body is larger than {limits.max_body_bytes} bytes"
        )
    # The common case, a valid batch, checked whole by the compiled decoder;
    # anything else (or an empty or oversized batch) goes through the
    # table-driven checks below, which give each refused event its reason.
    decoded = fastpath.decode_valid(body)
    if decoded is not None and 0 < len(decoded) <= limits.max_batch:
        accepted = await service.append_decoded(
            log=ctx.log, topic=ctx.topic, events=decoded, caller=caller
        )
        ctx.accepted.inc(accepted)
        kind_of = fastpath.KIND_OF
        ctx.qoe.count(request.headers.get(REGION_HEADER), ((kind_of[type(e)], e) for e in decoded))
        return json_response({"accepted": accepted})
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _refuse(ctx, 400, "not_json", f"the body is not JSON: {exc}")
    events = document.get("events") if type(document) is dict else None
    if type(events) is not list or not events:
        return _refuse(
            ctx, 400, "no_events", 'expected {"events": [event, ...]} with 1 event or more'
        )
    if len(events) > limits.max_batch:
        return _refuse(
            ctx,
            413,
            "batch_too_large",
            f"{len(events)} events: a batch holds at most {limits.max_batch}",
        )
    rejections = service.check_batch(events=events)
    if rejections:
        for rejection in rejections:
            ctx.rejected.labels(rejection.code).inc()
        return _refuse(
            ctx,
            422,
            "invalid_events",
            f"{len(rejections)} of {len(events)} events are invalid; nothing was appended",
            rejected=[{"index": r.index, "reason": r.code, "detail": r.detail} for r in rejections],
        )
    accepted = await service.append(log=ctx.log, topic=ctx.topic, events=events, caller=caller)
    ctx.accepted.inc(accepted)
    ctx.qoe.count(request.headers.get(REGION_HEADER), ((e["type"], e) for e in events))
    return json_response({"accepted": accepted})


def make_router() -> APIRouter:
    """The telemetry route, ``POST /events``."""
    router = APIRouter(tags=["events"])
    router.add_api_route(
        "/events",
        post_events,
        methods=["POST"],
        response_class=Response,
        openapi_extra={"requestBody": REQUEST_BODY},
        responses={
            200: {"description": "Appended, durably"},
            400: {"description": "Not a batch"},
            401: {"description": "No caller identity"},
            413: {"description": "Body or batch over the limits"},
            422: {"description": "Some events are invalid; nothing was appended"},
        },
    )
    return router
