"""Detectors for the hostile-file tests: did ffmpeg open another file, or connect anywhere?

:class:`Tripwire` is a named pipe standing where a hostile playlist points:
opening it for reading, which is what following the playlist means, wakes a
thread blocked opening it for writing, and the wire records the trip.
:class:`ConnectionRecorder` listens on a free 127.0.0.1 port and records
every connection made to it.
"""

from __future__ import annotations

import os
import select
import socket
import threading
from pathlib import Path

DEADLINE_S = 10.0


class Tripwire:
    """A FIFO that records whether any process opened it for reading."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        self.path = path
        self._releasing = threading.Event()
        self._tripped = threading.Event()
        self._thread = threading.Thread(target=self._wait, daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # blocks until a reader opens the FIFO
        if not self._releasing.is_set():
            self._tripped.set()
        os.close(fd)  # the reader sees end of file

    @property
    def tripped(self) -> bool:
        return self._tripped.is_set()

    def wait_tripped(self, timeout_s: float = DEADLINE_S) -> bool:
        """Wait until a reader opened the FIFO (for control runs that must trip it)."""
        return self._tripped.wait(timeout_s)

    def close(self) -> None:
        """Unblock the waiting thread by opening the FIFO ourselves, then clean up."""
        if self._thread.is_alive():
            self._releasing.set()
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            self._thread.join(DEADLINE_S)
            os.close(fd)
        self.path.unlink(missing_ok=True)


class ConnectionRecorder:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""

    def __init__(self) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port: int = self._server.getsockname()[1]
        self.peers: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x.ts"

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._server], [], [], 0.05)
            if not ready:
                continue
            conn, peer = self._server.accept()
            self.peers.append(peer)
            self._connected.set()
            conn.close()

    def wait_connected(self, timeout_s: float = DEADLINE_S) -> bool:
        """Wait until someone connected (for control runs that must connect)."""
        return self._connected.wait(timeout_s)

    def connections(self) -> int:
        """Stop listening and count every connection made, those still queued included."""
        self._stop.set()
        self._thread.join(DEADLINE_S)
        self._server.setblocking(False)
        while True:
            try:
                conn, peer = self._server.accept()
            except (BlockingIOError, OSError):
                break
            self.peers.append(peer)
            conn.close()
        return len(self.peers)

    def close(self) -> None:
        self.connections()
        self._server.close()
