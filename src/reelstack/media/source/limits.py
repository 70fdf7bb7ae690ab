"""What one account, and the host as a whole, may make the media service spend.

Two kinds of refusal, each carrying the HTTP status a client should see:

- :class:`InsufficientStorage` (``507``): the upload folder's disk is below
  ``media.min_free_bytes`` (or would be once the upload is in); a floor for
  everyone, so one studio cannot fill the disk the service and its encoders
  share.
- :class:`QuotaExceeded` (``429`` for counts and rates, ``413`` for bytes):
  one account (the gateway's ``x-account-id``) has used up a quota; the
  message names the quota and its limit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from reelstack.errors import ReelstackError


class InsufficientStorage(ReelstackError):
    """The disk is below the configured free-space floor (HTTP 507)."""

    status = 507


class QuotaExceeded(ReelstackError):
    """An account has used up one of its quotas (HTTP 429 or 413)."""

    def __init__(self, quota: str, limit: int, message: str, *, status: int = 429) -> None:
        super().__init__(f"quota {quota} (limit {limit}) exceeded: {message}")
        self.quota = quota
        self.limit = limit
        self.status = status


def free_bytes(path: Path) -> int:
    """Free bytes on the disk holding ``path`` (or its nearest existing parent)."""
    here = path
    while not here.exists() and here != here.parent:
        here = here.parent
    return shutil.disk_usage(here).free


def below_floor(path: Path, floor: int, *, incoming: int = 0) -> str | None:
    """Why ``incoming`` more bytes at ``path`` would leave less than ``floor`` free, or None."""
    if floor <= 0:
        return None
    free = free_bytes(path)
    if free - incoming >= floor:
        return None
    wanted = f" after {incoming} more bytes" if incoming else ""
    # Figures, not the folder: a client learns the disk is full, not where it is.
    return f"the server's free disk space would fall below its floor of {floor} bytes{wanted}"
