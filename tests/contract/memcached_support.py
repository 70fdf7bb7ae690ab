"""The test memcached servers (zones a and b) and caches on them."""

from __future__ import annotations

import socket
from typing import Any

from reelstack.adapters.cache.memcached import MemcachedCache
from tests.support.engines import require


def address(zone: str) -> tuple[str, int]:
    """The test server of ``zone`` ("a" or "b"); skips (fails in CI) if none runs."""
    host, _, port = require(f"REELSTACK_TEST_MEMCACHED_{zone.upper()}").rpartition(":")
    return host, int(port)


def item_max() -> int:
    """The test servers' item size limit in bytes."""
    return int(require("REELSTACK_TEST_MEMCACHED_ITEM_MAX"))


def command(server: tuple[str, int], line: bytes) -> bytes:
    """Send one text-protocol command to ``server`` and return its one-line reply."""
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(line + b"\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            data = sock.recv(4096)
            if not data:
                break
            reply += data
    return reply


def flush(*zones: str) -> None:
    """Empty the test servers of ``zones``, so each test starts from an empty cache."""
    for zone in zones:
        reply = command(address(zone), b"flush_all")
        assert reply == b"OK\r\n", reply


def memcached_cache(
    zone: str = "a", zones: tuple[str, ...] = ("a", "b"), **options: Any
) -> MemcachedCache:
    """A cache over the test servers of ``zones``, emptied, as an instance in ``zone``.

    Its timeout is generous: on a busy test machine a stall past the default
    would make a zone miss a write, which these tests are not about.
    """
    flush(*zones)
    options.setdefault("timeout_s", 2.0)
    return MemcachedCache({z: [address(z)] for z in zones}, zone=zone, **options)


def _exchange(server: tuple[str, int], request: bytes, end: bytes) -> bytes:
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(request)
        reply = b""
        while not reply.endswith(end):
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    return reply


def raw_get(server: tuple[str, int], key: str) -> tuple[int, bytes] | None:
    """The flags and bytes ``server`` itself holds under ``key`` (None: nothing)."""
    reply = _exchange(server, b"get %s\r\n" % key.encode(), b"END\r\n")
    if reply == b"END\r\n":
        return None
    header, _, rest = reply.partition(b"\r\n")
    _, _, flags, length = header.split()
    return int(flags), rest[: int(length)]


def raw_set(server: tuple[str, int], key: str, value: bytes, flags: int = 0) -> None:
    """Store ``value`` under ``key`` on ``server`` alone."""
    request = b"set %s %d 0 %d\r\n%s\r\n" % (key.encode(), flags, len(value), value)
    reply = _exchange(server, request, b"\r\n")
    assert reply == b"STORED\r\n", reply


def raw_delete(server: tuple[str, int], key: str) -> None:
    """Delete ``key`` on ``server`` alone."""
    reply = _exchange(server, b"delete %s\r\n" % key.encode(), b"\r\n")
    assert reply in (b"DELETED\r\n", b"NOT_FOUND\r\n"), reply
