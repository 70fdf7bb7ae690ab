"""The front door against hostile clients: each test is an attacker's request.

Driven through the gateway's HTTP protocol with fake sockets (see
``harness.py``); the same attacks over real sockets are in
``tests/integration/test_gateway_front.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reelstack import services
from reelstack.gateway.front import (
    BODY_CHUNK_TIMEOUT,
    BODY_NOT_ALLOWED,
    BODY_TIMEOUT,
    CONNECTIONS_PER_CLIENT,
    CONNECTIONS_TOTAL,
    HEADER_TIMEOUT,
    HEADER_TOO_LARGE,
    INTERNAL_ENDPOINT,
)
from reelstack.gateway.server import InternalProtocol
from tests.support.wait import eventually
from tests.unit.gateway import fakes as fakes_module
from tests.unit.gateway.fakes import HANG, FakeUpstreams, response
from tests.unit.gateway.harness import Answer, Connection, gateway_config, make_app

ROUTES = "/api/open=svc;public"


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    return FakeUpstreams(monkeypatch)


def make(tmp_path: Path, **values: str) -> Any:
    app, _ = make_app(gateway_config(tmp_path, gateway__routes=ROUTES, **values), 9001)
    return app


async def closed(conn: Connection) -> None:
    await eventually(
        lambda: conn.transport.closed or conn.transport.eof, "the connection closed", done=bool
    )


def test_the_gateway_spec_is_accepted() -> None:
    assert "gateway" in services.specs(("reelstack.gateway",))


# -- headers --------------------------------------------------------------------------


async def test_a_header_line_that_never_ends_is_refused_with_431(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    # httptools hands a header over only when its line ends: counted as it
    # arrives, an endless line is refused before it grows without bound.
    app = make(tmp_path, gateway__max_header_bytes="4096")
    conn = Connection(app)
    conn.send(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\nx-endless: ")
    for _ in range(10):
        conn.send(b"a" * 1024)
    (answer,) = await conn.answers(1)
    assert answer.status == 431
    assert answer.json()["detail"] == "request headers too large"
    await closed(conn)
    assert app.refusals.counts[HEADER_TOO_LARGE] == 1
    assert fakes.requests == []


async def test_a_head_sent_slowly_is_refused_with_408_at_its_deadline(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(tmp_path, gateway__header_timeout_s="0.05")
    conn = Connection(app)
    conn.send(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\n")
    conn.send(b"x-slow: 1\r\n")  # slowloris: a header now and then, never the end
    (answer,) = await conn.answers(1)
    assert answer.status == 408
    assert answer.json()["detail"] == "request headers not received within 0.05 s"
    await closed(conn)
    assert app.refusals.counts[HEADER_TIMEOUT] == 1
    assert fakes.requests == []


async def test_a_head_within_its_deadline_is_answered(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app = make(tmp_path, gateway__header_timeout_s="5")
    conn = Connection(app)
    conn.send(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\n")
    conn.send(b"\r\n")
    (answer,) = await conn.answers(1)
    assert answer.status == 200
    assert not conn.transport.closed


# -- bodies ---------------------------------------------------------------------------


async def test_a_body_that_stalls_is_refused_with_408(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app = make(tmp_path, gateway__body_chunk_timeout_s="0.05")
    conn = Connection(app)
    conn.send(b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 100\r\n\r\n0123456789")
    (answer,) = await conn.answers(1)
    assert answer.status == 408
    assert answer.json()["detail"] == "request body not received within 0.05 s (between bytes)"
    await closed(conn)
    assert app.refusals.counts[BODY_CHUNK_TIMEOUT] == 1
    assert fakes.requests == []  # nothing half-sent reached the service


async def test_a_pipelined_body_is_not_timed_while_the_gateway_is_not_reading_it(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    fakes.replies[9001] = [HANG, response()]
    app = make(tmp_path, gateway__body_chunk_timeout_s="0.05", gateway__timeout_s="0.3")
    conn = Connection(app)
    conn.send(
        b"GET /api/open/slow HTTP/1.1\r\nhost: gw\r\n\r\n"
        b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 10\r\n\r\nhello"
    )
    (first,) = await conn.answers(1)
    assert first.status == 504  # 0.3 s, six chunk deadlines, spent on the first request
    conn.send(b"world")
    second = (await conn.answers(2))[1]
    assert second.status == 200


async def test_a_body_that_trickles_is_refused_at_its_total_deadline(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(tmp_path, gateway__body_timeout_s="0.2", gateway__body_chunk_timeout_s="10")
    conn = Connection(app)
    conn.send(b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 100000\r\n\r\n")
    sent = 0
    while not conn.transport.written and sent < 100_000:
        conn.send(b"x")  # R.U.D.Y.: a byte now and then keeps any per-chunk deadline happy
        sent += 1
        await asyncio.sleep(0.01)
    (answer,) = await conn.answers(1)
    assert answer.status == 408
    assert answer.json()["detail"] == "request body not received within 0.2 s (in total)"
    assert app.refusals.counts[BODY_TIMEOUT] == 1


@pytest.mark.parametrize("method", [b"GET", b"HEAD", b"OPTIONS", b"DELETE", b"TRACE"])
async def test_a_body_on_a_method_that_takes_none_is_refused_with_400(
    tmp_path: Path, fakes: FakeUpstreams, method: bytes
) -> None:
    app = make(tmp_path)
    conn = Connection(app)
    conn.send(method + b" /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 5\r\n\r\nhello")
    if method == b"HEAD":  # an answer to HEAD has no body to parse
        written = conn.transport.written
        await eventually(
            lambda: bytes(written), "an answer", done=lambda w: w.endswith(b"\r\n\r\n")
        )
        assert written.startswith(b"HTTP/1.1 400 ")
    else:
        (answer,) = await conn.answers(1)
        assert answer.status == 400
        assert answer.json() == {
            "error": "BodyNotAllowed",
            "detail": f"{method.decode()} requests take no body",
        }
    assert app.refusals.counts[BODY_NOT_ALLOWED] == 1
    assert fakes.requests == []


async def test_a_chunked_body_on_get_is_refused(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app = make(tmp_path)
    conn = Connection(app)
    conn.send(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n")
    conn.send(b"5\r\nhello\r\n0\r\n\r\n")
    (answer,) = await conn.answers(1)
    assert answer.status == 400
    assert fakes.requests == []


async def test_an_empty_length_on_get_is_not_a_body(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app = make(tmp_path)
    answer = await Connection(app).get("/api/open/x", (b"content-length", b"0"))
    assert answer.status == 200


# -- the bulkhead: a slot only once the request can be forwarded ----------------------


async def test_stalled_bodies_do_not_take_the_slots_a_good_client_needs(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(tmp_path, gateway__max_concurrent="2")
    stalled = []
    for _ in range(20):
        conn = Connection(app)
        conn.send(b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 1000\r\n\r\nabc")
        stalled.append(conn)
    await asyncio.sleep(0)  # let every stalled request reach the proxy
    answer = await Connection(app).get("/api/open/ok")
    assert answer.status == 200, answer.body  # on the old proxy: 503 ServiceOverloaded
    # And a stalled body, once complete, goes through.
    stalled[0].send(b"d" * 997)
    (late,) = await stalled[0].answers(1)
    assert late.status == 200


async def test_a_large_upload_streams_to_the_service_while_it_arrives(
    tmp_path: Path, fakes: FakeUpstreams, monkeypatch: pytest.MonkeyPatch
) -> None:
    forwarded = [0]
    write = fakes_module._FakeTransport.write

    def counting(self: Any, data: bytes) -> None:
        forwarded[0] += len(data)
        write(self, data)

    monkeypatch.setattr(fakes_module._FakeTransport, "write", counting)
    fakes.replies[9001] = [response(204, b"")]
    app = make(tmp_path, gateway__max_body_bytes=str(8 * 1024 * 1024))
    conn = Connection(app)
    size = 4 * 1024 * 1024
    conn.send(
        b"PATCH /api/open/upload HTTP/1.1\r\nhost: gw\r\ncontent-length: %d\r\n"
        b"tus-resumable: 1.0.0\r\n\r\n" % size
    )
    piece = b"v" * (1024 * 1024)
    conn.send(piece)
    # The first megabyte reaches the service before the rest is even sent.
    await eventually(
        lambda: forwarded[0], "the first megabyte forwarded", done=lambda n: n > 900_000
    )
    for _ in range(3):
        conn.send(piece)
        await asyncio.sleep(0)
    (answer,) = await conn.answers(1)
    assert answer.status == 204
    assert forwarded[0] > size


# -- connections ------------------------------------------------------------------------


async def test_connections_past_the_cap_per_client_get_503(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(tmp_path, gateway__max_connections_per_client="2")
    first, second = Connection(app), Connection(app)
    third = Connection(app)
    assert third.transport.written.startswith(b"HTTP/1.1 503 ")
    assert b"too many connections from your address" in third.transport.written
    await closed(third)
    assert app.refusals.counts[CONNECTIONS_PER_CLIENT] == 1
    assert (await Connection(app, peer="10.1.1.1").get("/api/open/x")).status == 200
    assert (await first.get("/api/open/x")).status == 200
    second.lose()
    assert (await Connection(app).get("/api/open/x")).status == 200  # a place freed


async def test_connections_past_the_total_cap_get_503(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app = make(tmp_path, gateway__max_connections="3")
    held = [Connection(app, peer=f"10.2.0.{n}") for n in range(3)]
    refused = Connection(app, peer="10.3.0.1")
    assert b"too many connections in all" in refused.transport.written
    assert app.refusals.counts[CONNECTIONS_TOTAL] == 1
    assert (await held[0].get("/api/open/x")).status == 200


async def test_a_trusted_proxy_is_not_capped_per_client(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(
        tmp_path,
        gateway__max_connections_per_client="1",
        gateway__trusted_proxies="10.9.8.0/24",
    )
    conns = [Connection(app) for _ in range(3)]
    assert all(not c.transport.written for c in conns)


# -- client addresses ---------------------------------------------------------------


def forwarded_for(fakes: FakeUpstreams) -> bytes:
    head = fakes.requests[-1][1].split(b"\r\n\r\n")[0]
    (line,) = [x for x in head.split(b"\r\n") if x.startswith(b"x-forwarded-for:")]
    return line.split(b":", 1)[1].strip()


async def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(
        tmp_path,
        gateway__ratelimit__address_rps="0.001",
        gateway__ratelimit__address_burst="1",
    )
    conn = Connection(app)
    first = await conn.get("/api/open/x", (b"x-forwarded-for", b"1.1.1.1"))
    assert forwarded_for(fakes) == b"10.9.8.7"
    # A new address in the header every time does not escape the limit.
    second = await conn.get("/api/open/x", (b"x-forwarded-for", b"2.2.2.2"))
    assert (first.status, second.status) == (200, 429)


async def test_the_client_behind_a_trusted_proxy_is_the_right_most_untrusted_address(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(
        tmp_path,
        gateway__trusted_proxies="10.9.8.0/24,192.168.0.0/16",
        gateway__ratelimit__address_rps="0.001",
        gateway__ratelimit__address_burst="1",
    )
    conn = Connection(app)
    # The client wrote "6.6.6.6" itself; the proxies appended what they saw.
    chain = (b"x-forwarded-for", b"6.6.6.6, 203.0.113.9, 192.168.1.1")
    answers: list[Answer] = [await conn.get("/api/open/x", chain)]
    assert forwarded_for(fakes) == b"203.0.113.9"
    other = (b"x-forwarded-for", b"198.51.100.4")
    answers.append(await conn.get("/api/open/x", other))  # another client, its own bucket
    answers.append(await conn.get("/api/open/x", chain))  # the first one again: limited
    assert [a.status for a in answers] == [200, 200, 429]


# -- the chassis' endpoints -------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        ("10.9.8.7", ()),
        ("203.0.113.5", ()),
        ("127.0.0.1", ((b"x-forwarded-for", b"203.0.113.5"),)),  # a local reverse proxy
        ("127.0.0.1", ((b"forwarded", b"for=203.0.113.5"),)),
    ],
)
async def test_internal_endpoints_are_refused_from_outside(
    tmp_path: Path, fakes: FakeUpstreams, peer: str, headers: tuple[tuple[bytes, bytes], ...]
) -> None:
    app = make(tmp_path)
    conn = Connection(app, peer=peer)
    for path in ("/metrics", "/health", "/ready"):
        answer = await conn.get(path, *headers)
        assert answer.status == 404
        assert b"pid" not in answer.body and b"gateway_" not in answer.body
        assert answer.json()["detail"] == f"{path} is served to gateway.internal_networks only"
    assert app.refusals.counts[INTERNAL_ENDPOINT] == 3


async def test_refusals_show_on_the_metrics_of_an_internal_caller(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(tmp_path, gateway__internal_networks="10.50.0.0/16")
    await Connection(app).get("/metrics")
    metrics = await Connection(app, peer="10.50.3.4").get("/metrics")
    assert metrics.status == 200
    assert b'gateway_refused_total{reason="internal_endpoint"} 1.0' in metrics.body
    local = await Connection(app, peer="127.0.0.1").get("/health")
    assert local.status == 404  # loopback is internal only while listed


async def test_the_internal_port_serves_only_the_internal_endpoints_to_anyone(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app = make(tmp_path, gateway__max_connections="1")
    public = Connection(app, peer="203.0.113.5")
    # Whoever reaches the internal port (the network decides who can) reads them,
    # and its connections are not the public's to cap.
    internal = Connection(app, peer="203.0.113.5", protocol=InternalProtocol)
    assert (await internal.get("/health")).json()["service"] == "gateway"
    assert (await internal.get("/metrics")).status == 200
    routed = await internal.get("/api/open/x")
    assert routed.status == 404 and fakes.requests == []
    assert (await public.get("/health")).status == 404


async def test_a_hung_service_still_gets_the_request_once(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    # The body deadlines end reading the client, not waiting for the service.
    fakes.replies[9001] = [HANG]
    app = make(tmp_path, gateway__body_chunk_timeout_s="0.05", gateway__timeout_s="0.3")
    conn = Connection(app)
    conn.send(b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 3\r\n\r\nabc")
    (answer,) = await conn.answers(1)
    assert answer.status == 504
    assert len(fakes.requests) == 1
