"""The edge node's settings (``edge.*``)."""

from __future__ import annotations

from reelstack.config import Setting, parse_float, parse_int, parse_str
from reelstack.settings.base import add


def parse_window(raw: str) -> str:
    """Check a fill window ``HH:MM-HH:MM`` (local time; may wrap midnight) or empty."""
    text = raw.strip()
    if not text:
        return ""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError("expected HH:MM-HH:MM")
    for part in (start, end):
        hours, colon, minutes = part.strip().partition(":")
        if not colon or not hours.isdigit() or not minutes.isdigit():
            raise ValueError("expected HH:MM-HH:MM")
        if int(hours) > 23 or int(minutes) > 59:
            raise ValueError(f"{part.strip()} is not a time of day")
    return text


EDGE_REGION = add(Setting("edge.region", parse_str, "US", "Region whose viewers this edge serves."))
EDGE_CAPACITY_BYTES = add(
    Setting(
        "edge.capacity_bytes",
        parse_int(1024 * 1024),
        str(10 * 1024**3),
        "Bytes of media the edge's disk cache holds before it evicts (least recently used first).",
    )
)
EDGE_CACHE_DIR = add(
    Setting(
        "edge.cache_dir",
        parse_str,
        "",
        "Folder of the disk cache; empty: HOME/edge/INSTANCE (one folder per instance).",
    )
)
EDGE_SERVE_HOST = add(
    Setting("edge.serve_host", parse_str, "127.0.0.1", "Address the serving listener binds.")
)
EDGE_SERVE_PORT = add(
    Setting(
        "edge.serve_port",
        parse_int(0, 65535),
        "0",
        "Port viewers fetch media from (0: a free port); the service port serves management.",
    )
)
EDGE_PUBLIC_URL = add(
    Setting(
        "edge.public_url",
        parse_str,
        "",
        "Base URL viewers reach the serving listener at; empty: http://SERVE_HOST:SERVE_PORT.",
    )
)
EDGE_REPORT_S = add(
    Setting(
        "edge.report_s",
        parse_float(0.1, 3600),
        "2",
        "Seconds between reports of health, load and contents to the registry metadata.",
    )
)
EDGE_FILL_WINDOW = add(
    Setting(
        "edge.fill_window",
        parse_window,
        "",
        "Local time window of the daily proactive fill, HH:MM-HH:MM; empty: only on demand.",
    )
)
EDGE_FILL_RATE_BYTES_S = add(
    Setting(
        "edge.fill_rate_bytes_s",
        parse_int(1),
        str(150 * 1024 * 1024),
        "Cap on the proactive fill's rate from the origin, bytes/s (misses are not capped).",
    )
)
EDGE_FILL_TITLES = add(
    Setting(
        "edge.fill_titles", parse_int(0, 1000), "20", "How many popular titles a fill round pulls."
    )
)
EDGE_ORIGIN_PREFIX = add(
    Setting(
        "edge.origin_prefix",
        parse_str,
        "media",
        "Blob key prefix of published media (media.output_prefix of the media service).",
    )
)
EDGE_MAX_HEADER_BYTES = add(
    Setting(
        "edge.max_header_bytes",
        parse_int(1024, 65536),
        "8192",
        "Bytes a request line and headers may take; more is refused with 431.",
    )
)
EDGE_HEADER_TIMEOUT_S = add(
    Setting(
        "edge.header_timeout_s",
        parse_float(0.1, 300),
        "10",
        "Seconds a new connection has to send a whole request head (then 408 and close).",
    )
)
EDGE_KEEP_ALIVE_S = add(
    Setting(
        "edge.keep_alive_s",
        parse_float(0.1, 300),
        "15",
        "Seconds an idle keep-alive connection has to send its next whole request head.",
    )
)
EDGE_SEND_TIMEOUT_S = add(
    Setting(
        "edge.send_timeout_s",
        parse_float(1, 3600),
        "60",
        "Seconds a response may take to send before the connection is closed (stalled readers).",
    )
)
EDGE_MAX_CONNECTIONS = add(
    Setting(
        "edge.max_connections",
        parse_int(1),
        "4096",
        "Connections the serving listener holds at once; more are answered 503 and closed.",
    )
)
EDGE_MAX_CONNECTIONS_PER_ADDRESS = add(
    Setting(
        "edge.max_connections_per_address",
        parse_int(1),
        "512",
        "Connections one client address may hold at once; more are answered 503 and closed.",
    )
)
