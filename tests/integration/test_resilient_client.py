"""The resilient client against real upstream processes: kill one, fail one, fill one."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.resilience import (
    BulkheadFullError,
    CallError,
    ClientOptions,
    ResilientClient,
    Response,
    ShortCircuitedError,
)
from tests.support.ports import accepts, free_port
from tests.support.processes import Child, Children
from tests.support.wait import eventually

pytestmark = pytest.mark.slow

SERVER = Path(__file__).with_name("resilience_upstream.py")


class Upstream:
    """One upstream process; ``kill`` is kill -9, ``start`` (re)starts it on its port."""

    def __init__(self, name: str, zone: str, children: Children) -> None:
        self.name = name
        self.port = free_port()
        self.info = InstanceInfo("films", name, "127.0.0.1", self.port, zone=zone)
        self.children = children
        self.child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.child is None:
            argv = [sys.executable, str(SERVER), str(self.port), self.name]
            self.child = self.children.start(self.name, argv)
        else:
            self.child.restart()
        self.child.wait_until(lambda: accepts(self.port), f"{self.name} to accept connections")

    def kill(self) -> None:
        assert self.child is not None
        self.child.kill()


@pytest.fixture
def upstreams(tmp_path: Path) -> Iterator[Callable[..., Upstream]]:
    children = Children(tmp_path)

    def start(name: str, zone: str = "a") -> Upstream:
        upstream = Upstream(name, zone, children)
        upstream.start()
        return upstream

    yield start
    children.close()


@pytest.fixture
async def control() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain session for talking to upstreams directly, beside the client under test."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


async def set_status(control: aiohttp.ClientSession, upstream: Upstream, code: int) -> None:
    async with control.put(f"{upstream.url}/status", params={"code": str(code)}) as response:
        assert response.status == 200


@pytest.mark.parametrize("failures", [1, 3])
async def test_a_killed_instance_stops_getting_calls_and_callers_see_no_error(
    upstreams: Callable[..., Upstream], failures: int
) -> None:
    films = [upstreams(f"films-{i}") for i in range(3)]
    options = ClientOptions.defaults(availability_failures=failures)
    async with ResilientClient(
        StaticDiscovery([f.info for f in films]), zone="a", options=options
    ) as client:
        served = [(await client.request("films", "GET", "/ping")).json() for _ in range(30)]
        assert {s["instance"] for s in served} == {"films-0", "films-1", "films-2"}

        films[1].kill()
        after = [await client.request("films", "GET", "/ping") for _ in range(60)]

        assert all(r.status == 200 for r in after)
        assert {r.instance.instance_id for r in after if r.instance} == {"films-0", "films-2"}
        target = client.target("films")
        # The killed instance was tried `failures` times, each call retried
        # elsewhere; then it was skipped and got nothing more.
        assert target.connection_failures == failures
        assert target.retries == failures
        assert target.balancer.skipped(time.monotonic()) == 1
        assert target.counts[0] == 90


async def test_breaker_opens_on_errors_and_closes_after_the_sleep_window_on_recovery(
    upstreams: Callable[..., Upstream], control: aiohttp.ClientSession
) -> None:
    films = upstreams("films-0")
    sleep_s = 0.5
    options = ClientOptions.defaults(request_volume=10, sleep_window_s=sleep_s, retries=0)
    async with ResilientClient(StaticDiscovery([films.info]), options=options) as client:
        breaker = client.target("films").breaker
        await set_status(control, films, 500)
        statuses = [(await client.request("films", "GET", "/ping")).status for _ in range(10)]
        assert statuses == [500] * 10
        assert breaker.state_name == "open"
        opened_at = breaker.opened_at

        with pytest.raises(ShortCircuitedError):
            await client.request("films", "GET", "/ping")
        await set_status(control, films, 200)

        # Poll until a call gets through; every call before that is answered
        # by the fallback without reaching the upstream.
        fallbacks: list[CallError] = []

        def fallback(error: CallError) -> Response:
            fallbacks.append(error)
            return Response.from_json({"instance": None})

        response = await eventually(
            lambda: client.request("films", "GET", "/ping", fallback=fallback),
            "the breaker to let a trial through",
            done=lambda response: response.instance is not None,
            interval_s=0.01,
        )
        closed_at = time.monotonic()
        assert response.status == 200
        assert breaker.state_name == "closed"
        assert closed_at - opened_at >= sleep_s
        assert all(isinstance(e, ShortCircuitedError) for e in fallbacks)
        assert (await client.request("films", "GET", "/ping")).status == 200


async def test_breaker_opens_while_the_only_instance_is_down_and_closes_once_it_is_back(
    upstreams: Callable[..., Upstream],
) -> None:
    films = upstreams("films-0")
    options = ClientOptions.defaults(request_volume=5, sleep_window_s=0.3)
    async with ResilientClient(StaticDiscovery([films.info]), options=options) as client:
        assert (await client.request("films", "GET", "/ping")).status == 200
        films.kill()
        for _ in range(5):
            with pytest.raises(CallError):
                await client.request("films", "GET", "/ping")
        breaker = client.target("films").breaker
        assert breaker.state_name == "open"
        films.start()
        response = await eventually(
            lambda: client.request("films", "GET", "/ping"),
            "the breaker to close",
            ignoring=(ShortCircuitedError,),
            interval_s=0.01,
        )
        assert response.status == 200 and breaker.state_name == "closed"


async def test_bulkhead_rejects_when_full_and_only_for_that_service(
    upstreams: Callable[..., Upstream], control: aiohttp.ClientSession
) -> None:
    films, other = upstreams("films-0"), upstreams("other-0")
    other_info = InstanceInfo("ratings", "ratings-0", "127.0.0.1", other.port)
    async with ResilientClient(
        StaticDiscovery([films.info, other_info]), overrides={"films": {"max_concurrent": 4}}
    ) as client:
        slow = [
            asyncio.create_task(client.request("films", "GET", "/slow?s=1.5")) for _ in range(4)
        ]

        async def inflight() -> int:
            async with control.get(f"{films.url}/inflight") as response:
                count: int = (await response.json())["inflight"]
                return count

        await eventually(
            inflight, "the slow calls to reach the upstream", done=lambda n: n == 4, interval_s=0.01
        )

        with pytest.raises(BulkheadFullError) as caught:
            await client.request("films", "GET", "/ping")
        assert caught.value.max_concurrent == 4
        # Another dependency keeps its own capacity.
        assert (await client.request("ratings", "GET", "/ping")).status == 200

        assert [r.status for r in await asyncio.gather(*slow)] == [200] * 4
        assert (await client.request("films", "GET", "/ping")).status == 200
        assert client.target("films").counts[4] == 1
