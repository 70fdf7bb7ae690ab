"""The registry's background tasks, run by the chassis while it serves (see its spec)."""

from __future__ import annotations

import asyncio
import logging

from reelstack.registry import settings as registry_settings
from reelstack.registry.context import RegistryContext

log = logging.getLogger(__name__)


async def evict_expired(ctx: RegistryContext) -> None:
    """Evict expired leases every ``registry.eviction_interval_s``, for as long as it serves."""
    while True:
        await asyncio.sleep(ctx.config.get(registry_settings.REGISTRY_EVICTION_INTERVAL_S))
        try:
            ctx.registry.evict()
        except Exception:
            # One failed run must not end eviction: the next one may succeed.
            log.exception("eviction run failed")


async def copy_from_peers(ctx: RegistryContext) -> None:
    """Copy the whole registry from a peer once, at start.

    The registry serves (and takes registrations) while it copies, and newer
    data wins over the copy. If no peer can give a copy, the registry counts
    as synced anyway: it fills from heartbeats as a lone registry does.
    """
    try:
        await ctx.peers.sync(ctx.config.get(registry_settings.REGISTRY_SYNC_TIMEOUT_S))
    except Exception:
        ctx.peers.synced = True
        log.exception("copying the registry from a peer failed")
