"""Cache adapters, and the rules every one of them enforces.

memcached's rules are kept by every adapter, so code that works against the
embedded cache works against a memcached pool: keys are 1 to 250 bytes of
printable ASCII without spaces, a value over the adapter's limit is refused
with RecordTooLargeError (never truncated), and a TTL is a positive number of
seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from reelstack.config import Config, Setting
from reelstack.errors import ConfigError, InvalidRequestError, RecordTooLargeError

MAX_KEY_BYTES = 250
DEFAULT_MAX_VALUE_BYTES = 1024 * 1024


def check_key(key: str) -> None:
    """Raise InvalidRequestError unless ``key`` follows memcached's key rule."""
    if not isinstance(key, str):
        raise InvalidRequestError(f"cache key must be a str, got {type(key).__name__}")
    if not key:
        raise InvalidRequestError("cache key must not be empty")
    if len(key) > MAX_KEY_BYTES:
        raise InvalidRequestError(
            f"cache key {key[:40]!r}... is {len(key)} bytes; the limit is {MAX_KEY_BYTES}"
        )
    for char in key:
        if not "!" <= char <= "~":
            raise InvalidRequestError(
                f"cache key {key!r} holds {char!r}: keys are printable ASCII "
                "without spaces or control characters"
            )


def check_value(key: str, value: bytes, limit: int) -> None:
    """Raise unless ``value`` is bytes within ``limit``."""
    if not isinstance(value, bytes):
        raise InvalidRequestError(
            f"cache value for {key!r} must be bytes, got {type(value).__name__}"
        )
    if len(value) > limit:
        raise RecordTooLargeError(
            f"cache value for {key!r} is {len(value)} bytes; the limit is {limit}"
        )


def expiry(ttl_s: float | None, default_ttl_s: float | None, now: float) -> float | None:
    """Return when a value set ``now`` expires (None: never); refuse a TTL <= 0."""
    if ttl_s is None:
        ttl_s = default_ttl_s
    if ttl_s is None:
        return None
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int | float) or not ttl_s > 0:
        raise InvalidRequestError(f"cache ttl_s must be a number > 0, got {ttl_s!r}")
    if math.isinf(ttl_s):
        return None
    return now + float(ttl_s)


def url_options(url: str, config: Config, setting: Setting[str], known: set[str]) -> dict[str, int]:
    """Return the integer options in ``url``'s query string (``?max_bytes=...``)."""
    source = config.resolved(setting).source
    options: dict[str, int] = {}
    pairs: Mapping[str, str] = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    for name, raw in pairs.items():
        if name not in known:
            raise ConfigError(
                setting.key, url, source, f"unknown option {name!r}; known: {sorted(known)}"
            )
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(setting.key, url, source, f"{name} must be an integer") from None
        if value <= 0:
            raise ConfigError(setting.key, url, source, f"{name} must be > 0")
        options[name] = value
    return options
