"""Signed URLs of what the operator ingested, so any HLS player plays them.

Media serves playlists and segments only at signed URLs (``media.signed_urls``);
the CLI signs with the same key as the cluster (``playback.url_secret``, or the
home's key file) for ``media.ingest_url_ttl_s``. The token covers the title's
folder, so the master playlist's relative URIs (every rendition) keep it.
"""

from __future__ import annotations

import time
from typing import Any

from reelstack import settings
from reelstack.config import Config
from reelstack.signed_urls import signer_for

MEDIA_FILES = "/media/"
SIGNED_KEYS = ("master_url", "dash_url")


def signed_path(config: Config, path: str) -> str:
    """Return a ``/media/TITLE/...`` path signed for the title's folder (others unchanged)."""
    if not path.startswith(MEDIA_FILES):
        return path
    title, _, rest = path[len(MEDIA_FILES) :].partition("/")
    expires = int(time.time() + config.get(settings.INGEST_URL_TTL_S))
    return signer_for(config).url(title, rest, expires=expires)


def with_signed_urls(config: Config, title: dict[str, Any]) -> dict[str, Any]:
    """The title with its playlist URLs signed (pictures stay open and unchanged)."""
    return {
        key: signed_path(config, value) if key in SIGNED_KEYS and isinstance(value, str) else value
        for key, value in title.items()
    }
