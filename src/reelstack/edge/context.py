"""What the edge's routes and background tasks share: one :class:`EdgeContext` per instance."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from reelstack.chassis.discovery import Discovery
from reelstack.chassis.resilience.client import ResilientClient
from reelstack.edge.cache import DiskCache
from reelstack.edge.models import EdgeStats, FillReport
from reelstack.edge.server import EdgeServer


@dataclass
class EdgeContext:
    """The running edge: its cache, its listener, its counters and its fill state."""

    instance: str
    region: str
    public_url: str
    cache: DiskCache
    server: EdgeServer
    stats: EdgeStats
    client: Callable[[], ResilientClient]
    discovery: Discovery | None
    report_s: float
    fill_window: str
    fill_rate_bytes_s: int
    fill_titles: int
    fill_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_fill: FillReport | None = None
