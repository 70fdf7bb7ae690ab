"""The attack suite's two sides: a well-behaved client, and raw sockets for the attacker.

The well-behaved client is what the defences must not hurt: a viewer browsing
the catalog and the media listing, and a studio starting an upload (and
cancelling it, so it never runs into its own quota). It runs beside an attack
and records the status of every request; a test asserts they were all
answered 2xx. Nothing is timed: deadlines only bound a broken test.

The attacker speaks raw HTTP/1.1 over sockets bound to a source address of
its own in 127.0.0.0/8 (Linux routes the whole block to loopback), so the
gateway sees it as another client than the well-behaved one on 127.0.0.1:
per-address limits then refuse the attacker without touching the viewer.
"""

from __future__ import annotations

import base64
import itertools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

PASSWORD = "correct horse battery staple"
# Generous: a loaded 2-core machine runs the whole cluster and the attack.
CLIENT_TIMEOUT_S = 60.0
# Between two rounds beside an attack: a person (or an app) pauses between
# clicks; a client that loops flat out is itself the flood the rate limits
# refuse (about 8 requests a second here, under both the account's 50 and the
# address's 100).
PACE_S = 0.5


@dataclass
class Seen:
    """Statuses the well-behaved client received, in order, labelled by request."""

    statuses: list[tuple[str, int]] = field(default_factory=list)
    rounds: int = 0

    def refused(self) -> list[tuple[str, int]]:
        """Return the requests not answered 2xx."""
        return [(label, status) for label, status in self.statuses if not 200 <= status < 300]


def assert_served(seen: Seen, *, rounds: int = 1) -> None:
    """Assert the well-behaved client made ``rounds`` rounds and every request was 2xx."""
    assert seen.rounds >= rounds, f"the well-behaved client made {seen.rounds} round(s)"
    assert seen.refused() == [], f"the well-behaved client was refused: {seen.refused()}"


def sign_in(client: httpx.Client, email: str) -> str:
    """Sign ``email`` in through the gateway; return its access token."""
    answer = client.post("/api/identity/sessions", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def start_upload(client: httpx.Client, token: str, length: int = 1000) -> httpx.Response:
    """Create a tus upload (and its title) as the holder of ``token``."""
    return client.post(
        "/api/media/uploads",
        headers={
            "Authorization": f"Bearer {token}",
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(length),
            "Upload-Metadata": "filename " + base64.b64encode(b"clip.mp4").decode(),
        },
    )


class WellBehaved:
    """A viewer and a studio using the cluster through the gateway, as a user would."""

    def __init__(self, gateway: str, *, viewer: str, studio: str) -> None:
        self.gateway = gateway
        self.viewer = viewer
        self.studio = studio

    def _round(self, client: httpx.Client, tokens: dict[str, str], seen: Seen) -> None:
        viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
        studio = {"Authorization": f"Bearer {tokens['studio']}", "Tus-Resumable": "1.0.0"}
        catalog = client.get("/api/catalog/titles", headers=viewer)
        seen.statuses.append(("GET /api/catalog/titles", catalog.status_code))
        listing = client.get("/api/media/titles", params={"limit": 5}, headers=viewer)
        seen.statuses.append(("GET /api/media/titles", listing.status_code))
        upload = start_upload(client, tokens["studio"])
        seen.statuses.append(("POST /api/media/uploads", upload.status_code))
        if upload.status_code == 201:
            # Cancelled at once: the studio's unfinished uploads stay under its quota.
            gone = client.delete(upload.headers["Location"], headers=studio)
            seen.statuses.append(("DELETE /api/media/uploads/ID", gone.status_code))
        seen.rounds += 1

    def _signed_in(self, client: httpx.Client, seen: Seen) -> dict[str, str]:
        tokens = {}
        for role, email in (("viewer", self.viewer), ("studio", self.studio)):
            answer = client.post(
                "/api/identity/sessions", json={"email": email, "password": PASSWORD}
            )
            seen.statuses.append(("POST /api/identity/sessions", answer.status_code))
            tokens[role] = answer.json().get("access_token", "") if answer.is_success else ""
        return tokens

    def rounds(self, count: int) -> Seen:
        """Sign in, then make ``count`` rounds of requests now; return what was seen."""
        seen = Seen()
        with httpx.Client(base_url=self.gateway, timeout=CLIENT_TIMEOUT_S) as client:
            tokens = self._signed_in(client, seen)
            for _ in range(count):
                self._round(client, tokens, seen)
        return seen

    @contextmanager
    def beside(self) -> Iterator[Seen]:
        """Make rounds in a thread while the block runs (the attack), and one more after.

        The block's attack and the client's rounds overlap: the thread signs
        in and starts its first round as the block starts, and the round in
        progress when the block ends is finished before this returns.
        """
        seen = Seen()
        stop = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with httpx.Client(base_url=self.gateway, timeout=CLIENT_TIMEOUT_S) as client:
                    tokens = self._signed_in(client, seen)
                    while True:
                        self._round(client, tokens, seen)
                        if stop.wait(PACE_S):
                            return
            # Any failure, handed to the test thread, which reports it with the statuses.
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        thread = threading.Thread(target=run, name="well-behaved", daemon=True)
        thread.start()
        try:
            yield seen
        finally:
            stop.set()
            thread.join(timeout=10 * CLIENT_TIMEOUT_S)
        assert not thread.is_alive(), "the well-behaved client never finished its round"
        assert errors == [], f"the well-behaved client failed: {errors!r} after {seen.statuses}"


class Addresses:
    """Fresh loopback source addresses, one set per attack, so no two share a limit."""

    def __init__(self) -> None:
        self._hosts = (f"127.0.{a}.{b}" for a, b in itertools.product(range(1, 255), range(2, 255)))

    def take(self, count: int = 1) -> list[str]:
        """Return ``count`` addresses never handed out before."""
        return [next(self._hosts) for _ in range(count)]


def connect(port: int, source: str) -> socket.socket:
    """Open a TCP connection to the gateway on 127.0.0.1 from ``source``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(CLIENT_TIMEOUT_S)
    sock.connect(("127.0.0.1", port))
    return sock


def read_response(sock: socket.socket, within_s: float = CLIENT_TIMEOUT_S) -> tuple[int, bytes]:
    """Read one response (head and what follows until EOF or a pause); return status and bytes.

    Status 0 means the gateway closed the connection without answering.
    """
    sock.settimeout(within_s)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.settimeout(1.0)  # the body follows the head at once, when there is one
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    except ConnectionResetError:
        pass
    if not data.startswith(b"HTTP/1."):
        return 0, data
    return int(data.split(b" ", 2)[1]), data


def silent(sock: socket.socket) -> bool:
    """Return True while the gateway has neither answered on nor closed ``sock``."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # bytes (an answer) or b"" (closed): not silent
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)
    return False
