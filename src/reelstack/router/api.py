"""Routes of the router: ``POST /graphql`` (through Hive Gateway), ``GET /router/status``,
and ``POST /router/fallbacks/<subgraph>``, which only its own Hive Gateway child asks."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from reelstack.chassis.caller import Caller
from reelstack.chassis.responses import json_response
from reelstack.chassis.route_deps import context_dep
from reelstack.errors import InvalidRequestError, NotFoundError
from reelstack.router import fallbacks, forward, service
from reelstack.router.context import RouterContext

RouterDep = Annotated[RouterContext, Depends(context_dep(RouterContext))]

router = APIRouter(tags=["router"])


@router.post("/graphql")
async def graphql(request: Request, context: RouterDep) -> Response:
    """Answer a GraphQL request from the composed graph (Hive Gateway)."""
    if not forward.is_json(request.headers.get("content-type")):
        return json_response(
            {
                "error": "UnsupportedMediaType",
                "detail": "GraphQL requests are POSTed as application/json",
            },
            415,
        )
    body = await forward.read_body(
        request.stream(),
        declared=request.headers.get("content-length"),
        limit=context.max_body_bytes,
    )
    return await forward.forward(
        context=context,
        body=body,
        headers=dict(request.headers),
    )


@router.get("/router/status")
async def status(context: RouterDep) -> Response:
    """Report the subgraphs served, the ones refused by name, and the Hive Gateway child."""
    return json_response(service.status_document(context))


# What a fallback request may carry: the failure's description, nothing more.
MAX_FALLBACK_BODY = 4096
LOOPBACK = ("127.0.0.1", "::1")


@router.post("/router/fallbacks/{subgraph}")
async def fallback(subgraph: str, request: Request, context: RouterDep) -> Response:
    """The root value that stands in for a slow or failed subgraph (``serve.mjs`` asks).

    Only the instance's own Hive Gateway child, on the loopback, may ask: the
    caller's identity comes in headers, as it does for a subgraph. The body
    names the failure, which leads the stand-in's ``errors``.
    """
    peer = request.client.host if request.client else ""
    if peer not in LOOPBACK:
        raise NotFoundError("no such route")
    if subgraph not in fallbacks.FALLBACKS or context.cache is None:
        raise NotFoundError(f"the router has no fallback for subgraph {subgraph!r}")
    body = await forward.read_body(
        request.stream(),
        declared=request.headers.get("content-length"),
        limit=MAX_FALLBACK_BODY,
    )
    try:
        failure = str(orjson.loads(body or b"{}").get("failure") or "no answer")
    except (ValueError, AttributeError) as exc:
        raise InvalidRequestError("a fallback request's body is a JSON object") from exc
    caller = Caller.from_headers(request.headers)
    root = await fallbacks.recommendations_root(
        context.cache, caller, default_region=context.default_region, failure=failure
    )
    return json_response(root)
