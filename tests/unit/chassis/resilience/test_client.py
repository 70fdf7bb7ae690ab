"""ResilientClient: the layers composed, against small aiohttp servers in this process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from fastapi import APIRouter
from prometheus_client import CollectorRegistry, generate_latest

from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.logs import AccessLog
from reelstack.chassis.resilience import (
    BulkheadFullError,
    CallError,
    CallTimeoutError,
    ClientOptions,
    ConnectionFailedError,
    NoInstancesError,
    ResilientClient,
    Response,
    ShortCircuitedError,
    UpstreamError,
)
from reelstack.config import Config
from tests.support.ports import free_port
from tests.support.wait import eventually
from tests.unit.chassis.conftest import started


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Upstream:
    """One instance: counts what it receives; answers ``status`` (200 by default)."""

    name: str
    zone: str
    port: int = 0
    status: int = 200
    hits: list[str] = field(default_factory=list)
    request_ids: list[str | None] = field(default_factory=list)
    runner: web.AppRunner | None = None

    @property
    def info(self) -> InstanceInfo:
        return InstanceInfo("svc", self.name, "127.0.0.1", self.port, zone=self.zone)

    async def handle(self, request: web.Request) -> web.Response:
        self.hits.append(f"{request.method} {request.path}")
        self.request_ids.append(request.headers.get("X-Request-Id"))
        if request.path == "/slow":
            await asyncio.sleep(float(request.query["s"]))
        return web.json_response({"instance": self.name}, status=self.status)


@pytest.fixture
async def upstream() -> AsyncIterator[Callable[..., Awaitable[Upstream]]]:
    started: list[Upstream] = []

    async def start(name: str, zone: str = "a") -> Upstream:
        server = Upstream(name, zone)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", server.handle)
        # Handlers still sleeping at the end are cut short, not waited for.
        server.runner = web.AppRunner(app, shutdown_timeout=0.2)
        await server.runner.setup()
        site = web.TCPSite(server.runner, "127.0.0.1", 0)
        await site.start()
        server.port = server.runner.addresses[0][1]
        started.append(server)
        return server

    yield start
    for server in started:
        assert server.runner is not None
        await server.runner.cleanup()


def dead(name: str, zone: str = "a") -> InstanceInfo:
    """An instance nobody listens on: connections are refused."""
    return InstanceInfo("svc", name, "127.0.0.1", free_port(), zone=zone)


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., ResilientClient]]:
    clients: list[ResilientClient] = []

    def make(instances: list[InstanceInfo], **kwargs: object) -> ResilientClient:
        kwargs.setdefault("zone", "a")
        client = ResilientClient(StaticDiscovery(instances), **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_calls_spread_over_the_callers_zone(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    a1, a2, b1 = await upstream("a1"), await upstream("a2"), await upstream("b1", "b")
    client = make_client([a1.info, b1.info, a2.info])
    answered = [(await client.request("svc", "GET", "/x")).json()["instance"] for _ in range(10)]
    assert sorted(answered) == ["a1"] * 5 + ["a2"] * 5
    assert b1.hits == []


async def test_a_refused_connection_is_retried_on_another_instance_then_skipped(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    live = await upstream("live")
    client = make_client([dead("gone"), live.info])
    for _ in range(20):
        response = await client.request("svc", "GET", "/x")
        assert response.status == 200 and response.instance == live.info
    target = client.target("svc")
    # Three consecutive failures trip the filter; after that the dead one gets nothing.
    assert target.connection_failures == 3
    assert target.retries == 3
    assert target.balancer.skipped(asyncio.get_running_loop().time()) == 1
    assert len(live.hits) == 20


async def test_a_post_is_retried_only_when_nothing_was_sent(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    live = await upstream("live")
    client = make_client([dead("gone"), live.info])
    for _ in range(4):
        response = await client.request("svc", "POST", "/orders", body=b"{}")
        assert response.status == 200
    assert live.hits == ["POST /orders"] * 4


async def test_503_is_retried_elsewhere_for_idempotent_calls_only(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    sick, well = await upstream("sick"), await upstream("well")
    sick.status = 503
    client = make_client([sick.info, well.info])
    for _ in range(4):
        assert (await client.request("svc", "GET", "/x")).status == 200
    assert len(sick.hits) == 2 and len(well.hits) == 4

    statuses = [(await client.request("svc", "POST", "/x")).status for _ in range(4)]
    assert sorted(statuses) == [200, 200, 503, 503]

    for _ in range(4):
        response = await client.request("svc", "POST", "/x", idempotent=True)
        assert response.status == 200


async def test_retries_stop_when_the_budget_is_spent(
    make_client: Callable[..., ResilientClient],
) -> None:
    options = ClientOptions.defaults(retry_budget_ratio=0.0, retry_budget_min_per_s=0.0)
    client = make_client([dead("d1"), dead("d2")], options=options)
    with pytest.raises(ConnectionFailedError) as caught:
        await client.request("svc", "GET", "/x")
    assert caught.value.attempts == 1
    target = client.target("svc")
    assert (target.retries, target.retries_denied) == (0, 1)


async def test_breaker_opens_short_circuits_and_closes_after_a_good_trial(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    clock = FakeClock()
    sick = await upstream("sick")
    sick.status = 500
    client = make_client(
        [sick.info], clock=clock, options=ClientOptions.defaults(request_volume=20)
    )
    for _ in range(20):
        assert (await client.request("svc", "GET", "/x")).status == 500
    assert client.target("svc").breaker.state_name == "open"

    with pytest.raises(ShortCircuitedError):
        await client.request("svc", "GET", "/x")
    seen: list[CallError] = []

    def fallback(error: CallError) -> Response:
        seen.append(error)
        return Response.from_json({"instance": "fallback"})

    answer = await client.request("svc", "GET", "/x", fallback=fallback)
    assert answer.json() == {"instance": "fallback"} and answer.instance is None
    assert isinstance(seen[0], ShortCircuitedError)
    assert len(sick.hits) == 20, "a short-circuited call reached the upstream"

    # After the sleep window one trial goes through; the upstream is still sick.
    clock.now += 5
    assert (await client.request("svc", "GET", "/x")).status == 500
    assert client.target("svc").breaker.state_name == "open"
    assert len(sick.hits) == 21
    # It recovers; the next trial closes the breaker.
    sick.status = 200
    clock.now += 5
    assert (await client.request("svc", "GET", "/x")).status == 200
    assert client.target("svc").breaker.state_name == "closed"
    assert (await client.request("svc", "GET", "/x")).status == 200


async def test_a_5xx_goes_to_the_fallback_when_there_is_one(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    sick = await upstream("sick")
    sick.status = 500
    client = make_client([sick.info])

    async def fallback(error: CallError) -> Response:
        assert isinstance(error, UpstreamError) and error.response.status == 500
        return Response.from_json([])

    assert (await client.request("svc", "GET", "/x", fallback=fallback)).json() == []
    assert client.target("svc").counts[:2] == [0, 1]


async def test_bulkhead_rejects_at_once_when_full(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    slow = await upstream("slow")
    client = make_client([slow.info], options=ClientOptions.defaults(max_concurrent=2))
    in_flight = [asyncio.create_task(client.request("svc", "GET", "/slow?s=0.5")) for _ in range(2)]
    await eventually(lambda: len(slow.hits) >= 2, "both calls at the upstream")
    with pytest.raises(BulkheadFullError):
        await client.request("svc", "GET", "/x")
    answer = await client.request(
        "svc", "GET", "/x", fallback=lambda error: Response(429, {}, b"busy")
    )
    assert answer.status == 429
    assert [r.status for r in await asyncio.gather(*in_flight)] == [200, 200]
    assert (await client.request("svc", "GET", "/x")).status == 200
    assert client.target("svc").bulkhead.in_use == 0


async def test_timeout_bounds_the_call_and_is_not_retried(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    s1, s2 = await upstream("s1"), await upstream("s2")
    client = make_client([s1.info, s2.info])
    with pytest.raises(CallTimeoutError):
        await client.request("svc", "GET", "/slow?s=2", timeout_s=0.2)
    assert len(s1.hits) + len(s2.hits) == 1
    assert client.target("svc").counts[2] == 1


async def test_no_instance_is_an_error_not_a_breaker_failure(
    make_client: Callable[..., ResilientClient],
) -> None:
    client = make_client([], options=ClientOptions.defaults(request_volume=1))
    for _ in range(3):
        with pytest.raises(NoInstancesError):
            await client.request("svc", "GET", "/x")
    assert client.target("svc").breaker.state_name == "closed"


async def test_settings_change_live_and_overrides_win(
    upstream: Callable[..., Awaitable[Upstream]],
    make_client: Callable[..., ResilientClient],
    make_config: Callable[..., Config],
) -> None:
    up = await upstream("up")
    config = make_config(**{"client.bulkhead.max_concurrent": "7"})
    client = make_client([up.info], config=config, overrides={"other": {"max_concurrent": 3}})
    await client.request("svc", "GET", "/x")
    assert client.target("svc").bulkhead.max_concurrent == 7
    assert client.target("other").bulkhead.max_concurrent == 3
    config.apply_runtime({"client.bulkhead.max_concurrent": "9", "client.timeout_s": "0.5"})
    assert client.target("svc").bulkhead.max_concurrent == 9
    assert client.target("svc").options.timeout_s == 0.5
    assert client.target("other").bulkhead.max_concurrent == 3
    assert client.target("other").options.timeout_s == 0.5


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ValueError, match="timeout"):
        ResilientClient(StaticDiscovery(), overrides={"svc": {"timeout": 1}})  # type: ignore[typeddict-unknown-key]


async def test_metrics_are_exposed_in_the_registry(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    up = await upstream("up")
    registry = CollectorRegistry()
    client = make_client([dead("gone"), up.info], registry=registry)
    for _ in range(5):
        await client.request("svc", "GET", "/x")
    with pytest.raises(ShortCircuitedError):
        client.target("svc").breaker.state = 1
        client.target("svc").breaker.opened_at = 1e12
        await client.request("svc", "GET", "/x")
    text = generate_latest(registry).decode()
    assert 'client_calls_total{outcome="success",service="svc"} 5.0' in text
    assert 'client_calls_total{outcome="short_circuited",service="svc"} 1.0' in text
    assert 'client_retries_total{service="svc"} 3.0' in text
    assert 'client_connection_failures_total{service="svc"} 3.0' in text
    assert 'client_instances_filtered{service="svc"} 1.0' in text
    assert 'client_breaker_state{service="svc"} 1.0' in text
    assert 'client_bulkhead_in_use{service="svc"} 0.0' in text


async def test_a_chassis_client_reports_in_the_apps_metrics_and_carries_the_request_id(
    upstream: Callable[..., Awaitable[Upstream]],
    make_config: Callable[..., Config],
    access_log: AccessLog,
) -> None:
    up = await upstream("up")
    router = APIRouter()
    clients: list[ResilientClient] = []

    @router.get("/relay")
    async def relay() -> object:
        return (await clients[0].request("svc", "GET", "/x")).json()

    app = create_service_app(
        make_config(), routers=[router], access_log=access_log, poll_properties=False
    )
    clients.append(ResilientClient.for_chassis(chassis_of(app), StaticDiscovery([up.info])))
    try:
        async for http in started(app):
            relayed = await http.get("/relay", headers={"X-Request-Id": "trace-7"})
            metrics = await http.get("/metrics")
    finally:
        await clients[0].close()
    assert relayed.json() == {"instance": "up"}
    assert up.request_ids == ["trace-7"]
    assert 'client_calls_total{outcome="success",service="svc"} 1.0' in metrics.text


async def test_a_fallback_must_answer_with_a_response(
    make_client: Callable[..., ResilientClient],
) -> None:
    client = make_client([])
    with pytest.raises(TypeError, match="Response"):
        await client.request("svc", "GET", "/x", fallback=lambda error: [])  # type: ignore[arg-type,return-value]


async def test_a_cancelled_trial_frees_its_slot_and_lets_the_next_call_try(
    upstream: Callable[..., Awaitable[Upstream]], make_client: Callable[..., ResilientClient]
) -> None:
    clock = FakeClock()
    slow = await upstream("slow")
    client = make_client([slow.info], clock=clock)
    breaker = client.target("svc").breaker
    breaker.on_failure(1, clock.now)
    breaker.state, breaker.opened_at = 1, clock.now - 60  # open, sleep window over
    trial = asyncio.create_task(client.request("svc", "GET", "/slow?s=5"))
    await eventually(lambda: slow.hits, "the trial call at the upstream")
    assert breaker.state_name == "half_open"
    with pytest.raises(ShortCircuitedError):
        await client.request("svc", "GET", "/x")
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert client.target("svc").bulkhead.in_use == 0
    assert (await client.request("svc", "GET", "/x")).status == 200
    assert breaker.state_name == "closed"
