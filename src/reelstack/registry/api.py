"""The registry's routes: Eureka 1.x's REST API under ``/eureka/``, plus Prometheus targets.

Reads answer JSON when the ``Accept`` header names JSON and XML otherwise,
as Eureka does; bodies are JSON only. Routes take the request and build the
response themselves: heartbeats and fetches are the registry's hot path and
FastAPI's parameter machinery would cost more than the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from reelstack.chassis.responses import json_response
from reelstack.registry import service
from reelstack.registry.guard import WriteGuard
from reelstack.registry.leases import Registry, Renewal, group_changes
from reelstack.registry.models import UP, Lease
from reelstack.registry.peers import REPLICATION_HEADER, Peers
from reelstack.registry.schemas import (
    FieldError,
    application_to_wire,
    applications_to_wire,
    instance_to_wire,
    parse_millis,
    parse_registration,
    parse_replication_batch,
    parse_status,
)
from reelstack.registry.xmlwire import to_xml
from reelstack.registry_credentials import PEER

MAX_BODY = 256 * 1024
XML = "application/xml"


def _now_ms() -> int:
    return int(time.time() * 1000)


def wants_json(request: Request) -> bool:
    """Whether the client asked for JSON (Eureka's rule: ``Accept`` contains "json")."""
    return "json" in request.headers.get("accept", "").lower()


def render(request: Request, document: dict[str, Any], status_code: int = 200) -> Response:
    """Answer ``document`` as JSON or XML, as the client asked."""
    if wants_json(request):
        return json_response(document, status_code)
    return Response(to_xml(document), status_code=status_code, media_type=XML)


def is_replication(request: Request, writer: str) -> bool:
    """Whether the request is a peer's replication (it must not be replicated again).

    Only a peer registry may say so: a service claiming it would keep its
    change from the other registries.
    """
    return writer == PEER and request.headers.get(REPLICATION_HEADER, "").lower() == "true"


def bad_request(exc: FieldError) -> Response:
    return json_response(exc.body(), 400)


def not_found(what: str) -> Response:
    return json_response({"error": "NotFoundError", "detail": f"{what} is not registered"}, 404)


async def read_body(request: Request) -> bytes:
    """Return the body; FieldError if it is over the size a registration can need."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise FieldError("instance", f"body over {MAX_BODY} bytes")
    return body


class PayloadCache:
    """Rendered registry payloads, reused until the registry changes (as Eureka caches them)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, bool], tuple[Any, bytes]] = {}

    def get(self, kind: str, as_json: bool, key: Any, build: Callable[[], dict[str, Any]]) -> bytes:
        entry = self._entries.get((kind, as_json))
        if entry is not None and entry[0] == key:
            return entry[1]
        document = build()
        payload = orjson.dumps(document) if as_json else to_xml(document)
        self._entries[(kind, as_json)] = (key, payload)
        return payload


def prometheus_targets(leases: list[Lease]) -> list[dict[str, Any]]:
    """Prometheus HTTP service discovery entries for the UP instances."""
    targets = []
    for lease in leases:
        i = lease.instance
        if i.effective_status != UP or not i.port_enabled:
            continue
        # Metrics answer on the management port where an instance has one
        # (the gateway keeps them off its public port).
        management = i.metadata.get("management.port", "")
        port = management if management.isdigit() else i.port
        targets.append(
            {
                "targets": [f"{i.ip_addr or i.host_name}:{port}"],
                "labels": {
                    "service": i.app.lower(),
                    "instance_id": i.instance_id,
                    "zone": i.metadata.get("zone", ""),
                    "version": i.metadata.get("version", ""),
                },
            }
        )
    return sorted(targets, key=lambda t: (t["labels"]["service"], t["labels"]["instance_id"]))


