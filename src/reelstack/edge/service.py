"""The edge's use cases: its status, a fill round on demand, a title purged."""

from __future__ import annotations

import dataclasses

from reelstack.edge.context import EdgeContext
from reelstack.edge.fill import fill_round
from reelstack.edge.models import FillReport
from reelstack.edge.schemas import EdgeStatus, FillOut, PurgeOut


def _fill_out(report: FillReport) -> FillOut:
    return FillOut(**dataclasses.asdict(report))


def status(*, ctx: EdgeContext) -> EdgeStatus:
    """Return the edge's health, traffic and contents."""
    stats = ctx.stats
    by_requests, by_bytes, offload = stats.ratios()
    return EdgeStatus(
        instance=ctx.instance,
        region=ctx.region,
        url=ctx.public_url.rstrip("/"),
        healthy=ctx.server.server is not None,
        requests=stats.requests,
        hits=stats.hits,
        bytes_served=stats.bytes_served,
        bytes_from_origin=stats.bytes_from_origin,
        origin_fetches=stats.origin_fetches,
        hit_ratio_requests=by_requests,
        hit_ratio_bytes=by_bytes,
        origin_offload=offload,
        capacity_bytes=ctx.cache.capacity,
        used_bytes=ctx.cache.used,
        titles=ctx.cache.titles(200),
        connections=stats.connections,
        filling=ctx.fill_lock.locked(),
        disk_full=ctx.cache.disk_full(),
        results=dict(stats.results),
        last_fill=_fill_out(ctx.last_fill) if ctx.last_fill is not None else None,
    )


async def fill(*, ctx: EdgeContext, titles: list[str] | None) -> FillOut:
    """Run a fill round now (after the one in progress, if any) and return what it did."""
    return _fill_out(await fill_round(ctx, titles))


def purge(*, ctx: EdgeContext, title: str) -> PurgeOut:
    """Drop every file of ``title`` from the cache (after an unpublish, a takedown)."""
    files, dropped = ctx.cache.purge(title)
    return PurgeOut(title=title, files=files, bytes=dropped)
