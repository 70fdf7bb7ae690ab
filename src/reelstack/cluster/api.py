"""The supervisor's control API: JSON over HTTP on 127.0.0.1.

=======  ==========================================  =========================================
method   path                                        does
=======  ==========================================  =========================================
GET      /health                                     the supervisor answers
GET      /instances                                  every instance (``{"instances": [...]}``)
GET      /instances/{id}                             one instance
POST     /instances/{id}/kill                        SIGKILL it (chaos); it is restarted
POST     /instances/{id}/restart                     SIGTERM, wait, start again
POST     /instances/{id}/stop                        SIGTERM; it stays down until started
POST     /instances/{id}/start                       start a stopped instance
POST     /services/{service}/scale                   ``{"count": N, "version": V?}``
POST     /services/{service}/versions                ``{"version": V, "count": N?}``: add
DELETE   /services/{service}/versions/{version}      stop and remove that version's instances
POST     /shutdown                                   stop every instance, then the supervisor
GET      /prometheus/targets                         Prometheus HTTP service discovery
GET      /metrics                                    the API's own refusal counts (Prometheus)
=======  ==========================================  =========================================

Every request needs ``Authorization: Bearer <token>`` (the token is in
``<home>/cluster/control.token``), a local ``Host``, no ``Origin``, and a JSON
body if any: :mod:`reelstack.cluster.guard` says why and what each refusal is.

Errors are JSON ``{"error": kind, "detail": text}`` (plus ``field`` for a bad
body): 400 for bad input, 404 for an unknown instance, service or version,
409 for a command the instance's state refuses, 413 for a body over 64 KiB,
503 while shutting down.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from reelstack.cluster.guard import Refusals, guard
from reelstack.cluster.schemas import (
    FieldError,
    ScaleRequest,
    StartVersionRequest,
    parse_object,
    validate_version,
)
from reelstack.cluster.supervisor import Supervisor
from reelstack.errors import ConflictError, NotFoundError, UnavailableError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SUPERVISOR_KEY = web.AppKey("supervisor", Supervisor)
SHUTDOWN_KEY: web.AppKey[Callable[[], None]] = web.AppKey("request_shutdown")
REGISTRY_KEY = web.AppKey("metrics_registry", CollectorRegistry)
REFUSALS_KEY = web.AppKey("refusals", Refusals)
# The largest body is a scale or version request of a few dozen bytes.
MAX_BODY_BYTES = 64 * 1024


def _error(status: int, kind: str, detail: str, **extra: Any) -> web.Response:
    return web.json_response({"error": kind, "detail": detail, **extra}, status=status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn reelstack's errors (and aiohttp's own 404/405) into JSON answers."""
    try:
        return await handler(request)
    except FieldError as exc:
        return _error(400, "InvalidRequestError", exc.detail, field=exc.field)
    except NotFoundError as exc:
        return _error(404, "NotFoundError", str(exc))
    except ConflictError as exc:
        return _error(409, "ConflictError", str(exc))
    except UnavailableError as exc:
        return _error(503, "UnavailableError", str(exc))
    except web.HTTPRequestEntityTooLarge:
        return request.app[REFUSALS_KEY].refuse(
            request,
            413,
            "body_too_large",
            "PayloadTooLargeError",
            f"the body is over {MAX_BODY_BYTES} bytes",
        )
    except web.HTTPException as exc:
        if exc.status >= 400:
            kind = "NotFoundError" if exc.status == 404 else exc.reason
            return _error(exc.status, kind, f"{request.method} {request.path}: {exc.reason}")
        raise


def _supervisor(request: web.Request, *, changing: bool = False) -> Supervisor:
    supervisor = request.app[SUPERVISOR_KEY]
    if changing and supervisor.shutting_down:
        raise UnavailableError("the supervisor is shutting down")
    return supervisor


async def _body(request: web.Request) -> dict[str, Any]:
    return parse_object(await request.read())


async def health(request: web.Request) -> web.Response:
    supervisor = _supervisor(request)
    return web.json_response(
        {
            "status": "stopping" if supervisor.shutting_down else "up",
            "pid": os.getpid(),
            "instances": len(supervisor.instances),
        }
    )


