"""Ports for tests: free ones, one held busy, and whether one accepts connections.

Servers in tests bind 127.0.0.1, never a fixed port.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the OS picks it; another may take it later)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def taken_port(host: str = HOST) -> Iterator[int]:
    """A port another socket listens on for the block: binding it must fail."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        sock.listen()
        port: int = sock.getsockname()[1]
        yield port


def accepts(port: int, host: str = HOST, timeout_s: float = 1.0) -> bool:
    """Whether a TCP connection to ``host:port`` is accepted now."""
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError:
        return False
    return True
