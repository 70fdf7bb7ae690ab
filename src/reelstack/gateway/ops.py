"""The operator's read API at ``/api/ops`` (admin role): instances and their metrics.

The ops console needs what no route reached: the registry is found by
address, not through the gateway, and every instance's ``/metrics`` answers
inside the cluster only. The gateway already keeps the registry's copy (it
routes from it), so it answers both here, read-only:

- ``GET /api/ops/instances``: every instance the copy holds, whatever its
  status, with service, zone, status and version.
- ``GET /api/ops/metrics``: each service's counters summed over its UP
  instances (requests, 5xx, the latency histogram; play starts; the edges'
  results; QoE by region from the events service's player events),
  cumulative, with the time they were read: the console turns two reads into
  rates. Scrapes run at most once per ``cache_s`` however many
  consoles poll, so an admin's browser cannot make the gateway hammer the
  cluster.

The ``role=admin`` route makes the auth filter refuse anyone else before
this endpoint runs; the endpoint checks the role again so a wiring mistake
fails closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import orjson

from reelstack.chassis.client import http_session
from reelstack.chassis.discovery import InstanceInfo
from reelstack.gateway.models import GatewayResponse, RequestContext
from reelstack.gateway.ops_metrics import ServiceTotals, parse_exposition
from reelstack.gateway.responses import error_response
from reelstack.gateway.routes import Route, parse_route

log = logging.getLogger(__name__)

OPS_PREFIX = "/api/ops"
OPS_ROLE = "admin"
OPS_ROUTE: Route = parse_route(f"{OPS_PREFIX}=gateway;role={OPS_ROLE}")
# A scrape answer larger than this is not an instance's metrics.
MAX_SCRAPE_BYTES = 4 * 1024 * 1024
_JSON = (b"content-type", b"application/json")
_NO_STORE = (b"cache-control", b"no-store")


def _json(document: Any) -> GatewayResponse:
    return GatewayResponse(200, [_JSON, _NO_STORE], orjson.dumps(document))


def instance_view(instance: InstanceInfo) -> dict[str, Any]:
    """What the console shows of one instance (no addresses: an admin needs none)."""
    return {
        "service": instance.service,
        "instance_id": instance.instance_id,
        "zone": instance.metadata.get("zone") or instance.zone,
        "status": instance.status,
        "version": instance.metadata.get("version") or instance.version,
    }


def scrape_url(instance: InstanceInfo) -> str:
    """Where an instance's metrics answer: its management port when it has one."""
    management = instance.metadata.get("management.port", "")
    port = management if management.isdigit() else str(instance.port)
    return f"http://{instance.host}:{port}/metrics"


class OpsEndpoint:
    """Answers ``/api/ops/instances`` and ``/api/ops/metrics`` from the registry's copy."""

    name = "ops"
    kind = "endpoint"

    def __init__(
        self,
        listing: Callable[[], Sequence[InstanceInfo]],
        *,
        timeout_s: float = 2.0,
        cache_s: float = 2.0,
    ) -> None:
        self.listing = listing
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self._last: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def handle(self, ctx: RequestContext) -> GatewayResponse:
        if ctx.principal is None or OPS_ROLE not in ctx.principal.roles:
            return error_response(403, "Forbidden", f"this route needs the role {OPS_ROLE}")
        if ctx.method not in ("GET", "HEAD"):
            return error_response(405, "MethodNotAllowed", "the ops API is read-only")
        sub = ctx.path[len(OPS_PREFIX) :]
        if sub == "/instances":
            found = sorted(self.listing(), key=lambda i: (i.service, i.zone, i.instance_id))
            return _json({"instances": [instance_view(i) for i in found]})
        if sub == "/metrics":
            return _json(await self.metrics())
        return error_response(404, "NotFound", f"no route for {ctx.path}")

    async def metrics(self) -> dict[str, Any]:
        """The services' summed counters, read at most once per ``cache_s``."""
        async with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last[0] < self.cache_s:
                return self._last[1]
            document = await self._scrape_all()
            self._last = (time.monotonic(), document)
            return document

    async def _scrape_all(self) -> dict[str, Any]:
        up = [i for i in self.listing() if i.status == "UP"]
        async with http_session(timeout_s=self.timeout_s) as session:
            texts = await asyncio.gather(*(self._scrape(session, i) for i in up))
        totals: dict[str, ServiceTotals] = {}
        for instance, text in zip(up, texts, strict=True):
            entry = totals.setdefault(instance.service, ServiceTotals())
            entry.instances += 1
            if text is None:
                continue
            entry.scraped += 1
            entry.add(parse_exposition(text))
        services = {name: entry.as_dict() for name, entry in sorted(totals.items())}
        plays = totals["playback"].play_starts if "playback" in totals else None
        edge = totals["edge"].edge_results if "edge" in totals else None
        # None: no events instance answered; {}: they did, and no play has been counted.
        events = totals.get("events")
        qoe = events.qoe_by_region if events is not None and events.scraped > 0 else None
        return {
            "at": time.time(),
            "services": services,
            "play_starts": plays,
            "edge_results": edge,
            "qoe_by_region": qoe,
        }

    async def _scrape(self, session: aiohttp.ClientSession, instance: InstanceInfo) -> str | None:
        url = scrape_url(instance)
        try:
            async with session.get(url) as response:
                if response.status != 200:
                    log.info("ops: %s answered %s for its metrics", url, response.status)
                    return None
                body = await response.content.read(MAX_SCRAPE_BYTES + 1)
                if len(body) > MAX_SCRAPE_BYTES:
                    log.warning("ops: %s sent more than %d bytes of metrics", url, MAX_SCRAPE_BYTES)
                    return None
                return body.decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("ops: could not read %s: %s", url, exc)
            return None
