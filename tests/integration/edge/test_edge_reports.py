"""A real edge reports its region, URL, load and contents to a real registry."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.blob.local import LocalBlobStore
from reelstack.signed_urls import UrlSigner, home_key
from tests.integration.edge.conftest import read_reply
from tests.integration.registry_processes import Processes, instances
from tests.support.ports import free_port
from tests.support.wait import eventually

pytestmark = pytest.mark.slow


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Processes]:
    processes = Processes(tmp_path)
    yield processes
    processes.close()


def metadata(registry: str, instance_id: str) -> dict[str, Any]:
    try:
        found = instances(registry).get(instance_id) or {}
    except OSError:
        return {}
    meta: dict[str, Any] = found.get("metadata", {}) if found.get("status") == "UP" else {}
    return meta


async def test_an_edge_reports_to_the_registry(spawn: Processes, tmp_path: Path) -> None:
    home = tmp_path / "home"
    blobs = LocalBlobStore(home / "blobs")
    await blobs.open()
    await blobs.put("media/t1/j1/v0/seg_00001.m4s", os.urandom(100_000))
    await blobs.close()
    registry = spawn()
    serve_port = free_port()
    spawn(
        "edge",
        REELSTACK_SERVICES_EXTRA="reelstack.edge",
        REELSTACK_INSTANCE_ID="edge-1",
        REELSTACK_EUREKA_URLS=registry.eureka,
        REELSTACK_EUREKA_RENEWAL_INTERVAL_S="0.5",
        REELSTACK_EDGE_REPORT_S="0.2",
        REELSTACK_EDGE_REGION="EU",
        REELSTACK_EDGE_SERVE_PORT=str(serve_port),
        REELSTACK_EDGE_CAPACITY_BYTES=str(50 * 1024 * 1024),
    )
    first = await eventually(
        lambda: (
            metadata(registry.eureka, "edge-1").get("edge.region") == "EU"
            and metadata(registry.eureka, "edge-1")
        ),
        "the edge's first report",
    )
    assert first["edge.url"] == f"http://127.0.0.1:{serve_port}"
    assert first["edge.capacity_bytes"] == str(50 * 1024 * 1024)
    assert first["edge.titles"] == ""

    signer = UrlSigner(home_key(home))
    path = signer.url("t1/j1/v0", "seg_00001.m4s", expires=int(time.time()) + 600)
    reader, writer = await asyncio.open_connection("127.0.0.1", serve_port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: e\r\n\r\n".encode())
    assert (await read_reply(reader)).status == 200
    writer.close()

    later = await eventually(
        lambda: (
            metadata(registry.eureka, "edge-1").get("edge.titles") == "t1"
            and metadata(registry.eureka, "edge-1")
        ),
        "a report naming the title the edge now holds",
    )
    assert int(later["edge.free_bytes"]) == 50 * 1024 * 1024 - 100_000
    assert int(later["edge.reported_at"]) >= int(first["edge.reported_at"])
    assert later["edge.connections"] in ("0", "1")
