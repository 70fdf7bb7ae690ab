"""A stand-in edge: answers the edge contract's management and serving paths, in a thread.

For tests of what talks to edges (the CLI, steering, the HLS client) without
the edge node itself. It serves ``/media/s/<token>/<path>`` from an
in-memory origin after checking the token with the same signer playback
uses (403 tampered, 410 expired), answers ``GET /edge/status`` and
``POST /edge/fill`` and ``DELETE /edge/titles/<title>`` with the
contract's shapes, and can die mid-play:
after ``die_after`` media answers it closes every later connection without
answering, as a killed process' port would.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reelstack.signed_urls import SIGNED_PREFIX, ExpiredError, SignatureError, UrlSigner


@dataclass
class EdgeState:
    """What the stand-in holds, serves and was asked."""

    instance: str
    region: str
    signer: UrlSigner
    origin: dict[str, bytes]
    """Blob keys (``media/TITLE/JOB/v0/seg.m4s``) to their bytes: the origin."""
    cached: set[str] = field(default_factory=set)
    served: list[str] = field(default_factory=list)
    fills: list[Any] = field(default_factory=list)
    purges: list[str] = field(default_factory=list)
    origin_url: str | None = None
    """Where files not in ``origin`` are fetched (a gateway's base: its ``/media/s``)."""
    origin_fetches: int = 0
    die_after: int | None = None
    dead: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, url: str) -> dict[str, Any]:
        """The contract's ``GET /edge/status`` answer."""
        hits = sum(1 for key in self.served if key in self.cached)
        titles = sorted({key.split("/")[1] for key in self.cached})
        return {
            "instance": self.instance,
            "region": self.region,
            "url": url,
            "healthy": True,
            "requests": len(self.served),
            "hits": hits,
            "bytes_served": sum(len(self.origin.get(k, b"")) for k in self.served),
            "bytes_from_origin": 0,
            "hit_ratio_requests": hits / len(self.served) if self.served else 0.0,
            "hit_ratio_bytes": hits / len(self.served) if self.served else 0.0,
            "origin_offload": 1.0 if self.served else 0.0,
            "capacity_bytes": 1 << 30,
            "used_bytes": sum(len(self.origin[k]) for k in self.cached),
            "titles": titles,
            "connections": 0,
            "filling": False,
            "last_fill": None,
        }

    def fill(self, titles: list[str]) -> dict[str, Any]:
        """Copy the titles' files from the origin, as ``POST /edge/fill`` does."""
        keys = [k for k in self.origin if k.split("/")[1] in titles]
        self.cached.update(keys)
        now = time.time()
        return {
            "titles": titles,
            "files": len(keys),
            "bytes": sum(len(self.origin[k]) for k in keys),
            "held": 0,
            "failed": 0,
            "stopped": "",
            "started_at": now,
            "finished_at": now,
        }


class _Handler(BaseHTTPRequestHandler):
    server: StandInEdge

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, data: Any) -> None:
        self._answer(code, json.dumps(data).encode())

    def _dead(self) -> bool:
        if self.server.state.dead:
            # A killed edge answers nothing: the connection just ends.
            self.close_connection = True
            return True
        return False

    def do_GET(self) -> None:
        state = self.server.state
        if self._dead():
            return
        if self.path == "/edge/status":
            self._json(200, state.status(self.server.url))
            return
        if not self.path.startswith(SIGNED_PREFIX + "/"):
            self._json(404, {"detail": "not found"})
            return
        # A player's CMCD keys ride in the query, as the real edge accepts them.
        target = urlsplit(self.path).path
        token, _, path = target.removeprefix(SIGNED_PREFIX + "/").partition("/")
        try:
            state.signer.verify(token, path, now=time.time())
        except ExpiredError:
            self._json(410, {"detail": "expired"})
            return
        except SignatureError:
            self._json(403, {"detail": "bad token"})
            return
        key = f"media/{path}"
        with state.lock:
            if state.die_after is not None and len(state.served) >= state.die_after:
                state.dead = True
            if state.dead:
                self.close_connection = True
                return
            data = state.origin.get(key)
            if data is None and state.origin_url is not None:
                data = self._from_origin(state, target)
                if data is not None:
                    state.origin[key] = data
            if data is not None:
                state.served.append(key)
                state.cached.add(key)
        if data is None:
            self._json(404, {"detail": "no such file"})
            return
        self._answer(200, data, "application/octet-stream")

    @staticmethod
    def _from_origin(state: EdgeState, path: str) -> bytes | None:
        state.origin_fetches += 1
        try:
            with urllib.request.urlopen(f"{state.origin_url}{path}", timeout=30) as answer:
                data: bytes = answer.read()
                return data
        except urllib.error.URLError:
            return None

    def do_POST(self) -> None:
        state = self.server.state
        if self._dead():
            return
        if self.path != "/edge/fill":
            self._json(404, {"detail": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        state.fills.append(body)
        titles = body.get("titles") or sorted({k.split("/")[1] for k in state.origin})
        self._json(200, state.fill(titles))

    def do_DELETE(self) -> None:
        state = self.server.state
        if self._dead():
            return
        title = self.path.removeprefix("/edge/titles/")
        if not self.path.startswith("/edge/titles/") or not title or "/" in title:
            self._json(404, {"detail": "not found"})
            return
        state.purges.append(title)
        keys = {k for k in state.cached if k.split("/")[1] == title}
        state.cached -= keys
        size = sum(len(state.origin[k]) for k in keys)
        self._json(200, {"title": title, "files": len(keys), "bytes": size})


class StandInEdge(ThreadingHTTPServer):
    """One stand-in edge on 127.0.0.1 (management and serving on one port)."""

    daemon_threads = True

    def __init__(self, state: EdgeState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    @property
    def url(self) -> str:
        """The edge's base URL (``http://127.0.0.1:PORT``)."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def kill(self) -> None:
        """Die now: every later request gets its connection closed unanswered."""
        self.state.dead = True


@contextmanager
def running(state: EdgeState) -> Iterator[StandInEdge]:
    """Serve a stand-in edge in a thread for the block; stop it after."""
    server = StandInEdge(state)
    thread = threading.Thread(target=server.serve_forever, name=state.instance, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def registration(state: EdgeState, url: str, *, port: int) -> dict[str, Any]:
    """The stand-in's registry registration (Eureka's JSON) with the contract's metadata."""
    titles = sorted({key.split("/")[1] for key in state.cached})
    return {
        "instance": {
            "instanceId": state.instance,
            "hostName": "127.0.0.1",
            "app": "EDGE",
            "ipAddr": "127.0.0.1",
            "status": "UP",
            "overriddenStatus": "UNKNOWN",
            "port": {"$": port, "@enabled": "true"},
            "securePort": {"$": 443, "@enabled": "false"},
            "dataCenterInfo": {
                "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                "name": "MyOwn",
            },
            "leaseInfo": {"renewalIntervalInSecs": 30, "durationInSecs": 600},
            "metadata": {
                "zone": "a",
                "version": "v1",
                "edge.region": state.region,
                "edge.url": url,
                "edge.connections": "0",
                "edge.bytes_s": "0",
                "edge.free_bytes": str(1 << 30),
                "edge.capacity_bytes": str(1 << 30),
                "edge.titles": ",".join(titles),
                "edge.reported_at": str(time.time()),
            },
            "vipAddress": "edge",
            "secureVipAddress": "edge",
            "lastUpdatedTimestamp": str(int(time.time() * 1000)),
            "lastDirtyTimestamp": str(int(time.time() * 1000)),
        }
    }
