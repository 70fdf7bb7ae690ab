from __future__ import annotations

from typing import Any

import pytest

from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.resilience import ClientOptions, ResilientClient
from reelstack.gateway.models import ACCOUNT_HEADER, Route
from reelstack.gateway.pools import Pools
from reelstack.gateway.proxy import ProxyEndpoint
from tests.unit.gateway.fakes import (
    CLOSE,
    HANG,
    REFUSE,
    BytesBody,
    FakeUpstreams,
    make_ctx,
    response,
)

ROUTE = Route("/api/svc", "svc", rewrite="/v1")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    return FakeUpstreams(monkeypatch)


def make_proxy(*ports: int, timeout_s: float = 2.0, **options: Any) -> ProxyEndpoint:
    discovery = StaticDiscovery(
        [InstanceInfo("svc", f"svc-{port}", "127.0.0.1", port, "a") for port in ports]
    )
    settings: dict[str, Any] = {"availability_failures": 1, "retries": 1, **options}
    client = ResilientClient(discovery, zone="a", options=ClientOptions.defaults(**settings))
    return ProxyEndpoint(
        discovery=discovery, client=client, pools=Pools(idle_s=4.0), timeout_s=timeout_s
    )


def routed(path: str = "/api/svc/titles", **kwargs: Any) -> Any:
    ctx = make_ctx(path, **kwargs)
    ctx.route = ROUTE
    return ctx


def request_headers(raw: bytes) -> list[tuple[bytes, bytes]]:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    return [(n.strip().lower(), v.strip()) for n, _, v in (line.partition(b":") for line in head)]


async def test_forwards_the_request_rewritten_with_forwarding_headers(fakes: FakeUpstreams) -> None:
    proxy = make_proxy(9001)
    ctx = routed(
        "/api/svc/titles/7",
        query=b"page=2",
        headers=[
            (b"host", b"front.example"),
            (b"connection", b"keep-alive, x-private"),
            (b"x-private", b"hop"),
            (b"te", b"trailers"),
            (b"x-forwarded-for", b"6.6.6.6"),
            (b"x-request-id", b"forged-id"),
            (b"accept", b"application/json"),
        ],
        client="10.1.2.3",
    )
    ctx.upstream_headers.append((ACCOUNT_HEADER, b"acct-1"))
    answer = await proxy.handle(ctx)
    assert answer.status == 200 and answer.body == b"ok"
    ((_port, raw),) = fakes.requests
    assert raw.startswith(b"GET /v1/titles/7?page=2 HTTP/1.1\r\n")
    headers = request_headers(raw)
    names = [name for name, _ in headers]
    assert (b"accept", b"application/json") in headers
    assert (b"host", b"front.example") in headers
    assert (b"x-forwarded-host", b"front.example") in headers
    assert (b"x-forwarded-for", b"10.1.2.3") in headers  # the client's own copy replaced
    assert (b"x-forwarded-proto", b"http") in headers
    assert (b"x-request-id", b"rid-1") in headers
    assert (b"x-account-id", b"acct-1") in headers
    for hop in (b"connection", b"x-private", b"te"):
        assert hop not in names
    assert names.count(b"x-forwarded-for") == 1


async def test_drops_hop_by_hop_response_headers(fakes: FakeUpstreams) -> None:
    fakes.replies[9001] = [
        response(
            200,
            b"hi",
            (b"connection", b"x-secret"),
            (b"x-secret", b"1"),
            (b"keep-alive", b"timeout=5"),
            (b"x-kept", b"yes"),
        )
    ]
    answer = await make_proxy(9001).handle(routed())
    names = [name for name, _ in answer.headers]
    assert b"x-kept" in names
    for dropped in (b"connection", b"x-secret", b"keep-alive", b"content-length"):
        assert dropped not in names


async def test_reuses_a_keep_alive_connection(fakes: FakeUpstreams) -> None:
    proxy = make_proxy(9001)
    for _ in range(3):
        assert (await proxy.handle(routed())).status == 200
    assert fakes.connects == [9001]


async def test_a_refused_connection_is_retried_elsewhere_and_the_instance_skipped(
    fakes: FakeUpstreams,
) -> None:
    fakes.replies[9001] = [REFUSE]
    proxy = make_proxy(9001, 9002)
    statuses = []
    for _ in range(4):
        ctx = routed(method="POST", body=BytesBody(b"{}"))  # any method: nothing was sent
        answer = await proxy.handle(ctx)
        statuses.append(answer.status)
        if ctx.passport.attempts[0][0] == "svc-9001":
            assert [a[1] for a in ctx.passport.attempts] == ["connect_error", "ok"]
    assert statuses == [200] * 4
    assert fakes.connects.count(9001) == 1  # skipped after its first failed connection
    assert len(fakes.paths(9002)) == 4


