"""Tables and summaries the commands print."""

from __future__ import annotations

import time
from typing import Any

from rich.markup import escape
from rich.table import Table

# The keys `status --json` promises, first, in this order; the rest follow.
INSTANCE_KEYS = ("service", "instance", "zone", "port", "pid", "state", "version")

STATE_STYLE = {"up": "green", "starting": "yellow", "down": "red"}


def instance_json(view: dict[str, Any]) -> dict[str, Any]:
    """Return an instance's view with the promised keys first."""
    ordered = {key: view.get(key) for key in INSTANCE_KEYS}
    ordered.update({k: v for k, v in view.items() if k not in ordered})
    return ordered


def duration(seconds: float) -> str:
    """Return ``seconds`` as a short duration: 42s, 3m05s, 2h10m."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def instance_table(views: list[dict[str, Any]]) -> Table:
    """Return a table of instances."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("INSTANCE", "VERSION", "ZONE", "STATE", "PORT", "PID", "RESTARTS", "UPTIME"):
        table.add_column(column, no_wrap=True)
    table.add_column("NOTE")
    now = time.time()
    for view in views:
        state = view["state"]
        running = view["pid"] is not None and view["started_at"] is not None
        table.add_row(
            escape(view["instance"]),
            escape(view["version"]),
            escape(view["zone"]),
            f"[{STATE_STYLE.get(state, 'white')}]{state}[/]",
            str(view["port"] or "-"),
            str(view["pid"] or "-"),
            str(view["restarts"]),
            duration(now - view["started_at"]) if running else "-",
            escape(view.get("reason") or ""),
        )
    return table
