"""The edge's domain types: counters, a cached file, a fill round's outcome (no I/O)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

RESULTS = (
    "hit",
    "miss",
    "collapsed",
    "passthrough",
    "not_modified",
    "refused",
    "not_found",
    "error",
)
"""How a media request ended (the ``result`` label of ``edge_requests_total``).

``hit``: served from the disk cache; ``miss``: this request's fetch filled
the cache; ``collapsed``: joined a fill another request started;
``passthrough``: streamed from the origin without caching (disk full, file
larger than the cache); ``not_modified``: 304; ``refused``: bad token or bad
request; ``not_found``: no such file; ``error``: the origin failed (502).
"""


@dataclass(slots=True)
class EdgeStats:
    """What the serving path counts; read by status, metrics and reports."""

    requests: int = 0
    hits: int = 0
    bytes_served: int = 0
    bytes_served_cached: int = 0
    bytes_from_origin: int = 0
    origin_fetches: int = 0
    connections: int = 0
    results: Counter[str] = field(default_factory=Counter)

    def count(self, result: str, *, served: int = 0, cached: bool = False) -> None:
        """Count one finished request: how it ended and the body bytes it sent."""
        self.results[result] += 1
        self.bytes_served += served
        if result in ("hit", "miss", "collapsed", "passthrough", "not_modified"):
            self.requests += 1
            if cached:
                self.hits += 1
                self.bytes_served_cached += served

    def ratios(self) -> tuple[float, float, float]:
        """Return hit ratio by requests, by bytes, and origin offload (1.0 with no traffic)."""
        by_requests = self.hits / self.requests if self.requests else 1.0
        by_bytes = self.bytes_served_cached / self.bytes_served if self.bytes_served else 1.0
        offload = (
            max(0.0, 1.0 - self.bytes_from_origin / self.bytes_served) if self.bytes_served else 1.0
        )
        return by_requests, by_bytes, offload


@dataclass(slots=True)
class Entry:
    """One file the disk cache holds, under its blob key."""

    key: str
    path: Path
    size: int
    modified: float
    etag: str
    validators: bytes = b""
    """``ETag`` and ``Last-Modified`` header lines, made once (see :mod:`reelstack.edge.server`)."""
    file: BinaryIO | None = None
    """The file kept open while it is served (one open per file, not per request)."""
    users: int = 0
    """Responses sending from ``file`` now: it is closed when evicted and unused."""
    evicted: bool = False

    def release(self) -> None:
        """One response is done with ``file``; close it if the entry was evicted meanwhile."""
        self.users -= 1
        if self.evicted and not self.users and self.file is not None:
            self.file.close()
            self.file = None


@dataclass(slots=True)
class FillReport:
    """What one fill round did."""

    titles: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    held: int = 0
    failed: int = 0
    stopped: str = ""
    started_at: float = 0.0
    finished_at: float = 0.0


def title_of(key: str, prefix: str) -> str | None:
    """Return the title id of a media blob key (``PREFIX/TITLE/...``), or None."""
    head = prefix + "/"
    if not key.startswith(head):
        return None
    title, slash, _ = key[len(head) :].partition("/")
    return title if slash and title else None
