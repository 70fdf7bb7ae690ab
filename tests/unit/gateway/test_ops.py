"""The ops API at /api/ops: admins only, read-only, instances and summed metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.gateway.app import create_app
from reelstack.gateway.ops import OpsEndpoint
from reelstack.gateway.ops_metrics import ServiceTotals, parse_exposition
from tests.unit.gateway.fakes import FakeUpstreams
from tests.unit.gateway.harness import Connection, gateway_config
from tests.unit.gateway.keys import jwks, make_key

KEY = make_key()

EXPOSITION = """\
# TYPE http_requests counter
http_requests_total{route="/catalog/titles/{title_id}",method="GET",status="200"} 40.0
http_requests_total{route="/catalog/titles/{title_id}",method="GET",status="503"} 2.0
http_requests_total{route="/metrics",method="GET",status="200"} 900.0
http_requests_total{route="/playback/plays",method="POST",status="201"} 7.0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/catalog/titles/{title_id}",method="GET",le="0.01"} 30.0
http_request_duration_seconds_bucket{route="/catalog/titles/{title_id}",method="GET",le="+Inf"} 42.0
http_request_duration_seconds_count{route="/catalog/titles/{title_id}",method="GET"} 42.0
http_request_duration_seconds_sum{route="/catalog/titles/{title_id}",method="GET"} 0.5
# TYPE edge_requests counter
edge_requests_total{result="hit"} 9.0
edge_requests_total{result="miss"} 1.0
"""


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    return FakeUpstreams(monkeypatch)


def _bearer(token: str) -> tuple[bytes, bytes]:
    return (b"authorization", b"Bearer " + token.encode())


def _app(tmp_path: Path) -> Connection:
    instances = [
        InstanceInfo("catalog", "catalog-a", "127.0.0.1", 9101, "a", "v3"),
        InstanceInfo("catalog", "catalog-b", "127.0.0.1", 9102, "b", "v3", status="STARTING"),
    ]
    config = gateway_config(tmp_path, gateway__auth__jwks=jwks(KEY))
    return Connection(create_app(config, discovery=StaticDiscovery(instances)))


async def test_only_an_admin_token_reads_the_ops_api(tmp_path: Path, fakes: FakeUpstreams) -> None:
    conn = _app(tmp_path)
    for path in ("/api/ops/instances", "/api/ops/metrics", "/api/ops"):
        assert (await conn.get(path)).status == 401
        for roles in (["viewer"], ["studio"], []):
            answer = await conn.get(path, _bearer(KEY.token("acct", roles=roles)))
            assert answer.status == 403, (path, roles)
    forged = KEY.token("acct", roles="admin")  # a string, not a list of roles
    assert (await conn.get("/api/ops/instances", _bearer(forged))).status in (401, 403)
    assert fakes.requests == []


async def test_an_admin_sees_every_instance_whatever_its_status(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    conn = _app(tmp_path)
    answer = await conn.get("/api/ops/instances", _bearer(KEY.token("ops", roles=["admin"])))
    assert answer.status == 200
    assert answer.headers[b"cache-control"] == b"no-store"
    listed = answer.json()["instances"]
    assert [(i["instance_id"], i["zone"], i["status"], i["version"]) for i in listed] == [
        ("catalog-a", "a", "UP", "v3"),
        ("catalog-b", "b", "STARTING", "v3"),
    ]
    assert "host" not in listed[0] and "port" not in listed[0]


async def test_the_ops_api_is_read_only_and_knows_its_paths(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    conn = _app(tmp_path)
    admin = _bearer(KEY.token("ops", roles=["admin"]))
    for method in (b"POST", b"PUT", b"DELETE"):
        assert (await conn.get("/api/ops/instances", admin, method=method)).status == 405
    assert (await conn.get("/api/ops/secrets", admin)).status == 404
    assert (await conn.get("/api/ops/../catalog/studio/titles/x", admin)).status == 400
    # A longer prefix is not the ops API (and no route serves it).
    assert (await conn.get("/api/opsx/instances", admin)).status == 404
    assert fakes.requests == []


def test_exposition_is_summed_without_the_chassis_own_routes() -> None:
    sample = parse_exposition(EXPOSITION)
    assert sample.requests == 49  # the 900 scrapes of /metrics are not the service's work
    assert sample.errors == 2
    assert sample.play_starts == 7
    assert sample.buckets == {"0.01": 30.0, "+Inf": 42.0}
    assert sample.edge_results == {"hit": 9, "miss": 1}
    assert parse_exposition("this is { not metrics").requests == 0
    # Playback's own counter, when it exports one, also counts starts made through the graph.
    counted = (
        EXPOSITION + "# TYPE reelstack_play_starts counter\nreelstack_play_starts_total 12.0\n"
    )
    assert parse_exposition(counted).play_starts == 12


@asynccontextmanager
async def serving_metrics(text: str, scrapes: list[str] | None = None) -> AsyncIterator[int]:
    """An instance's ``/metrics`` answering ``text`` on a free port (its port); scrapes noted."""

    async def metrics(request: web.Request) -> web.Response:
        if scrapes is not None:
            scrapes.append(request.path)
        return web.Response(text=text)

    server = web.Application()
    server.router.add_get("/metrics", metrics)
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def test_metrics_sum_the_up_instances_and_are_read_once_per_interval() -> None:
    scrapes: list[str] = []
    async with serving_metrics(EXPOSITION, scrapes) as port:
        listing = [
            InstanceInfo("playback", "p-a", "127.0.0.1", port, "a"),
            InstanceInfo("playback", "p-b", "127.0.0.1", 1, "b"),  # nothing listens there
            InstanceInfo(
                "edge", "e-a", "127.0.0.1", 9, "a", metadata={"management.port": str(port)}
            ),
            InstanceInfo("edge", "e-b", "127.0.0.1", port, "b", status="DOWN"),
        ]
        ops = OpsEndpoint(lambda: listing, timeout_s=5.0, cache_s=600.0)
        first = await ops.metrics()
        again = await ops.metrics()
    assert again is first
    assert len(scrapes) == 2  # p-a and e-a (by its management port), once
    playback = first["services"]["playback"]
    assert (playback["instances"], playback["scraped"]) == (2, 1)
    assert (playback["requests"], playback["errors"]) == (49, 2)
    assert playback["latency"]["buckets"] == [["0.01", 30.0], ["+Inf", 42.0]]
    assert first["play_starts"] == 7
    assert first["edge_results"] == {"hit": 9, "miss": 1}
    assert first["qoe_by_region"] is None


