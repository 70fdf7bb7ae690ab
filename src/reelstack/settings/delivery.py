"""Signed delivery URLs: read by media (verifies), playback and the CLI (sign).

Shared rather than declared by one service because three parties read the
same values: a secret one service signs with and another verifies with must
be one setting, not two that may drift.
"""

from __future__ import annotations

from reelstack.config import Setting, parse_bool, parse_float, parse_secret
from reelstack.settings.base import add

URL_SECRET = add(
    Setting(
        "playback.url_secret",
        parse_secret,
        "",
        "HMAC-SHA256 key of signed media URLs (/media/s/TOKEN/...); every media and playback "
        "process needs the same one. Empty: a random key kept in <home>/secrets/url_secret, "
        "made by the first process that needs it.",
    )
)
SIGNED_URLS = add(
    Setting(
        "media.signed_urls",
        parse_bool,
        "true",
        "Serve playlists, segments and subtitles only at signed URLs (/media/s/TOKEN/...); "
        "off: also at /media/PATH to anyone. Pictures (posters, thumbnails) stay open.",
    )
)
PLAY_URL_TTL_S = add(
    Setting(
        "playback.url_ttl_s",
        parse_float(60, 7 * 86400),
        "21600",
        "Seconds the signed URLs of a play stay valid (a film and its pauses fit inside).",
    )
)
INGEST_URL_TTL_S = add(
    Setting(
        "media.ingest_url_ttl_s",
        parse_float(60, 365 * 86400),
        "604800",
        "Seconds the signed master_url `reelstack ingest --json` prints stays valid.",
    )
)
