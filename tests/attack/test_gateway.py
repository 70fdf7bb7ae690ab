"""Attacks on the gateway's front door (issue 11 point 1), with raw sockets.

Each attacker speaks from loopback addresses of its own (see
``tests/attack/client.py``); the well-behaved client, on 127.0.0.1, must be
answered at the same moment. The gateway's defences are the settings the
suite's cluster sets (``tests/attack/conftest.py``).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.attack.client import (
    Addresses,
    WellBehaved,
    assert_served,
    connect,
    read_response,
    sign_in,
    silent,
)
from tests.attack.conftest import (
    MAX_CONCURRENT,
    MAX_CONNECTIONS_PER_CLIENT,
    TRUSTED_PROXY,
    Accounts,
    Home,
)
from tests.attack.signals import counter

pytestmark = [pytest.mark.attack, pytest.mark.slow]

# Several times the bulkhead, spread so no address passes its connection cap.
STALLED = 300
STALLED_PER_ADDRESS = MAX_CONNECTIONS_PER_CLIENT // 2
# An endless header line: 256 times the 16 KiB header limit.
ENDLESS_BYTES = 4 * 1024 * 1024
# Slowloris: one header line a second, for at most this many lines (20 times
# the header deadline the cluster sets).
SLOWLORIS_LINES = 60
# Requests without a token (refused 401 by the gateway itself, after the
# address rate limit): five times the burst of 200.
RATE_PROBES = 1000


@contextmanager
def _sockets() -> Iterator[list[socket.socket]]:
    held: list[socket.socket] = []
    try:
        yield held
    finally:
        for sock in held:
            sock.close()


def _refused(home: Home, reason: str) -> float:
    """The gateway's count of refusals for ``reason`` (read from 127.0.0.1, an internal address)."""
    return counter(home.gateway, "gateway_refused_total", reason=reason)


def _head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: reelstack.example", *headers, "", ""]
    return "\r\n".join(lines).encode()


