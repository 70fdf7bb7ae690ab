"""Proactive fill: copy the region's popular titles to the edge before viewers ask.

A round lists each title's files at the origin (``PREFIX/TITLE/``) and fills
those the cache lacks through the same :class:`~reelstack.edge.cache.Fill`
viewers' misses use (so a viewer asking for a file being filled joins it),
paced by ``edge.fill_rate_bytes_s``. A round never fills more than the
cache's capacity (what it filled first would be evicted by what it fills
last) and stops when the disk is full. :func:`fill_loop` runs one round a
day inside ``edge.fill_window`` (local time), as Open Connect appliances
fill in their site's nightly window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from datetime import time as clock_time
from urllib.parse import quote

from reelstack.edge.cache import NotCachedError, OriginError, OriginMissingError, RateLimit
from reelstack.edge.context import EdgeContext
from reelstack.edge.models import FillReport
from reelstack.errors import ReelstackError

log = logging.getLogger(__name__)

CHECK_S = 30.0
"""How often the loop looks at the clock for the fill window."""


def in_window(now: clock_time, window: str) -> bool:
    """Whether ``now`` is inside ``window`` (``HH:MM-HH:MM``; start > end wraps midnight)."""
    if not window:
        return False
    start_text, _, end_text = window.partition("-")
    start = clock_time.fromisoformat(start_text.strip().zfill(5))
    end = clock_time.fromisoformat(end_text.strip().zfill(5))
    if start <= end:
        return start <= now < end
    return now >= start or now < end


async def popular_titles(ctx: EdgeContext) -> list[str]:
    """Return the titles recommendations predicts popular in this edge's region."""
    path = f"/recommendations/popular?region={quote(ctx.region)}&limit={ctx.fill_titles}"
    response = await ctx.client().request("recommendations", "GET", path)
    if not response.ok:
        raise ReelstackError(f"recommendations answered {response.status}")
    data = response.json()
    return [str(title["id"]) for title in data.get("titles", []) if "id" in title]


async def fill_round(ctx: EdgeContext, titles: list[str] | None = None) -> FillReport:
    """Fill ``titles`` (the region's popular ones when None); one round at a time."""
    async with ctx.fill_lock:
        report = FillReport(started_at=time.time())
        ctx.last_fill = report
        try:
            if titles is None:
                titles = await popular_titles(ctx)
            report.titles = list(titles)
            await _copy(ctx, report)
        except (ReelstackError, ValueError, KeyError, TypeError) as exc:
            log.warning("fill: cannot get the popular titles: %s", exc)
            report.stopped = f"no popular titles: {exc}"
        finally:
            report.finished_at = time.time()
        log.info(
            "fill: %d files, %d bytes of %d titles (%d held, %d failed)%s",
            report.files,
            report.bytes,
            len(report.titles),
            report.held,
            report.failed,
            f"; stopped: {report.stopped}" if report.stopped else "",
        )
        return report


async def _copy(ctx: EdgeContext, report: FillReport) -> None:
    cache = ctx.cache
    rate = RateLimit(ctx.fill_rate_bytes_s)
    for title in report.titles:
        for info in await cache.blob.list(f"{cache.prefix}/{title}/"):
            if info.key in cache.index:
                report.held += 1
                continue
            if report.bytes + info.size > cache.capacity:
                report.stopped = "capacity"
                return
            fill, _ = cache.fill(info.key, rate=rate)
            try:
                await fill.finished()
            except NotCachedError:
                if cache.disk_full():
                    report.stopped = "disk full"
                    return
                report.failed += 1  # larger than the whole cache
                continue
            except (OriginError, OriginMissingError) as exc:
                log.warning("fill: %s failed: %s", info.key, exc)
                report.failed += 1
                continue
            report.files += 1
            report.bytes += info.size


async def fill_loop(ctx: EdgeContext) -> None:
    """Run one fill round a day inside ``edge.fill_window`` (local time)."""
    if not ctx.fill_window:
        return
    done_on = None
    while True:
        now = datetime.now()
        if done_on != now.date() and in_window(now.time(), ctx.fill_window):
            done_on = now.date()
            await fill_round(ctx)
        await asyncio.sleep(CHECK_S)
