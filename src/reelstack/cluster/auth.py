"""The control API's token: a random secret in ``<home>/cluster/control.token``.

The supervisor makes it at its first start and keeps it across restarts, so a
Prometheus configured with ``credentials_file`` pointing at it stays valid.
The file is ``0600`` and owned by the user running the cluster: whoever can
read it may drive the cluster, nobody else. A token file that another user
could read (or that another user owns) is never trusted: the supervisor
replaces it with a new one.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from reelstack.cluster.statefile import cluster_dir

log = logging.getLogger(__name__)

TOKEN_FILE = "control.token"
# 32 random bytes: 43 URL-safe characters; shorter files are someone's edit.
_TOKEN_BYTES = 32
_MIN_LENGTH = 43


def token_path(home: Path) -> Path:
    """Return the file holding the control API's token."""
    return cluster_dir(home) / TOKEN_FILE


def read(home: Path) -> str | None:
    """Return the token of the cluster at ``home``, or None if there is no usable one."""
    path = token_path(home)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        # A symlink (ELOOP) or a file we may not read: not a token we made.
        log.warning("ignoring the control token %s: %s", path, exc)
        return None
    with os.fdopen(fd, "r", encoding="ascii", errors="replace") as file:
        info = os.fstat(file.fileno())
        if info.st_uid != os.getuid() or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode):
            log.warning(
                "ignoring the control token %s: mode %o, owner %d (expected 600, owner %d)",
                path,
                stat.S_IMODE(info.st_mode),
                info.st_uid,
                os.getuid(),
            )
            return None
        token = file.read(256).strip()
    if len(token) < _MIN_LENGTH or not token.isascii() or not token.isprintable():
        log.warning("ignoring the control token %s: not a token this supervisor made", path)
        return None
    return token


def ensure(home: Path) -> str:
    """Return the token of ``home``, making a new ``0600`` token file if there is none usable."""
    token = read(home)
    if token is not None:
        return token
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    path = token_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TOKEN_FILE}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    # Created 0600 (O_EXCL: never through a file someone placed there), then
    # renamed: a reader sees the old file or the whole new one.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(token + "\n")
    os.replace(tmp, path)
    log.info("made a new control API token in %s", path)
    return token
