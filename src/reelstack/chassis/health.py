"""The chassis' own endpoints: ``/health`` (alive), ``/ready`` and ``/metrics``."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response

from reelstack.chassis.responses import json_response
from reelstack.chassis.route_deps import chassis_for

router = APIRouter(include_in_schema=False)


@router.get("/health")
async def health(request: Request) -> Response:
    """Answer 200 while the process serves: the supervisor's liveness check."""
    identity = chassis_for(request).identity
    return json_response(
        {
            "status": "up",
            "service": identity.service,
            "instance": identity.instance,
            "zone": identity.zone,
            "version": identity.version,
            "pid": os.getpid(),
        }
    )


@router.get("/ready")
async def ready(request: Request) -> Response:
    """Answer 200 when every declared dependency and check answers, else 503 naming each failure."""
    chassis = chassis_for(request)
    results = await chassis.dependencies.check()
    for name, check in chassis.checks.items():
        results[name] = await check()
    failing = {role: reason for role, reason in results.items() if reason is not None}
    body: dict[str, object] = {
        "status": "down" if failing else "up",
        "service": chassis.identity.service,
        "instance": chassis.identity.instance,
        "dependencies": {
            role: {"status": "down", "reason": reason} if reason else {"status": "up"}
            for role, reason in results.items()
        },
    }
    if failing:
        body["failing"] = sorted(failing)
    return json_response(body, status_code=503 if failing else 200)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Expose this app's metrics in the Prometheus text format."""
    body, content_type = chassis_for(request).metrics.render()
    return Response(body, media_type=content_type)
