"""Reports to the registry: every ``edge.report_s`` the edge's load and contents in its metadata.

Steering (playback) reads them from its copy of the registry: the keys and
their meaning are in the issue's contract (``edge.region``, ``edge.url``,
``edge.connections``, ``edge.bytes_s``, ``edge.free_bytes``,
``edge.capacity_bytes``, ``edge.titles``, ``edge.reported_at``).
"""

from __future__ import annotations

import asyncio
import logging
import time

from reelstack.chassis.eureka import EurekaClient
from reelstack.edge.context import EdgeContext
from reelstack.errors import UnavailableError

log = logging.getLogger(__name__)


def report_values(ctx: EdgeContext, bytes_s: int) -> dict[str, str]:
    """Return the metadata an edge reports now."""
    cache = ctx.cache
    return {
        "edge.region": ctx.region,
        "edge.url": ctx.public_url.rstrip("/"),
        "edge.connections": str(ctx.stats.connections),
        "edge.bytes_s": str(bytes_s),
        "edge.free_bytes": str(max(0, cache.capacity - cache.used)),
        "edge.capacity_bytes": str(cache.capacity),
        "edge.titles": ",".join(cache.titles(200)),
        "edge.reported_at": str(int(time.time())),
    }


async def report_loop(ctx: EdgeContext) -> None:
    """Update this instance's registry metadata every ``report_s`` seconds."""
    discovery = ctx.discovery
    last_bytes, last_at = ctx.stats.bytes_served, time.monotonic()
    # Known before the first registration, so steering sees a new edge's URL at once.
    if isinstance(discovery, EurekaClient):
        discovery.metadata.update(report_values(ctx, 0))
    while True:
        await asyncio.sleep(ctx.report_s)
        now = time.monotonic()
        served = ctx.stats.bytes_served
        bytes_s = int((served - last_bytes) / max(now - last_at, 1e-3))
        last_bytes, last_at = served, now
        if not isinstance(discovery, EurekaClient):
            continue
        try:
            await discovery.update_metadata(report_values(ctx, bytes_s))
        except UnavailableError as exc:
            log.warning("edge report not sent: %s", exc)