QOE_EXPOSITION = """\
# TYPE reelstack_qoe_plays counter
reelstack_qoe_plays_total{region="US"} 3.0
reelstack_qoe_plays_total{region="other"} 1.0
reelstack_qoe_plays_total{region="<script>"} 5.0
# TYPE reelstack_qoe_startup_seconds histogram
reelstack_qoe_startup_seconds_bucket{region="US",le="0.5"} 1.0
reelstack_qoe_startup_seconds_bucket{region="US",le="1.0"} 3.0
reelstack_qoe_startup_seconds_bucket{region="US",le="+Inf"} 3.0
reelstack_qoe_startup_seconds_count{region="US"} 3.0
reelstack_qoe_startup_seconds_sum{region="US"} 2.1
# TYPE reelstack_qoe_rebuffers counter
reelstack_qoe_rebuffers_total{region="US"} 2.0
# TYPE reelstack_qoe_rebuffer_seconds counter
reelstack_qoe_rebuffer_seconds_total{region="US"} 4.5
# TYPE reelstack_qoe_errors counter
reelstack_qoe_errors_total{region="US"} 1.0
"""


def test_qoe_series_are_read_by_region_and_odd_labels_are_dropped() -> None:
    sample = parse_exposition(EXPOSITION + QOE_EXPOSITION)
    assert sorted(sample.qoe) == ["US", "other"]  # "<script>" is no region
    us = sample.qoe["US"]
    assert (us.plays, us.rebuffers, us.rebuffer_seconds, us.errors) == (3, 2, 4.5, 1)
    assert us.startup_buckets == {"0.5": 1.0, "1.0": 3.0, "+Inf": 3.0}
    assert (us.startup_count, us.startup_sum) == (3.0, 2.1)
    assert sample.requests == 49  # the other families read as before
    assert parse_exposition(EXPOSITION).qoe == {}
    # An events instance before any play: a source with no rows, not "no source".
    quiet = ServiceTotals()
    quiet.add(parse_exposition(EXPOSITION))
    assert quiet.qoe_by_region == {}


async def test_qoe_by_region_sums_the_events_instances() -> None:
    async with serving_metrics(QOE_EXPOSITION) as port:
        two = [
            InstanceInfo("events", "ev-a", "127.0.0.1", port, "a"),
            InstanceInfo("events", "ev-b", "127.0.0.1", port, "b"),
        ]
        summed = await OpsEndpoint(lambda: two, timeout_s=5.0, cache_s=0).metrics()
        down = [InstanceInfo("events", "ev-c", "127.0.0.1", 1, "a")]  # nothing listens
        unread = await OpsEndpoint(lambda: down, timeout_s=5.0, cache_s=0).metrics()
    qoe = summed["qoe_by_region"]
    assert list(qoe) == ["US", "other"]
    assert qoe["US"] == {
        "plays": 6,
        "startup": {
            "buckets": [["0.5", 2.0], ["1.0", 6.0], ["+Inf", 6.0]],
            "count": 6.0,
            "sum": 4.2,
        },
        "rebuffers": 4,
        "rebuffer_seconds": 9.0,
        "errors": 2,
    }
    assert qoe["other"]["plays"] == 2 and qoe["other"]["startup"]["count"] == 0
    # No events instance answered: no source, which the console says apart from "no plays yet".
    assert unread["qoe_by_region"] is None
