"""The edge's app in this process: status, fill on demand, metrics, reports (fake origin)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from reelstack import settings
from reelstack.bootstrap import Adapters
from reelstack.config import Config
from reelstack.edge.app import create_app
from reelstack.edge.context import EdgeContext
from reelstack.edge.report import report_values
from tests.integration.edge.conftest import SIGNER, Edge
from tests.unit.chassis.conftest import started
from tests.unit.edge.fakes import FakeOrigin

DATA = os.urandom(200_000)


def _config(tmp_path: Path) -> Config:
    key = tmp_path / "secrets" / "url_secret"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_bytes(SIGNER.key)
    values = {
        "home": str(tmp_path),
        "service.name": "edge",
        "service.port": "18199",
        "service.zone": "b",
        "edge.region": "EU",
        "edge.capacity_bytes": str(4 * 1024 * 1024),
        "edge.fill_rate_bytes_s": str(50 * 1024 * 1024),
    }
    return Config.load(
        settings.REGISTRY, environ={settings.REGISTRY[k].env: v for k, v in values.items()}
    )


async def test_status_fill_and_metrics(tmp_path: Path) -> None:
    origin = FakeOrigin()
    for name in ("index.m3u8", "seg_00001.m4s", "seg_00002.m4s"):
        origin.add(f"media/t1/j1/v0/{name}", DATA)
    origin.add("media/t2/j1/v0/seg_00001.m4s", DATA)
    config = _config(tmp_path)
    app = create_app(config, adapters=Adapters(config, _built={"blob": origin}))
    assert app.server_options == {"loop": "asyncio"}  # type: ignore[attr-defined]
    async for client in started(app):
        ctx = app.state.chassis.context
        assert isinstance(ctx, EdgeContext)
        assert ctx.cache.root == tmp_path / "edge" / "edge-b-18199"
        port = ctx.server.server.sockets[0].getsockname()[1]
        edge = Edge(ctx.server, ctx.cache, origin, ctx.stats, port)

        refused = await client.post("/edge/fill", json={"titles": ["../secrets"]})
        assert refused.status_code == 422 and origin.calls == 0

        filled = (await client.post("/edge/fill", json={"titles": ["t1"]})).json()
        assert filled["files"] == 3 and filled["bytes"] == 3 * len(DATA)
        assert origin.gets == 3
        again = (await client.post("/edge/fill", json={"titles": ["t1"]})).json()
        assert again["files"] == 0 and again["held"] == 3 and origin.gets == 3

        # Filled before the first viewer: a hit.
        reply = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
        assert reply.status == 200 and reply.body == DATA
        await edge.get(edge.url("t2/j1/v0/seg_00001.m4s"))  # a miss

        status = (await client.get("/edge/status")).json()
        assert status["region"] == "EU" and status["healthy"]
        assert status["url"] == f"http://127.0.0.1:{port}"
        assert status["requests"] == 2 and status["hits"] == 1
        assert status["hit_ratio_requests"] == 0.5
        assert status["bytes_served"] == 2 * len(DATA)
        assert status["titles"] == ["t2", "t1"]
        assert status["used_bytes"] == 4 * len(DATA)
        assert status["last_fill"]["held"] == 3 and not status["filling"]

        # With no registry there are no popular titles to ask for: said, not raised.
        popular = (await client.post("/edge/fill", json={})).json()
        assert popular["files"] == 0 and popular["stopped"].startswith("no popular titles")

        metrics = (await client.get("/metrics")).text
        assert 'edge_requests_total{result="hit"} 1.0' in metrics
        assert 'edge_requests_total{result="miss"} 1.0' in metrics
        assert f"edge_bytes_served_total {float(2 * len(DATA))}" in metrics
        assert "edge_cache_bytes" in metrics and "edge_connections" in metrics

        values = report_values(ctx, 1234)
        assert values["edge.region"] == "EU" and values["edge.bytes_s"] == "1234"
        assert values["edge.titles"] == "t2,t1"
        assert values["edge.url"] == f"http://127.0.0.1:{port}"
        assert int(values["edge.free_bytes"]) == 4 * 1024 * 1024 - 4 * len(DATA)
        assert set(values) == {
            "edge.region",
            "edge.url",
            "edge.connections",
            "edge.bytes_s",
            "edge.free_bytes",
            "edge.capacity_bytes",
            "edge.titles",
            "edge.reported_at",
        }
    assert ctx.server.server is None  # stopped with the app


async def _until(condition: Callable[[str], bool], key: str, deadline_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not condition(key):
        assert loop.time() < end, "the condition did not come true in time"
        await asyncio.sleep(0.01)


async def test_purge_drops_one_title_from_disk_and_status(tmp_path: Path) -> None:
    origin = FakeOrigin()
    for name in ("index.m3u8", "seg_00001.m4s"):
        origin.add(f"media/t1/j1/v0/{name}", DATA)
    origin.add("media/t2/j1/v0/seg_00001.m4s", DATA)
    origin.add("media/t3/j1/v0/seg_00001.m4s", DATA)
    config = _config(tmp_path)
    app = create_app(config, adapters=Adapters(config, _built={"blob": origin}))
    async for client in started(app):
        ctx = app.state.chassis.context
        assert isinstance(ctx, EdgeContext)
        port = ctx.server.server.sockets[0].getsockname()[1]
        edge = Edge(ctx.server, ctx.cache, origin, ctx.stats, port)
        await client.post("/edge/fill", json={"titles": ["t1", "t2"]})
        assert (tmp_path / "edge" / "edge-b-18199" / "media" / "t1").is_dir()

        purged = await client.delete("/edge/titles/t1")
        assert purged.status_code == 200
        assert purged.json() == {"title": "t1", "files": 2, "bytes": 2 * len(DATA)}
        assert not (tmp_path / "edge" / "edge-b-18199" / "media" / "t1").exists()
        status = (await client.get("/edge/status")).json()
        assert status["titles"] == ["t2"] and status["used_bytes"] == len(DATA)
        # The next viewer of the purged title is a miss, fetched from the origin again.
        gets = origin.gets
        reply = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
        assert reply.status == 200 and origin.gets == gets + 1

        # An unknown title is nothing to drop; an id that is not one is refused.
        unknown = await client.delete("/edge/titles/never-published")
        assert unknown.status_code == 200 and unknown.json()["files"] == 0
        for bad in (".hidden", "%2e%2e", "a" * 200):
            assert (await client.delete(f"/edge/titles/{bad}")).status_code in (404, 422)
        assert (await client.get("/edge/status")).json()["titles"] == ["t1", "t2"]

        # A fill in progress when its title is purged is not cached when it ends.
        origin.gate = asyncio.Event()
        viewer = asyncio.create_task(edge.get(edge.url("t3/j1/v0/seg_00001.m4s")))
        fills = ctx.cache.fills
        await _until(fills.__contains__, "media/t3/j1/v0/seg_00001.m4s")
        assert (await client.delete("/edge/titles/t3")).status_code == 200
        origin.gate.set()
        await asyncio.gather(viewer, return_exceptions=True)  # answered or cut off
        await _until(lambda key, held=fills: key not in held, "media/t3/j1/v0/seg_00001.m4s")
        assert "t3" not in (await client.get("/edge/status")).json()["titles"]
