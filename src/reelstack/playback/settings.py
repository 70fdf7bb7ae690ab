"""The playback service's settings (the URL secret and lifetimes are in ``reelstack.settings``)."""

from __future__ import annotations

from reelstack.config import Setting, parse_float, parse_str
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
