"""The history service's spec: bookmarks and what a profile has watched."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

SPEC = ServiceSpec(
    name="history",
    app="reelstack.history.app:create_app",
    ports=("widecolumn",),
    # Every route needs a token: the gateway's identity headers say whose rows
    # these are. A heartbeat is a few hundred bytes; 8 KiB leaves room and
    # stops a large body at the front door.
    routes=("/api/history;rewrite=/history;max_body=8192",),
    deploy=Deploy(calls=("catalog",)),
)