def make_router(
    *,
    registry: Registry,
    peers: Peers | None,
    status: Callable[[], dict[str, Any]],
    guard: WriteGuard,
) -> APIRouter:
    """Return the registry's routes bound to its lease table and peers; ``guard`` checks writes."""
    router = APIRouter(tags=["registry"])
    cache = PayloadCache()

    def payload(data: bytes, as_json: bool) -> Response:
        return Response(data, media_type="application/json" if as_json else XML)

    # -- reads (delta before {app}, so "delta" is not taken for an app name) --------

    @router.get("/eureka/apps")
    @router.get("/eureka/apps/")
    async def full_registry(request: Request) -> Response:
        """The whole registry."""
        as_json = wants_json(request)
        data = cache.get(
            "full",
            as_json,
            # Rebuilt at most once a second while nothing changes, so lease
            # times (renewals) stay fresh without rendering every fetch.
            (registry.version, int(time.monotonic())),
            lambda: applications_to_wire(
                registry.applications(), version=registry.version, hashcode=registry.hashcode()
            ),
        )
        return payload(data, as_json)

    @router.get("/eureka/apps/delta")
    async def delta(request: Request) -> Response:
        """Changes of the last few minutes, with the whole registry's hashcode."""
        as_json = wants_json(request)
        changes = registry.delta()

        def build() -> dict[str, Any]:
            apps, actions = group_changes(changes)
            return applications_to_wire(
                apps, version=registry.version, hashcode=registry.hashcode(), actions=actions
            )

        data = cache.get("delta", as_json, (registry.version, len(changes)), build)
        return payload(data, as_json)

    @router.get("/eureka/apps/{app}")
    async def application(request: Request, app: str) -> Response:
        """One application's instances."""
        leases = registry.application(app)
        if not leases:
            return not_found(f"app {app}")
        return render(request, {"application": application_to_wire(app.upper(), leases)})

    @router.get("/eureka/apps/{app}/{instance_id}")
    async def app_instance(request: Request, app: str, instance_id: str) -> Response:
        """One instance of an application."""
        lease = registry.lease(app, instance_id)
        if lease is None:
            return not_found(f"{app}/{instance_id}")
        return render(request, {"instance": instance_to_wire(lease)})

    @router.get("/eureka/instances/{instance_id}")
    async def instance(request: Request, instance_id: str) -> Response:
        """One instance, whatever its application."""
        lease = registry.find(instance_id)
        if lease is None:
            return not_found(f"instance {instance_id}")
        return render(request, {"instance": instance_to_wire(lease)})

    @router.get("/eureka/vips/{vip}")
    @router.get("/eureka/svips/{vip}")
    async def vips(request: Request, vip: str) -> Response:
        """The instances whose (secure) VIP address lists ``vip``."""
        secure = request.url.path.startswith("/eureka/svips/")
        apps = registry.by_vip(vip, secure=secure)
        document = applications_to_wire(
            apps, version=registry.version, hashcode=registry.hashcode()
        )
        return render(request, document)

    # -- writes --------------------------------------------------------------------

    @router.post("/eureka/apps/{app}")
    async def register(request: Request, app: str) -> Response:
        """Register an instance: ``{"instance": {...}}`` -> 204."""
        writer = guard.app_writer(request, app)
        if isinstance(writer, Response):
            return writer
        try:
            instance = parse_registration(await read_body(request), app=app, now_ms=_now_ms())
        except FieldError as exc:
            return bad_request(exc)
        service.register(
            registry=registry,
            peers=peers,
            instance=instance,
            replication=is_replication(request, writer),
        )
        return Response(status_code=204)

    @router.put("/eureka/apps/{app}/{instance_id}")
    async def heartbeat(request: Request, app: str, instance_id: str) -> Response:
        """Renew a lease; 404 tells the instance to register again."""
        writer = guard.app_writer(request, app)
        if isinstance(writer, Response):
            return writer
        query = request.query_params
        try:
            status = query.get("status")
            reported = None if status is None else parse_status(status, "status")
            last_dirty = parse_millis(query.get("lastDirtyTimestamp"), "lastDirtyTimestamp")
        except FieldError as exc:
            return bad_request(exc)
        outcome, lease = service.renew(
            registry=registry,
            peers=peers,
            app=app,
            instance_id=instance_id,
            status=reported,
            last_dirty_ms=last_dirty,
            replication=is_replication(request, writer),
        )
        if outcome is Renewal.CONFLICT and lease is not None:
            return json_response(instance_to_wire(lease, own_status=True), 409)
        if outcome is Renewal.NOT_FOUND:
            return not_found(f"{app}/{instance_id}")
        return Response(status_code=200)

    @router.delete("/eureka/apps/{app}/{instance_id}")
    async def cancel(request: Request, app: str, instance_id: str) -> Response:
        """Cancel a registration (an instance shutting down)."""
        writer = guard.app_writer(request, app)
        if isinstance(writer, Response):
            return writer
        lease = service.cancel(
            registry=registry,
            peers=peers,
            app=app,
            instance_id=instance_id,
            replication=is_replication(request, writer),
        )
        return Response(status_code=200) if lease is not None else not_found(f"{app}/{instance_id}")

    @router.put("/eureka/apps/{app}/{instance_id}/status")
    async def override(request: Request, app: str, instance_id: str) -> Response:
        """Override an instance's status: ``?value=OUT_OF_SERVICE``."""
        writer = guard.app_writer(request, app)
        if isinstance(writer, Response):
            return writer
        try:
            value = parse_status(request.query_params.get("value"), "value")
        except FieldError as exc:
            return bad_request(exc)
        lease = service.override_status(
            registry=registry,
            peers=peers,
            app=app,
            instance_id=instance_id,
            status=value,
            replication=is_replication(request, writer),
        )
        return Response(status_code=200) if lease is not None else not_found(f"{app}/{instance_id}")

    @router.delete("/eureka/apps/{app}/{instance_id}/status")
    async def remove_override(request: Request, app: str, instance_id: str) -> Response:
        """Remove a status override; ``?value=`` also sets the instance's own status."""
        writer = guard.app_writer(request, app)
        if isinstance(writer, Response):
            return writer
        raw = request.query_params.get("value")
        try:
            value = None if raw is None else parse_status(raw, "value")
        except FieldError as exc:
            return bad_request(exc)
        lease = service.remove_override(
            registry=registry,
            peers=peers,
            app=app,
            instance_id=instance_id,
            status=value,
            replication=is_replication(request, writer),
        )
        return Response(status_code=200) if lease is not None else not_found(f"{app}/{instance_id}")

    @router.put("/eureka/apps/{app}/{instance_id}/metadata")
    async def metadata(request: Request, app: str, instance_id: str) -> Response:
        """Merge ``?key=value`` pairs into an instance's metadata."""
        writer = guard.app_writer(request, app)
        if isinstance(writer, Response):
            return writer
        values = dict(request.query_params)
        if not values:
            return bad_request(FieldError("metadata", "give at least one key=value"))
        lease = service.update_metadata(
            registry=registry, peers=peers, app=app, instance_id=instance_id, values=values
        )
        return Response(status_code=200) if lease is not None else not_found(f"{app}/{instance_id}")

    @router.post("/eureka/peerreplication/batch")
    @router.post("/eureka/peerreplication/batch/")
    async def replication_batch(request: Request) -> Response:
        """Apply a batch of changes a peer replicated (never replicated further)."""
        refused = guard.peer(request)
        if isinstance(refused, Response):
            return refused
        try:
            tasks = parse_replication_batch(await request.body())
        except FieldError as exc:
            return bad_request(exc)
        now_ms = _now_ms()
        answers = []
        for task in tasks:
            try:
                code, entity = service.apply_replicated(registry=registry, task=task, now_ms=now_ms)
            except FieldError as exc:
                answers.append({"statusCode": 400, "responseEntity": exc.body()})
                continue
            answer: dict[str, Any] = {"statusCode": code}
            if entity is not None:
                answer["responseEntity"] = entity
            answers.append(answer)
        return json_response({"responseList": answers})

    # -- operations ----------------------------------------------------------------

    @router.get("/eureka/status")
    async def registry_status() -> Response:
        """Instances, self-preservation and replication state (always JSON)."""
        return json_response(status())

    @router.get("/prometheus/targets")
    async def targets() -> Response:
        """Prometheus HTTP service discovery: one target per UP instance."""
        return json_response(prometheus_targets(registry.leases()))

    return router
