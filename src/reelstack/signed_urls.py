"""Signed media URLs: one token in the path covers a path prefix until an expiry.

``/media/s/<token>/<title>/<job>/v0/seg_00001.m4s``: the token says how many
leading segments of the path after it it covers (``depth``) and when it
expires, and carries HMAC-SHA256 over both and that prefix. Because the
token sits in the path, a playlist's relative URIs (``seg_00001.m4s``,
``../a0/index.m3u8``) resolve to URLs that carry it, so one token signs a
rendition's directory (Akamai EdgeAuth's ``acl=/path/*`` in a path form).

Playback signs, media verifies, the CLI signs ``ingest``'s master URL: the
code lives here, beside neither service, so both import it and neither
imports the other. The secret is the ``playback.url_secret`` setting or,
when empty, a random key kept under the home folder (every process of a
local cluster shares the home, so they share the key).
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from reelstack import settings
from reelstack.config import Config, Secret
from reelstack.errors import ReelstackError

log = logging.getLogger(__name__)

SIGNED_PREFIX = "/media/s"
"""Where signed files are served (the gateway routes ``/media`` to media as it is)."""
SKEW_S = 30.0
"""A token is still honoured this long after its expiry: clocks of hosts differ."""
SECRET_FILE = "secrets/url_secret"
_MAC_BYTES = 16  # 128 bits of HMAC-SHA256: a forgery costs 2**128 tries


class SignatureError(ReelstackError):
    """A signed URL that does not verify: tampered, malformed, or for another path (403)."""


class ExpiredError(ReelstackError):
    """A signed URL whose time is over (410)."""


@dataclass(frozen=True, slots=True)
class UrlSigner:
    """Signs and verifies path prefixes with one key."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("a URL signing key needs at least 16 bytes")

    def _mac(self, expires: int, prefix: str) -> str:
        # hmac.digest: one call into OpenSSL (the edge verifies on every request).
        digest = hmac.digest(self.key, f"{expires}\n{prefix}".encode(), "sha256")
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).rstrip(b"=").decode()

    def token(self, prefix: str, *, expires: int) -> str:
        """Return the token covering every path under ``prefix`` until ``expires`` (epoch s).

        ``prefix`` is a relative directory such as ``TITLE/JOB/v0``, or a
        file (then the token covers that file alone).
        """
        parts = _segments(prefix)
        return f"{expires}.{len(parts)}.{self._mac(expires, '/'.join(parts))}"

    def url(self, prefix: str, rest: str, *, expires: int) -> str:
        """Return ``/media/s/TOKEN/PREFIX/REST``: ``rest`` under ``prefix``, signed."""
        token = self.token(prefix, expires=expires)
        path = "/".join(_segments(prefix) + (_segments(rest) if rest else ()))
        return f"{SIGNED_PREFIX}/{token}/{path}"

    def verify(self, token: str, path: str, *, now: float) -> None:
        """Check that ``token`` covers ``path`` now; SignatureError or ExpiredError if not.

        The MAC is checked before the expiry, so a tampered token is 403
        whatever time it names, and an expired one says so only when it is
        genuine.
        """
        fields = token.split(".")
        if len(fields) != 3 or not fields[0].isdigit() or not fields[1].isdigit():
            raise SignatureError("malformed URL token")
        expires, depth = int(fields[0]), int(fields[1])
        parts = _segments(path)
        if depth < 1 or depth > len(parts):
            raise SignatureError("the URL token does not cover this path")
        expected = self._mac(expires, "/".join(parts[:depth]))
        if not hmac.compare_digest(expected, fields[2]):
            raise SignatureError("the URL token does not cover this path")
        if now > expires + SKEW_S:
            raise ExpiredError("the signed URL has expired")


def _segments(path: str) -> tuple[str, ...]:
    parts = tuple(part for part in path.strip("/").split("/"))
    if not parts or any(part in ("", ".", "..") for part in parts):
        raise SignatureError("a signed path has no empty, '.' or '..' segments")
    return parts


def signer_for(config: Config) -> UrlSigner:
    """Return the signer with the configured key (the home's key file when unset)."""
    secret: Secret = config.get(settings.URL_SECRET)
    value = secret.reveal()
    if value:
        return UrlSigner(value.encode())
    return UrlSigner(home_key(Path(config.get(settings.HOME))))


def home_key(home: Path, name: str = SECRET_FILE) -> bytes:
    """Return the key kept at ``home/name`` (0600), made at random by the first caller.

    The file is created exclusively then renamed into place, so processes
    starting together agree on one key: whoever loses the race reads the
    winner's.
    """
    path = home / name
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode())
    finally:
        os.close(fd)
    try:
        # link fails if another process put its key there first: keep theirs.
        os.link(temp, path)
        log.info("made a random key at %s", path)
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < 16:
        raise ReelstackError(f"the key in {path} is too short")
    return key
