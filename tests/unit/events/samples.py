"""Well-formed player events of every kind, for the events service's tests."""

from __future__ import annotations

from typing import Any

BASE = {"v": 1, "session": "play-1", "seq": 0, "ts": 1_765_000_000_000}

GOOD: dict[str, dict[str, Any]] = {
    "play_start": {"title": "t-42", "startup_ms": 850, "position_ms": 0, "device": "tv"},
    "heartbeat": {"position_ms": 30_000, "bitrate_kbps": 4500, "buffer_ms": 12_000},
    "pause": {"position_ms": 31_000},
    "seek": {"from_ms": 31_000, "to_ms": 90_000},
    "bitrate_switch": {"position_ms": 5000, "from_kbps": 1200, "to_kbps": 4500, "reason": "abr"},
    "rebuffer_start": {"position_ms": 60_000},
    "rebuffer_end": {"position_ms": 60_000, "duration_ms": 1400},
    "error": {"code": "MEDIA_ERR_DECODE", "message": "bad frame", "fatal": True},
    "stop": {"position_ms": 120_000, "reason": "user"},
}


def event(kind: str, **changes: Any) -> dict[str, Any]:
    """A valid event of ``kind`` with ``changes`` applied (None removes a field)."""
    out = {"type": kind, **BASE, **GOOD[kind], **changes}
    return {k: v for k, v in out.items() if v is not None}