def test_stalled_bodies_do_not_starve_media(
    home: Home, accounts: Accounts, good: WellBehaved, addresses: Addresses
) -> None:
    with httpx.Client(base_url=home.gateway, timeout=60) as client:
        token = sign_in(client, accounts.mallory)
    # Routes whose handlers read the whole body before anything else, so on
    # any gateway the stall is held all the way to the service (an upload
    # start would be refused by the account's quota before its body is read).
    heads = [
        _head(method, path, f"Authorization: Bearer {token}", "Content-Length: 1000000")
        for method, path in (
            ("PUT", "/api/media/titles/stalled/subtitles/en"),
            ("PUT", "/api/media/titles/stalled/artwork/poster"),
        )
    ]
    sources = addresses.take(-(-STALLED // STALLED_PER_ADDRESS))
    before = _refused(home, "body_chunk_timeout")
    with _sockets() as held:
        for index in range(STALLED):
            sock = connect(home.gateway_port, sources[index // STALLED_PER_ADDRESS])
            # The whole head and one byte of the body; the rest never comes.
            sock.sendall(heads[index % 2] + b"x")
            held.append(sock)
        seen = good.rounds(3)
        # The attack was still in force when the viewer's rounds ended: more
        # stalled requests than the bulkhead holds were neither answered nor cut.
        still_held = sum(silent(sock) for sock in held)
        assert_served(seen, rounds=3)
        assert still_held > MAX_CONCURRENT, still_held
        # And the body deadline ends them (408); those past the attacking
        # account's rate limit were refused at once (429).
        statuses = [read_response(sock, within_s=120)[0] for sock in held]
    assert set(statuses) <= {408, 429}, statuses
    assert _refused(home, "body_chunk_timeout") - before == statuses.count(408)


def test_an_endless_header_line_is_cut_off(
    home: Home, good: WellBehaved, addresses: Addresses
) -> None:
    (source,) = addresses.take()
    sent = 0
    cut = False
    before = _refused(home, "header_too_large")
    with _sockets() as held, good.beside() as seen:
        sock = connect(home.gateway_port, source)
        held.append(sock)
        sock.sendall(b"GET /api/media/titles HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        try:
            while sent < ENDLESS_BYTES:
                sock.sendall(b"a" * 4096)
                sent += 4096
        except (BrokenPipeError, ConnectionResetError):
            cut = True
        status, _ = read_response(sock)
    assert cut or status == 431, f"the gateway took {sent} bytes of one header line ({status})"
    assert status in (0, 431), status
    assert _refused(home, "header_too_large") - before == 1
    assert_served(seen)


# Today's gateway closes these too, silently: its keep-alive timer runs
# from the connection (header bytes do not re-arm it). What it lacks is the
# refusal named to the client (408) and to the operator (the counter).
def test_slowloris_headers_are_cut_off(home: Home, good: WellBehaved, addresses: Addresses) -> None:
    sources = addresses.take(4)
    before = _refused(home, "header_timeout")
    with _sockets() as held, good.beside() as seen:
        for source in sources * 10:
            sock = connect(home.gateway_port, source)
            sock.sendall(b"GET /api/media/titles HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        lines = 0
        while any(silent(sock) for sock in held) and lines < SLOWLORIS_LINES:
            for sock in filter(silent, held):  # never write past an answer (a reset loses it)
                try:
                    sock.sendall(b"X-Slow-%d: 1\r\n" % lines)
                except OSError:
                    continue  # cut off: what the test waits for
            lines += 1
            # The attack's own pace (a line a second keeps any per-read idle
            # timer happy), not a wait for something to be ready.
            time.sleep(1.0)
        assert not any(silent(sock) for sock in held), f"still reading headers after {lines} lines"
        statuses = [read_response(sock)[0] for sock in held]
    assert set(statuses) == {408}, statuses
    assert _refused(home, "header_timeout") - before == len(held)
    assert_served(seen)


@pytest.mark.parametrize(
    ("method", "framing"),
    [
        ("GET", "Content-Length: 5"),
        ("GET", "Transfer-Encoding: chunked"),
        ("DELETE", "Content-Length: 5"),
    ],
)
def test_a_body_on_a_method_that_takes_none_is_refused(
    home: Home, good: WellBehaved, addresses: Addresses, method: str, framing: str
) -> None:
    (source,) = addresses.take()
    body = b"5\r\nhello\r\n0\r\n\r\n" if "chunked" in framing else b"hello"
    before = _refused(home, "body_not_allowed")
    with _sockets() as held, good.beside() as seen:
        sock = connect(home.gateway_port, source)
        held.append(sock)
        sock.sendall(_head(method, "/api/media/titles", framing) + body)
        status, answer = read_response(sock)
    assert status == 400, answer[:200]
    assert b"take no body" in answer, answer[:300]
    assert _refused(home, "body_not_allowed") - before == 1
    assert_served(seen)


def test_connections_past_the_per_address_cap_are_refused(
    home: Home, good: WellBehaved, addresses: Addresses
) -> None:
    (source,) = addresses.take()
    extra = 8
    before = _refused(home, "connections_per_client")
    with _sockets() as held:
        for _ in range(MAX_CONNECTIONS_PER_CLIENT + extra):
            held.append(connect(home.gateway_port, source))
        seen = good.rounds(1)
        answers = [read_response(sock) for sock in held[MAX_CONNECTIONS_PER_CLIENT:]]
    refused = [answer for status, answer in answers if status == 503]
    assert refused, answers
    assert all(b"too many connections" in answer for answer in refused), refused
    assert _refused(home, "connections_per_client") - before == len(refused)
    assert_served(seen)


def _probe_rate_limit(home: Home, source: str, *, forwarded_for: bool) -> Counter[int]:
    """Send RATE_PROBES requests pipelined on one connection; count the answers by status.

    Pipelined, the requests arrive as fast as the gateway reads them, so the
    probe outpaces the limit's refill however loaded the machine is. With
    ``forwarded_for`` each request claims another client in X-Forwarded-For.
    """
    requests = []
    for n in range(RATE_PROBES):
        claims = [f"X-Forwarded-For: 10.{n // 65536}.{n // 256 % 256}.{n % 256}"]
        last = ["Connection: close"] if n == RATE_PROBES - 1 else []
        requests.append(
            _head("GET", "/api/media/jobs/probe", *(claims if forwarded_for else []), *last)
        )
    answers = bytearray()
    with _sockets() as held:
        sock = connect(home.gateway_port, source)
        held.append(sock)

        def read() -> None:
            # Read while writing: the answers must not fill the buffers both ways.
            while chunk := sock.recv(65536):
                answers.extend(chunk)

        reader = threading.Thread(target=read, name="rate-probe-reader", daemon=True)
        reader.start()
        sock.sendall(b"".join(requests))
        reader.join(timeout=120)
        assert not reader.is_alive(), "the gateway never finished answering the probe"
    # A status line follows the previous answer's body directly (no line break).
    return Counter(int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", answers))


def _limited(home: Home) -> float:
    return counter(home.gateway, "gateway_rate_limited_total", scope="address")


def test_the_address_rate_limit_holds_against_a_spoofed_forwarded_for(
    home: Home, good: WellBehaved, addresses: Addresses
) -> None:
    plain, spoofing = addresses.take(2)
    before = _limited(home)
    with good.beside() as seen:
        # The control: the limit does bite this probe.
        control = _probe_rate_limit(home, plain, forwarded_for=False)
        # A client that is not a trusted proxy names a new address every time.
        spoofed = _probe_rate_limit(home, spoofing, forwarded_for=True)
    for answers in (control, spoofed):
        assert set(answers) == {401, 429} and answers.total() == RATE_PROBES, answers
    assert _limited(home) - before == control[429] + spoofed[429]
    assert_served(seen)


def test_a_trusted_proxys_forwarded_for_is_the_client(home: Home, good: WellBehaved) -> None:
    # The other side of the spoofing test: behind a configured proxy, each
    # client has its own bucket, so the proxy's many clients are not one.
    with good.beside() as seen:
        answers = _probe_rate_limit(home, TRUSTED_PROXY, forwarded_for=True)
    assert answers == {401: RATE_PROBES}, answers
    assert_served(seen)


@pytest.mark.parametrize("path", ["/metrics", "/health", "/ready"])
def test_the_chassis_endpoints_are_not_served_to_the_public(
    home: Home, good: WellBehaved, addresses: Addresses, path: str
) -> None:
    (outsider,) = addresses.take()
    transport = httpx.HTTPTransport(local_address=outsider)
    before = _refused(home, "internal_endpoint")
    with good.beside() as seen:
        with httpx.Client(base_url=home.gateway, transport=transport, timeout=60) as client:
            public = client.get(path)
        # From inside, but relayed for someone else: not the operator either.
        relayed = httpx.get(home.gateway + path, headers={"X-Forwarded-For": "203.0.113.9"})
    for answer in (public, relayed):
        assert answer.status_code == 404, answer.text[:200]
        assert "gateway-a-1" not in answer.text and "pid" not in answer.text
    assert _refused(home, "internal_endpoint") - before == 2
    # The supervisor, on 127.0.0.1, still sees the gateway healthy.
    assert home.cluster.by_id()["gateway-a-1"]["state"] == "up"
    assert_served(seen)


def test_a_symlinked_folder_does_not_lead_out_of_the_static_root(
    home: Home, good: WellBehaved
) -> None:
    secret = (home.outside / "secret.txt").read_text()
    before = _refused(home, "static_outside_root")
    with good.beside() as seen:
        escaped = httpx.get(f"{home.gateway}/shared/secret.txt", timeout=60)
        index = httpx.get(f"{home.gateway}/", timeout=60)
    assert index.status_code == 200  # the root itself is served
    assert escaped.status_code == 404, escaped.status_code
    assert secret not in escaped.text
    assert _refused(home, "static_outside_root") - before == 1
    assert_served(seen)
