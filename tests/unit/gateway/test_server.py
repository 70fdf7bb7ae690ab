from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from reelstack.gateway.models import PASSPORT_HEADER
from tests.support.wait import eventually
from tests.unit.gateway.fakes import CLOSE, HANG, FakeUpstreams, response
from tests.unit.gateway.harness import Connection, gateway_config, make_app
from tests.unit.gateway.keys import jwks, make_key

KEY = make_key()


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    return FakeUpstreams(monkeypatch)


def config(tmp_path: Path, **values: str):  # type: ignore[no-untyped-def]
    defaults = {
        "gateway__routes": "/api/open=svc;public,/api/svc=svc",
        "gateway__auth__jwks": jwks(KEY),
    }
    return gateway_config(tmp_path, **{**defaults, **values})


def dechunk(body: bytes) -> bytes:
    out = b""
    while True:
        size, _, body = body.partition(b"\r\n")
        if int(size, 16) == 0:
            return out
        out, body = out + body[: int(size, 16)], body[int(size, 16) + 2 :]


def echo_request(fakes: FakeUpstreams) -> bytes:
    return fakes.requests[-1][1]


async def test_proxies_with_keep_alive_and_request_id(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app, lines = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    first = await conn.get("/api/open/x?q=1")
    second = await conn.get("/api/open/y", (b"x-request-id", b"client-id-1"))
    assert (first.status, first.body) == (200, b"ok")
    assert first.headers[b"content-length"] == b"2"
    assert len(first.headers[b"x-request-id"]) == 32
    assert second.headers[b"x-request-id"] == b"client-id-1"
    assert b"x-request-id: client-id-1" in echo_request(fakes)
    assert not conn.transport.closed
    assert fakes.paths(9001) == [b"GET /x?q=1 HTTP/1.1", b"GET /y HTTP/1.1"]
    app.gateway.access_log.flush()
    logged = [orjson.loads(line) for chunk in lines for line in chunk.splitlines()]
    assert [(entry["path"], entry["status"], entry["route"]) for entry in logged] == [
        ("/api/open/x", 200, "/api/open"),
        ("/api/open/y", 200, "/api/open"),
    ]
    assert logged[1]["request_id"] == "client-id-1"
    assert next(event for event, _ in logged[0]["passport"]) == "route"
    assert logged[0]["attempts"][0]["instance"] == "svc-9001"
    assert logged[0]["attempts"][0]["outcome"] == "ok"


async def test_unknown_route_is_404_json(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    answer = await Connection(app).get("/api/nothing/here")
    assert answer.status == 404
    assert answer.json()["error"] == "NotFound"
    assert answer.headers[b"content-type"] == b"application/json"
    assert not fakes.requests


async def test_missing_and_bad_tokens_are_401_with_a_challenge(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    missing = await conn.get("/api/svc/x")
    assert missing.status == 401
    assert missing.headers[b"www-authenticate"] == b'Bearer realm="reelstack"'
    for token in (KEY.token(ttl_s=-120), make_key(kid=KEY.kid).token(), "garbage"):
        answer = await conn.get("/api/svc/x", (b"authorization", b"Bearer " + token.encode()))
        assert answer.status == 401
        assert b'error="invalid_token"' in answer.headers[b"www-authenticate"]
    assert not fakes.requests


async def test_methods_a_route_opens_to_anyone_need_no_token_but_a_sent_one_is_checked(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    cfg = config(tmp_path, gateway__routes="/api/titles=svc;public=GET,/api/svc=svc")
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    # Anyone reads, anonymously, even with a forged identity header.
    anonymous = await conn.get("/api/titles/7", (b"x-account-id", b"account-b"))
    assert anonymous.status == 200
    assert b"account-b" not in echo_request(fakes)
    # Other methods on the same route still need a token.
    for method in (b"DELETE", b"POST", b"PUT"):
        refused = await conn.get("/api/titles/7", method=method)
        assert refused.status == 401, method
    # A token sent with a read is checked: a bad one is refused, a good one names the caller.
    for bad in (KEY.token(ttl_s=-120), make_key(kid=KEY.kid).token()):
        answer = await conn.get("/api/titles/7", (b"authorization", b"Bearer " + bad.encode()))
        assert answer.status == 401
    assert (await conn.get("/api/titles/7", (b"authorization", b"Basic eDp5"))).status == 401
    token = KEY.token("account-a").encode()
    known = await conn.get("/api/titles/7", (b"authorization", b"Bearer " + token))
    assert known.status == 200
    assert b"x-account-id: account-a" in echo_request(fakes).lower()
    assert len(fakes.requests) == 2  # the anonymous read and the signed-in one


async def test_a_route_that_names_roles_refuses_a_caller_without_one_with_403(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    routes = "/api/titles=svc;public=GET;role=studio/admin,/api/studio=svc;role=studio"
    app, _ = make_app(config(tmp_path, gateway__routes=routes), 9001)
    conn = Connection(app)
    viewer = b"Bearer " + KEY.token("account-v", roles=["viewer"]).encode()
    studio = b"Bearer " + KEY.token("account-s", roles=["studio"]).encode()
    bare = b"Bearer " + KEY.token("account-n").encode()
    for token in (viewer, bare):
        refused = await conn.get("/api/studio/upload", (b"authorization", token), method=b"POST")
        assert refused.status == 403
        assert "needs the role studio" in refused.json()["detail"]
        # What the route opens to anyone stays open, a token or not.
        read = await conn.get("/api/titles/7", (b"authorization", token))
        assert read.status == 200
        assert (await conn.get("/api/titles/7", method=b"DELETE")).status == 401
        denied = await conn.get("/api/titles/7", (b"authorization", token), method=b"DELETE")
        assert denied.status == 403
    assert len(fakes.requests) == 2  # only the two reads reached the service
    allowed = await conn.get("/api/studio/upload", (b"authorization", studio), method=b"POST")
    assert allowed.status == 200
    forwarded = echo_request(fakes).lower()
    assert b"x-roles: studio" in forwarded and b"x-account-id: account-s" in forwarded
    # A client's own X-Roles never reaches a service.
    forged = await conn.get("/api/titles/7", (b"x-roles", b"admin"))
    assert forged.status == 200
    assert b"x-roles" not in echo_request(fakes).lower()


async def test_the_caller_is_named_by_the_gateway_only(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    token = KEY.token("account-a", profile="kid-profile", maturity="kids").encode()
    answer = await conn.get(
        "/api/svc/history",
        (b"authorization", b"Bearer " + token),
        (b"x-account-id", b"account-b"),
        (b"X-Profile-Id", b"profile-b"),
        (b"X-Maturity", b"adults"),
        (b"X-Region", b"ZZ"),
    )
    assert answer.status == 200
    sent = echo_request(fakes).lower()
    assert sent.count(b"x-account-id") == 1
    assert b"x-account-id: account-a" in sent
    assert b"x-profile-id: kid-profile" in sent
    assert b"x-maturity: kids" in sent and b"adults" not in sent
    assert b"x-region: us" in sent and b"zz" not in sent  # the default region
    assert b"account-b" not in sent and b"profile-b" not in sent
    assert b"authorization" not in sent  # the token stays at the gateway
    # A public route gets no identity, and a forged one is removed there too.
    await conn.get("/api/open/x", (b"x-account-id", b"account-b"))
    assert b"account-b" not in echo_request(fakes)


async def test_account_rate_limit_answers_429_with_retry_after(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    cfg = config(
        tmp_path, gateway__ratelimit__account_rps="0.5", gateway__ratelimit__account_burst="2"
    )
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    auth = (b"authorization", b"Bearer " + KEY.token("busy-account").encode())
    statuses = [(await conn.get("/api/svc/x", auth)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = await conn.get("/api/svc/x", auth)
    assert limited.headers[b"retry-after"] == b"2"  # one token every 2 s
    other = (b"authorization", b"Bearer " + KEY.token("calm-account").encode())
    assert (await conn.get("/api/svc/x", other)).status == 200


async def test_address_rate_limit(tmp_path: Path, fakes: FakeUpstreams) -> None:
    cfg = config(
        tmp_path, gateway__ratelimit__address_rps="1", gateway__ratelimit__address_burst="1"
    )
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    assert (await conn.get("/api/open/x")).status == 200
    limited = await conn.get("/api/open/x")
    assert limited.status == 429 and limited.headers[b"retry-after"] == b"1"


async def test_oversized_headers_are_431_and_the_connection_closes(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app, _ = make_app(config(tmp_path, gateway__max_header_bytes="512"), 9001)
    conn = Connection(app)
    answer = await conn.get("/api/open/x", (b"x-big", b"a" * 600))
    assert answer.status == 431
    # Closing: nothing more is written, and what the client still sends is
    # read and dropped (lingering) so it can read the 431 before the close.
    assert conn.transport.eof
    written = bytes(conn.transport.written)
    conn.send(b"GET /api/open/y HTTP/1.1\r\nhost: gw\r\n\r\n")
    await asyncio.sleep(0.01)
    assert bytes(conn.transport.written) == written
    assert not fakes.requests


async def test_a_declared_body_over_the_limit_is_413(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app, _ = make_app(config(tmp_path, gateway__max_body_bytes="10"), 9001)
    conn = Connection(app)
    conn.send(b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 11\r\n\r\n0123456789a")
    (answer,) = await conn.answers(1)
    assert answer.status == 413
    assert not fakes.requests


async def test_a_chunked_body_is_counted_as_it_streams(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app, _ = make_app(config(tmp_path, gateway__max_body_bytes="10"), 9001)
    conn = Connection(app)
    conn.send(b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n")
    conn.send(b"6\r\n012345\r\n")
    conn.send(b"6\r\n6789ab\r\n")  # over the limit, and more may follow
    (answer,) = await conn.answers(1)
    assert answer.status == 413
    assert answer.headers[b"connection"] == b"close"  # the rest of the body is not read


async def test_a_small_chunked_body_is_sent_whole_with_its_length(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    # Read before a slot is taken (ADR 0017), so it goes with a Content-Length.
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    conn.send(b"PUT /api/open/x HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n")
    conn.send(b"3\r\nabc\r\n")
    conn.send(b"3\r\ndef\r\n0\r\n\r\n")
    (answer,) = await conn.answers(1)
    assert answer.status == 200
    head, _, body = echo_request(fakes).partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head
    assert b"content-length: 6" in head
    assert body == b"abcdef"


async def test_a_large_chunked_body_is_streamed_to_the_service(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    conn.send(b"PUT /api/open/x HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n")
    piece = b"a" * 40_000
    for _ in range(3):
        conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    conn.send(b"0\r\n\r\n")
    (answer,) = await conn.answers(1)
    assert answer.status == 200
    head, _, body = echo_request(fakes).partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    assert dechunk(body) == piece * 3


async def test_expect_100_continue(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    conn.send(
        b"POST /api/open/x HTTP/1.1\r\nhost: gw\r\ncontent-length: 3\r\n"
        b"expect: 100-continue\r\n\r\n"
    )
    await eventually(
        lambda: b"100 Continue" in conn.transport.written, "100 Continue", interval_s=0.001
    )
    conn.send(b"abc")
    written = bytes(conn.transport.written)
    assert written.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    conn.seen = len(b"HTTP/1.1 100 Continue\r\n\r\n")
    (answer,) = await conn.answers(1)
    assert answer.status == 200
    assert b"expect" not in echo_request(fakes).lower()


async def test_pipelined_requests_are_answered_in_order(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    fakes.replies[9001] = [response(200, b"one"), response(200, b"two")]
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    conn.send(
        b"GET /api/open/1 HTTP/1.1\r\nhost: gw\r\n\r\nGET /api/open/2 HTTP/1.1\r\nhost: gw\r\n\r\n"
    )
    answers = await conn.answers(2)
    assert [a.body for a in answers] == [b"one", b"two"]


async def test_a_streamed_response_is_chunked_to_the_client(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    fakes.replies[9001] = [[head + b"2\r\nhi\r\n", b"3\r\n yo\r\n", b"0\r\n\r\n"]]
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    answer = await conn.get("/api/open/stream")
    assert answer.body == b"hi yo"
    assert answer.headers[b"transfer-encoding"] == b"chunked"


async def test_http_1_0_gets_its_connection_closed(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    conn.send(b"GET /api/open/x HTTP/1.0\r\n\r\n")
    (answer,) = await conn.answers(1)
    assert answer.status == 200 and answer.headers[b"connection"] == b"close"
    await asyncio.sleep(0)
    assert conn.transport.closed


async def test_a_client_that_leaves_frees_the_service_call(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    fakes.replies[9001] = [HANG]
    app, lines = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    conn.send(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\n\r\n")
    await eventually(lambda: fakes.requests, "the request at the service", interval_s=0.001)
    conn.lose()
    target = app.gateway.inbound[0].proxy.client.target("svc")  # type: ignore[attr-defined]
    await eventually(lambda: not target.bulkhead.in_use, "the service call freed", interval_s=0.001)
    app.gateway.access_log.flush()
    assert orjson.loads(lines[-1].splitlines()[-1])["status"] == 499


async def test_chassis_endpoints_are_served(tmp_path: Path, fakes: FakeUpstreams) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app, peer="127.0.0.1")  # the internal endpoints are for local callers
    health = await conn.get("/health")
    assert health.status == 200 and health.json()["service"] == "gateway"
    await conn.get("/api/open/x")
    metrics = await conn.get("/metrics")
    text = metrics.body.decode()
    assert 'http_requests_total{method="GET",route="/api/open",status="200"} 1.0' in text
    assert 'gateway_upstream_attempts_total{outcome="ok",route="/api/open"} 1.0' in text
    assert 'client_calls_total{outcome="success",service="svc"} 1.0' in text


async def test_faults_from_the_header_only_while_enabled(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    cfg = config(tmp_path)
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    fault = (b"x-reelstack-fault", b"abort=503")
    assert (await conn.get("/api/open/x", fault)).status == 200  # off by default
    assert b"x-reelstack-fault" not in echo_request(fakes).lower()
    cfg.apply_runtime({"gateway.faults.header": "true"})
    aborted = await conn.get("/api/open/x", fault)
    assert aborted.status == 503
    assert aborted.json()["error"] == "InjectedFault"
    assert len(fakes.requests) == 1  # the aborted request never reached the service
    slow = await conn.get("/api/open/x", (b"x-reelstack-fault", b"delay=30ms"))
    assert slow.status == 200
    bad = await conn.get("/api/open/x", (b"x-reelstack-fault", b"abort=nope"))
    assert bad.status == 400


async def test_route_faults_from_a_runtime_property(tmp_path: Path, fakes: FakeUpstreams) -> None:
    cfg = config(tmp_path)
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    cfg.apply_runtime({"gateway.faults.routes": "/api/open:abort=502"})
    assert (await conn.get("/api/open/x")).status == 502
    cfg.apply_runtime({})
    assert (await conn.get("/api/open/x")).status == 200


async def test_the_passport_header_only_when_enabled_and_asked(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    cfg = config(tmp_path)
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    ask = (b"x-reelstack-debug", b"1")
    assert PASSPORT_HEADER not in (await conn.get("/api/open/x", ask)).headers
    cfg.apply_runtime({"gateway.debug_header": "true"})
    assert PASSPORT_HEADER not in (await conn.get("/api/open/x")).headers
    passport = orjson.loads((await conn.get("/api/open/x", ask)).headers[PASSPORT_HEADER])
    assert passport["attempts"][0]["instance"] == "svc-9001"
    assert [event for event, _ in passport["timeline"]][:2] == ["route", "debug"]


@pytest.mark.parametrize(
    "path", ["/api/open/../svc/x", "/api/open/%2e%2e/svc", "/api/open/./x", "/api/open/%2E%2E"]
)
async def test_dot_segments_are_refused(tmp_path: Path, fakes: FakeUpstreams, path: str) -> None:
    app, _ = make_app(config(tmp_path), 9001)
    answer = await Connection(app).get(path)
    assert answer.status == 400
    assert not fakes.requests


async def test_a_body_that_breaks_off_closes_the_client_connection(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n"
    fakes.replies[9001] = [[head + b"partial", CLOSE]]
    app, _ = make_app(config(tmp_path), 9001)
    conn = Connection(app)
    conn.send(b"GET /api/open/x HTTP/1.1\r\nhost: gw\r\n\r\n")
    await eventually(
        lambda: conn.transport.closed, "the client connection closed", interval_s=0.001
    )
    assert bytes(conn.transport.written).endswith(b"partial")
