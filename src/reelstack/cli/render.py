"""Tables and summaries the commands print."""

from __future__ import annotations

import time
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

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


def table(*columns: str, flexible: tuple[str, ...] = ()) -> Table:
    """An empty table whose rows stay one line each in an 80-column terminal.

    The ``flexible`` columns give up width when the terminal is narrow, the
    others (ids, states, numbers: what a reader copies or compares) keep
    theirs. Put :func:`clipped` text in the flexible columns: it ends in an
    ellipsis instead of wrapping a word per line; ``--json`` and ``show``
    print the whole value.
    """
    out = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        # A column Rich may narrow is one that may "wrap"; the clipped cells
        # in it never do.
        out.add_column(column, no_wrap=column not in flexible)
    return out


def clipped(value: str, style: str = "") -> Text:
    """``value`` as a cell of a flexible column: one line, cut with an ellipsis."""
    return Text(value, style=style, no_wrap=True, overflow="ellipsis")


def instance_table(views: list[dict[str, Any]]) -> Table:
    """Return a table of instances."""
    out = table(
        "INSTANCE",
        "VERSION",
        "ZONE",
        "STATE",
        "PORT",
        "PID",
        "RESTARTS",
        "UPTIME",
        "NOTE",
        flexible=("VERSION", "ZONE", "NOTE"),
    )
    now = time.time()
    for view in views:
        state = view["state"]
        running = view["pid"] is not None and view["started_at"] is not None
        out.add_row(
            escape(view["instance"]),
            clipped(view["version"]),
            clipped(view["zone"]),
            f"[{STATE_STYLE.get(state, 'white')}]{state}[/]",
            str(view["port"] or "-"),
            str(view["pid"] or "-"),
            str(view["restarts"]),
            duration(now - view["started_at"]) if running else "-",
            clipped(view.get("reason") or ""),
        )
    return out
