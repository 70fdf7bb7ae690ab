"""The playback service's settings (the URL secret and lifetimes are in ``reelstack.settings``)."""

from __future__ import annotations

from reelstack.config import Setting, parse_float, parse_int, parse_str
from reelstack.settings.base import add

PLAYBACK_LEASE_S = add(
    Setting(
        "playback.lease_s",
        parse_float(10, 3600),
        "90",
        "Seconds a stream lease lasts without a heartbeat before its slot is free again.",
    )
)
PLAYBACK_HEARTBEAT_S = add(
    Setting(
        "playback.heartbeat_s",
        parse_float(1, 600),
        "30",
        "Seconds between a player's lease heartbeats (told to the player; below lease_s).",
    )
)
PLAYBACK_KEEP_S = add(
    Setting(
        "playback.keep_s",
        parse_float(60),
        "86400",
        "Seconds an ended play's row is kept (for support questions) before the sweep drops it.",
    )
)
PLAYBACK_TITLE_CACHE_S = add(
    Setting(
        "playback.title_cache_s",
        parse_float(0, 60),
        "5",
        "Seconds a play start reuses what media said about a title (a removal reaches new"
        " plays within this; 0 asks media every time).",
    )
)
PLAYBACK_ANNOUNCE_S = add(
    Setting(
        "playback.announce_s",
        parse_float(0.05, 600),
        "1",
        "Seconds between a playback instance's rounds putting new plays on the log.",
    )
)
PLAYBACK_PLAYS_TOPIC = add(
    Setting(
        "playback.plays_topic",
        parse_str,
        "playback.plays",
        "Topic on which playback puts every play start (recommendations counts them).",
    )
)


def parse_edge_weights(raw: str) -> dict[str, float]:
    """Parse ``region=100,title=10,load=20`` (any of the three; the others keep their default)."""
    out: dict[str, float] = {}
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        if not sep or name.strip() not in ("region", "title", "load"):
            raise ValueError(f"edge weight {entry!r}: expected region=N, title=N or load=N")
        number = float(value)
        if not 0 <= number <= 1e6:
            raise ValueError(f"edge weight {entry!r}: expected a number from 0 to 1000000")
        out[name.strip()] = number
    return out


PLAYBACK_EDGE_WEIGHTS = add(
    Setting(
        "playback.edge_weights",
        parse_edge_weights,
        "region=100,title=10,load=20",
        "Steering: what an edge scores for being in the viewer's region, for holding the"
        " title, and against its load (connections and bytes/s relative to the busiest edge).",
    )
)
PLAYBACK_EDGE_MAX = add(
    Setting(
        "playback.edge_max",
        parse_int(1, 10),
        "3",
        "Edges a play's manifest lists (redundant variant streams, best first).",
    )
)
PLAYBACK_EDGE_STALE_S = add(
    Setting(
        "playback.edge_stale_s",
        parse_float(1, 3600),
        "60",
        "Seconds after its last report an edge is no longer steered to; above"
        " eureka.fetch_interval_s plus edge.report_s, or live edges look stale.",
    )
)
