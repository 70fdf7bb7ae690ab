"""Routes of the router: ``POST /graphql`` (through Hive Gateway) and ``GET /router/status``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from reelstack.chassis.responses import json_response
from reelstack.chassis.route_deps import context_dep
from reelstack.router import forward, service
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