@pytest.mark.parametrize(("method", "attempts"), [("GET", 2), ("POST", 1)])
async def test_a_503_is_retried_only_for_idempotent_requests(
    fakes: FakeUpstreams, method: str, attempts: int
) -> None:
    fakes.replies[9001] = [response(503, b"busy")]
    fakes.replies[9002] = [response(503, b"busy")]
    proxy = make_proxy(9001, 9002)
    ctx = routed(method=method)
    answer = await proxy.handle(ctx)
    assert answer.status == 503
    assert len(fakes.requests) == attempts
    assert len({port for port, _ in fakes.requests}) == attempts  # each on another instance


async def test_a_retried_503_can_succeed(fakes: FakeUpstreams) -> None:
    fakes.replies[9001] = [response(503, b"busy")]
    ctx = routed()
    answer = await make_proxy(9001, 9002).handle(ctx)
    assert answer.status == 200
    assert [a[1] for a in ctx.passport.attempts] == ["retried_status", "ok"]


async def test_a_small_body_is_sent_again_on_retry(fakes: FakeUpstreams) -> None:
    fakes.replies[9001] = [response(502)]
    ctx = routed(method="PUT", body=BytesBody(b"abc", b"def"))
    assert (await make_proxy(9001, 9002).handle(ctx)).status == 200
    bodies = [raw.split(b"\r\n\r\n", 1)[1] for _, raw in fakes.requests]
    assert bodies == [b"abcdef", b"abcdef"]


async def test_a_closed_pooled_connection_retries_idempotent_requests_only(
    fakes: FakeUpstreams,
) -> None:
    proxy = make_proxy(9001, 9002)
    for _ in range(2):
        await proxy.handle(routed())  # a pooled connection to each instance
    fakes.replies[9001] = [CLOSE, response()]
    for _ in range(3):  # until the balancer's turn comes to 9001
        get = routed()
        assert (await proxy.handle(get)).status == 200
        if get.passport.attempts[0][0] == "svc-9001":
            break
    assert [a[1] for a in get.passport.attempts] == ["reset", "ok"]
    fakes.replies[9001] = [CLOSE, response()]
    fakes.replies[9002] = [CLOSE, response()]
    post = routed(method="POST", body=BytesBody(b"x"))
    assert (await proxy.handle(post)).status == 502  # it may have been acted on: not resent
    assert [a[1] for a in post.passport.attempts] == ["reset"]


async def test_the_bulkhead_sheds_load_with_retry_after(fakes: FakeUpstreams) -> None:
    import asyncio

    fakes.replies[9001] = [HANG]
    proxy = make_proxy(9001, max_concurrent=1)
    slow = asyncio.ensure_future(proxy.handle(routed()))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    shed = await proxy.handle(routed())
    assert shed.status == 503
    assert (b"retry-after", b"1") in shed.headers
    assert len(fakes.requests) == 1  # the shed request never reached the service
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert proxy.client.target("svc").bulkhead.in_use == 0


async def test_no_answer_in_time_is_504(fakes: FakeUpstreams) -> None:
    fakes.replies[9001] = [HANG]
    proxy = make_proxy(9001, timeout_s=0.05)
    answer = await proxy.handle(routed())
    assert answer.status == 504
    assert proxy.client.target("svc").bulkhead.in_use == 0


async def test_no_instance_is_503(fakes: FakeUpstreams) -> None:
    answer = await make_proxy().handle(routed())
    assert answer.status == 503
    assert b"no instance" in answer.body


async def test_streams_a_body_that_arrives_in_parts(fakes: FakeUpstreams) -> None:
    head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    fakes.replies[9001] = [[head + b"5\r\nhello\r\n", b"6\r\n world\r\n", b"0\r\n\r\n"]]
    proxy = make_proxy(9001)
    answer = await proxy.handle(routed())
    assert answer.stream is not None and answer.length is None
    assert proxy.client.target("svc").bulkhead.in_use == 1  # held while the body streams
    parts = []
    while chunk := await answer.stream.read():
        parts.append(chunk)
    answer.stream.close(True)
    assert b"".join(parts) == b"hello world"
    assert proxy.client.target("svc").bulkhead.in_use == 0
    assert (await proxy.handle(routed())).status == 200
    assert fakes.connects == [9001]  # the connection went back to the pool


async def test_head_responses_keep_the_length_and_have_no_body(fakes: FakeUpstreams) -> None:
    fakes.replies[9001] = [b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n", response()]
    proxy = make_proxy(9001)
    answer = await proxy.handle(routed(method="HEAD"))
    assert answer.status == 200 and answer.body == b"" and answer.length == 1234
    assert (await proxy.handle(routed())).body == b"ok"  # the connection still reads right
