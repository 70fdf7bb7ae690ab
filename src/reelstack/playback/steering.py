"""Steering: which edges a play's manifest names, best first (Open Connect's steering).

Each edge reports its region, public URL, load and the titles it holds in
its registry metadata every few seconds (``edge.*`` keys, the shared
contract). A play start ranks the edges the local registry copy lists UP:

* an edge whose last report is older than ``stale_s`` is left out (it
  stopped reporting: dead, hung or cut off);
* an edge in the caller's region comes first (a short path to the viewer);
* then one that already holds the title (no origin fetch for the first
  segments);
* then the less loaded (connections and bytes/s, each relative to the
  busiest edge listed, so the two figures weigh the same);
* edges that tie are ordered by rendezvous hashing of the title and the
  edge, so one title keeps going to the same edge (its cache stays hot)
  while different titles spread over equal edges.

Metadata is written by whatever registers as ``edge``: discovery is a trust
boundary, so a URL that is not a plain ``http(s)://host[:port]`` base is
refused rather than copied into a playlist (a newline in it would write
playlist tags).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reelstack.chassis.discovery import InstanceInfo

log = logging.getLogger(__name__)

EDGE_SERVICE = "edge"
MAX_TITLES = 200
# scheme://host[:port], host a name, IPv4 or bracketed IPv6; no path, user or query.
_BASE_URL = re.compile(r"https?://(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?")
_REGION = re.compile(r"[A-Z]{2}")
_TITLE = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True, slots=True)
class Edge:
    """One edge as its last report describes it."""

    instance: str
    region: str
    url: str
    """The public base URL viewers use, without a trailing slash."""
    connections: int
    bytes_s: int
    free_bytes: int
    capacity_bytes: int
    titles: frozenset[str]
    reported_at: float


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each criterion counts, how many edges a manifest lists, when a report is stale."""

    region: float = 100.0
    title: float = 10.0
    load: float = 20.0
    max_edges: int = 3
    stale_s: float = 60.0


def _int(metadata: Mapping[str, str], key: str) -> int:
    value = int(metadata.get(key, "0"))
    if value < 0:
        raise ValueError(f"{key} is negative")
    return value


def edge_of(info: InstanceInfo) -> Edge | None:
    """Return the edge an instance's metadata describes, or None (logged) if it does not."""
    meta = info.metadata
    try:
        url = meta.get("edge.url", "").rstrip("/")
        if not _BASE_URL.fullmatch(url):
            raise ValueError(f"edge.url {url[:80]!r} is not an http(s)://host[:port] base")
        region = meta.get("edge.region", "")
        if not _REGION.fullmatch(region):
            raise ValueError(f"edge.region {region[:20]!r} is not a region")
        listed = [t for t in meta.get("edge.titles", "").split(",") if t]
        titles = frozenset(t for t in listed[:MAX_TITLES] if _TITLE.fullmatch(t))
        reported_at = float(meta["edge.reported_at"])
        if reported_at != reported_at:  # NaN never compares as fresh or stale
            raise ValueError("edge.reported_at is not a time")
        return Edge(
            instance=info.instance_id,
            region=region,
            url=url,
            connections=_int(meta, "edge.connections"),
            bytes_s=_int(meta, "edge.bytes_s"),
            free_bytes=_int(meta, "edge.free_bytes"),
            capacity_bytes=_int(meta, "edge.capacity_bytes"),
            titles=titles,
            reported_at=reported_at,
        )
    except (KeyError, ValueError) as exc:
        log.warning("edge %s is not steered to: %s", info.instance_id, exc)
        return None


def _tie(title_id: str, instance: str) -> bytes:
    return hashlib.blake2b(f"{title_id}\n{instance}".encode(), digest_size=8).digest()


def rank(
    edges: Iterable[Edge], *, region: str | None, title_id: str, now: float, weights: Weights
) -> list[Edge]:
    """Return the healthy edges best first for a viewer in ``region`` playing ``title_id``."""
    fresh = [e for e in edges if now - weights.stale_s <= e.reported_at <= now + weights.stale_s]
    if not fresh:
        return []
    busiest_conn = max(e.connections for e in fresh) or 1
    busiest_bytes = max(e.bytes_s for e in fresh) or 1

    def score(edge: Edge) -> float:
        load = (edge.connections / busiest_conn + edge.bytes_s / busiest_bytes) / 2
        return (
            weights.region * (edge.region == region)
            + weights.title * (title_id in edge.titles)
            - weights.load * load
        )

    ordered = sorted(fresh, key=lambda e: (-score(e), _tie(title_id, e.instance)))
    return ordered[: weights.max_edges]


def steer(
    instances: Iterable[InstanceInfo],
    *,
    region: str | None,
    title_id: str,
    now: float,
    weights: Weights,
) -> list[Edge]:
    """Rank the registered ``edge`` instances (UP ones, from discovery) for one play."""
    found = (edge_of(i) for i in instances if i.status == "UP")
    return rank(
        (e for e in found if e is not None),
        region=region,
        title_id=title_id,
        now=now,
        weights=weights,
    )
