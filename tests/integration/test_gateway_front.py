"""The gateway's front door over real sockets: malformed requests and stalling clients.

The gateway is served in the test's own loop by uvicorn with the gateway's
HTTP protocol (as the chassis runner serves it), in front of an upstream
stub that parses and records every request that reaches it. The fuzz part
sends a corpus of malformed requests (request smuggling pairs, duplicate
lengths, obsolete line folding, bare CR or LF, huge chunk sizes, NULs) and
seeded mutations of a valid one: the gateway must answer or close within a
generous wait, keep answering a well-behaved client, and forward nothing
from a request it did not accept whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httptools

from reelstack.chassis import server as chassis_server
from reelstack.gateway.app import create_app
from reelstack.gateway.asgi import GatewayApp
from tests.support.ports import free_port
from tests.support.wait import eventually
from tests.unit.gateway.harness import gateway_config

WAIT_S = 10.0  # generous: the test fails if the gateway stops answering, never on speed


@dataclass
class Upstream:
    """A service stub: answers 200 to each whole request and records it."""

    requests: list[tuple[bytes, bytes, bytes]] = field(default_factory=list)  # method, url, body
    errors: list[str] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stub = self

        class Callbacks:
            url = b""
            body = b""

            def on_url(self, url: bytes) -> None:
                self.url += url

            def on_body(self, body: bytes) -> None:
                self.body += body

            def on_message_complete(self) -> None:
                method = parser.get_method()
                stub.requests.append((method, self.url, self.body))
                self.url, self.body = b"", b""
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

        parser = httptools.HttpRequestParser(Callbacks())
        try:
            while data := await reader.read(65536):
                parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.errors.append(str(exc))  # the gateway sent something malformed
        except ConnectionError:
            pass
        finally:
            writer.close()

    def paths(self) -> list[bytes]:
        return [url for _, url, _ in self.requests]


@dataclass
class Front:
    port: int
    upstream: Upstream
    app: GatewayApp


@contextlib.asynccontextmanager
async def serve(tmp_path: Path, **values: str) -> AsyncIterator[Front]:
    upstream = Upstream()
    stub = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    upstream.port = stub.sockets[0].getsockname()[1]
    config = gateway_config(
        tmp_path,
        gateway__routes="/api/open=svc;public",
        gateway__instances=f"svc=127.0.0.1:{upstream.port}",
        gateway__ratelimit__address_rps="0",
        **values,
    )
    app = create_app(config)
    sock = chassis_server.bind("127.0.0.1", 0, "gateway")
    # A short keep-alive: a request the gateway accepted leaves its connection
    # open, and the exchange reads until the close.
    server = chassis_server.make_server(app, grace_s=1.0, timeout_keep_alive=0.5)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started, "the gateway started", done=bool)
        yield Front(sock.getsockname()[1], upstream, app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT_S)
        sock.close()
        stub.close()
        await stub.wait_closed()


async def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` on a new connection; return everything received until the close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        # No half-close: an incomplete request must be ended by the gateway's
        # own deadlines, which is part of what is tested.
        async with asyncio.timeout(WAIT_S):  # a hang fails the test here
            return await reader.read(-1)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


async def well_behaved(port: int) -> int:
    """Return the status of a plain GET on a new connection."""
    answer = await exchange(
        port, b"GET /api/open/ok HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n"
    )
    return int(answer.split(b" ", 2)[1]) if answer else 0


SMUGGLED = b"GET /api/open/smuggled HTTP/1.1\r\nhost: gw\r\n\r\n"
H = b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\n"

# Each one a request the gateway must refuse (or close on) and never forward.
CORPUS: dict[str, bytes] = {
    "cl_then_te": H
    + b"content-length: 6\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"
    + SMUGGLED,
    "te_then_cl": H
    + b"transfer-encoding: chunked\r\ncontent-length: 6\r\n\r\n0\r\n\r\n"
    + SMUGGLED,
    "te_identity_cl": H + b"transfer-encoding: identity\r\ncontent-length: 5\r\n\r\nhello",
    "two_lengths": H + b"content-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
    "same_length_twice": H + b"content-length: 5\r\ncontent-length: 5\r\n\r\nhello",
    "length_list": H + b"content-length: 5, 5\r\n\r\nhello",
    "length_plus": H + b"content-length: +5\r\n\r\nhello",
    "length_overflow": H + b"content-length: 99999999999999999999999\r\n\r\nhello",
    "te_list": H + b"transfer-encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    "te_gzip": H + b"transfer-encoding: gzip\r\n\r\nabc",
    "te_xchunked": H + b"transfer-encoding: xchunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "te_twice": H + b"transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    "te_space_before_colon": H + b"transfer-encoding : chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "te_folded": H + b"transfer-encoding:\r\n chunked\r\ncontent-length: 3\r\n\r\n0\r\n\r\n",
    "te_http10": b"POST /api/open/x HTTP/1.0\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n"
    b"0\r\n\r\n",
    "obsolete_fold": b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\nx-a: b\r\n c\r\n\r\n",
    "bare_lf": b"GET /api/open/x HTTP/1.1\nhost: gw\n\n",
    "bare_cr": b"GET /api/open/x HTTP/1.1\rhost: gw\r\n\r\n",
    "bare_cr_in_headers": b"GET /api/open/x HTTP/1.1\r\nhost: gw\rx: y\r\n\r\n",
    "bare_lf_in_headers": b"GET /api/open/x HTTP/1.1\r\nhost: gw\nx: y\r\n\r\n",
    "huge_chunk_size": H + b"transfer-encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc",
    "negative_chunk": H + b"transfer-encoding: chunked\r\n\r\n-1\r\nabc",
    "chunk_without_crlf": H + b"transfer-encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n" + SMUGGLED,
    "chunk_ext_bare_lf": H + b"transfer-encoding: chunked\r\n\r\n3;x\nabc\r\n0\r\n\r\n",
    "nul_in_path": b"GET /api/open/x\x00y HTTP/1.1\r\nhost: gw\r\n\r\n",
    "nul_in_value": b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\nx: a\x00b\r\n\r\n",
    "nul_in_name": b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\nx\x00y: b\r\n\r\n",
    "two_hosts": b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\nhost: evil\r\n\r\n",
    "no_colon": b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\nnocolon\r\n\r\n",
    "space_in_target": b"GET /api/open/a b HTTP/1.1\r\nhost: gw\r\n\r\n",
    "http09": b"GET /api/open/x\r\n\r\n",
    "http2_preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "leading_space_header": b"GET /api/open/x HTTP/1.1\r\n host: gw\r\n\r\n",
    "body_on_get": b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: "
    + b"%d\r\n\r\n" % len(SMUGGLED)
    + SMUGGLED,
    "chunked_get": b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n"
    b"0\r\n\r\n",
}


DEADLINES = {"gateway__header_timeout_s": "0.3", "gateway__body_chunk_timeout_s": "0.3"}


async def test_malformed_requests_are_refused_and_never_forwarded(tmp_path: Path) -> None:
    async with serve(tmp_path, **DEADLINES) as front:
        for name, data in CORPUS.items():
            answer = await exchange(front.port, data)
            status = answer[:12]
            assert not status.startswith(b"HTTP/1.1 2"), (name, answer[:200])
            assert front.upstream.requests == [], (name, front.upstream.requests)
            assert await well_behaved(front.port) == 200, name  # still answering
            front.upstream.requests.clear()
        assert front.upstream.errors == []


MUTATIONS = [
    b"\r",
    b"\n",
    b"\x00",
    b" ",
    b"\t",
    b"\r\n ",
    b"\r\ntransfer-encoding: chunked",
    b"\r\ncontent-length: 3",
    b"\r\ncontent-length: 0",
    b"\r\nhost: other",
    b"ffffffff",
    b"0\r\n\r\n",
    b"\r\n\r\n",
    b":",
    b"\xff",
]
BASE = (
    b"POST /api/open/m HTTP/1.1\r\nhost: gw\r\ncontent-type: text/plain\r\n"
    b"content-length: 5\r\n\r\nhello"
)


async def test_seeded_mutations_never_hang_crash_or_split_a_request(tmp_path: Path) -> None:
    rng = random.Random(20261207)
    async with serve(tmp_path, **DEADLINES) as front:
        for case in range(300):
            data = bytearray(BASE)
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(data) + 1)
                data[at:at] = rng.choice(MUTATIONS)
            before = len(front.upstream.requests)
            answer = await exchange(front.port, bytes(data))
            forwarded = front.upstream.requests[before:]
            # One client request is at most one request upstream, and only when
            # the gateway accepted it (the stub's 200 is the only 2xx there is).
            assert len(forwarded) <= 1, (case, bytes(data), forwarded)
            if forwarded:
                assert answer.startswith(b"HTTP/1.1 200 "), (case, bytes(data), answer[:200])
            assert all(b"smuggled" not in url for _, url, _ in forwarded)
        assert await well_behaved(front.port) == 200
        assert front.upstream.errors == []


# -- slow and stalled clients over sockets -----------------------------------------------


async def test_hundreds_of_stalled_bodies_leave_the_service_to_a_good_client(
    tmp_path: Path,
) -> None:
    async with serve(
        tmp_path,
        gateway__max_concurrent="16",
        gateway__max_connections_per_client="0",
        gateway__body_chunk_timeout_s="60",
    ) as front:
        stalled = []
        try:
            for _ in range(200):
                _, writer = await asyncio.open_connection("127.0.0.1", front.port)
                writer.write(H + b"content-length: 1000\r\n\r\nabc")  # and never the rest
                stalled.append(writer)
            connections = front.app.connections
            await eventually(lambda: connections.total, "200 connections", done=lambda n: n >= 200)
            for _ in range(5):
                assert await well_behaved(front.port) == 200  # not 503 ServiceOverloaded
        finally:
            for writer in stalled:
                writer.close()


async def test_an_endless_header_line_is_cut_off_with_431(tmp_path: Path) -> None:
    async with serve(tmp_path, gateway__max_header_bytes="8192") as front:
        reader, writer = await asyncio.open_connection("127.0.0.1", front.port)
        writer.write(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\nx-endless: ")
        sent = 0
        answer = b""
        with contextlib.suppress(ConnectionError):
            async with asyncio.timeout(WAIT_S):
                while not answer and sent < 10_000_000:
                    writer.write(b"a" * 4096)
                    sent += 4096
                    await writer.drain()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.001):
                            answer = await reader.read(4096)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert sent < 1_000_000  # cut off near the limit, not after megabytes
        assert front.upstream.requests == []


async def test_a_slowloris_head_is_answered_408_and_closed(tmp_path: Path) -> None:
    async with serve(tmp_path, gateway__header_timeout_s="0.3") as front:
        reader, writer = await asyncio.open_connection("127.0.0.1", front.port)
        writer.write(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\n")
        async with asyncio.timeout(WAIT_S):
            answer = await reader.read(-1)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"request headers not received within 0.3 s" in answer


async def test_the_internal_port_answers_health_and_metrics_the_public_port_does_not(
    tmp_path: Path,
) -> None:
    internal_port = free_port()
    values = {
        "gateway__internal_port": str(internal_port),
        "gateway__internal_networks": "192.0.2.0/24",  # loopback is outside here
    }
    async with serve(tmp_path, **values) as front:
        get = b"GET %s HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n"
        for path in (b"/health", b"/ready", b"/metrics"):
            public = await exchange(front.port, get % path)
            assert public.startswith(b"HTTP/1.1 404 "), public[:100]
            assert b"gateway.internal_networks" in public
            inside = await exchange(internal_port, get % path)
            assert inside.startswith(b"HTTP/1.1 200 "), inside[:100]
        metrics = await exchange(internal_port, get % b"/metrics")
        assert b'gateway_refused_total{reason="internal_endpoint"} 3.0' in metrics