async def list_instances(request: web.Request) -> web.Response:
    return web.json_response({"instances": _supervisor(request).views()})


async def get_instance(request: web.Request) -> web.Response:
    instance = _supervisor(request).get(request.match_info["id"])
    return web.json_response(instance.view())


async def kill_instance(request: web.Request) -> web.Response:
    instance = _supervisor(request, changing=True).get(request.match_info["id"])
    pid = instance.kill()
    return web.json_response({"instance": instance.instance_id, "killed_pid": pid})


async def restart_instance(request: web.Request) -> web.Response:
    instance = _supervisor(request, changing=True).get(request.match_info["id"])
    await instance.restart()
    return web.json_response(instance.view())


async def stop_instance(request: web.Request) -> web.Response:
    instance = _supervisor(request, changing=True).get(request.match_info["id"])
    await instance.stop()
    return web.json_response(instance.view())


async def start_instance(request: web.Request) -> web.Response:
    instance = _supervisor(request, changing=True).get(request.match_info["id"])
    instance.start()
    return web.json_response(instance.view())


async def scale(request: web.Request) -> web.Response:
    supervisor = _supervisor(request, changing=True)
    service = request.match_info["service"]
    supervisor.check_service(service)
    body = ScaleRequest.from_body(await _body(request))
    group = await supervisor.scale(service, body.count, body.version)
    return web.json_response({"service": service, "instances": group})


async def start_version(request: web.Request) -> web.Response:
    supervisor = _supervisor(request, changing=True)
    service = request.match_info["service"]
    supervisor.check_service(service)
    body = StartVersionRequest.from_body(await _body(request))
    added = await supervisor.start_version(service, body.version, body.count)
    return web.json_response({"service": service, "instances": added}, status=201)


async def remove_version(request: web.Request) -> web.Response:
    supervisor = _supervisor(request, changing=True)
    service = request.match_info["service"]
    supervisor.check_service(service)
    version = validate_version(request.match_info["version"])
    removed = await supervisor.remove_version(service, version)
    return web.json_response({"service": service, "version": version, "removed": removed})


async def shutdown(request: web.Request) -> web.Response:
    supervisor = _supervisor(request)
    ids = [view["instance"] for view in supervisor.views()]
    # Answer first; the daemon stops the instances and then itself.
    request.app[SHUTDOWN_KEY]()
    return web.json_response({"stopping": ids, "pid": os.getpid()}, status=202)


async def prometheus_targets(request: web.Request) -> web.Response:
    return web.json_response(_supervisor(request).prometheus_targets())


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY_KEY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(
    supervisor: Supervisor,
    request_shutdown: Callable[[], None],
    *,
    token: str,
    registry: CollectorRegistry | None = None,
) -> web.Application:
    """Return the control API application for ``supervisor``, answering only ``token``'s holders."""
    registry = registry if registry is not None else CollectorRegistry()
    refusals = Refusals(registry)
    # The guard runs first: nothing unauthenticated reaches routing or a handler.
    app = web.Application(
        middlewares=[guard(token, refusals), errors], client_max_size=MAX_BODY_BYTES
    )
    app[SUPERVISOR_KEY] = supervisor
    app[REGISTRY_KEY] = registry
    app[REFUSALS_KEY] = refusals
    app[SHUTDOWN_KEY] = request_shutdown
    app.router.add_get("/health", health)
    app.router.add_get("/instances", list_instances)
    app.router.add_get("/instances/{id}", get_instance)
    app.router.add_post("/instances/{id}/kill", kill_instance)
    app.router.add_post("/instances/{id}/restart", restart_instance)
    app.router.add_post("/instances/{id}/stop", stop_instance)
    app.router.add_post("/instances/{id}/start", start_instance)
    app.router.add_post("/services/{service}/scale", scale)
    app.router.add_post("/services/{service}/versions", start_version)
    app.router.add_delete("/services/{service}/versions/{version}", remove_version)
    app.router.add_post("/shutdown", shutdown)
    app.router.add_get("/prometheus/targets", prometheus_targets)
    app.router.add_get("/metrics", metrics)
    return app
