"""A real edge process over the local blob store: collapse, refusals, restart with its cache."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.blob.local import LocalBlobStore
from reelstack.signed_urls import UrlSigner, home_key
from tests.integration.edge.conftest import read_reply
from tests.support.ports import free_port
from tests.support.processes import Child, Children

pytestmark = pytest.mark.slow

SEGMENT = os.urandom(2 * 1024 * 1024)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def status_of(port: int) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = get_json(f"http://127.0.0.1:{port}/edge/status")
    except (urllib.error.URLError, OSError):
        return None
    return found


async def fetch(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: edge\r\n\r\n".encode())
        reply = await read_reply(reader)
        return reply.status, reply.body
    finally:
        writer.close()


def start_edge(children: Children, home: Path, service_port: int, serve_port: int) -> Child:
    env = {
        "REELSTACK_HOME": str(home),
        "REELSTACK_SERVICES_EXTRA": "reelstack.edge",
        "REELSTACK_SERVICE_NAME": "edge",
        "REELSTACK_SERVICE_PORT": str(service_port),
        "REELSTACK_INSTANCE_ID": "edge-test-1",
        "REELSTACK_EDGE_SERVE_PORT": str(serve_port),
        "REELSTACK_EDGE_REGION": "US",
    }
    child = children.start(
        f"edge-{len(children.started)}", [sys.executable, "-m", "reelstack.chassis.run"], env=env
    )
    child.wait_until(lambda: status_of(service_port), "the edge to answer its status")
    return child


async def test_a_real_edge_collapses_refuses_and_keeps_its_cache(tmp_path: Path) -> None:
    home = tmp_path / "home"
    blobs = LocalBlobStore(home / "blobs")
    await blobs.open()
    await blobs.put("media/t1/j1/v0/seg_00001.m4s", SEGMENT)
    await blobs.close()
    signer = UrlSigner(home_key(home))
    path = signer.url("t1/j1/v0", "seg_00001.m4s", expires=int(time.time()) + 600)
    children = Children(tmp_path)
    service_port, serve_port = free_port(), free_port()
    try:
        edge = start_edge(children, home, service_port, serve_port)

        replies = await asyncio.gather(*(fetch(serve_port, path) for _ in range(100)))
        assert all(status == 200 and body == SEGMENT for status, body in replies)
        status = status_of(service_port)
        assert status is not None
        assert status["origin_fetches"] == 1
        assert status["bytes_from_origin"] == len(SEGMENT)
        results = status["results"]
        assert results.get("miss") == 1
        assert results.get("miss", 0) + results.get("collapsed", 0) + results.get("hit", 0) == 100

        token = path.split("/")[3]
        tampered = path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
        assert (await fetch(serve_port, tampered))[0] == 403
        expired = signer.url("t1/j1/v0", "seg_00001.m4s", expires=int(time.time()) - 60)
        assert (await fetch(serve_port, expired))[0] == 410
        traversal = f"/media/s/{token}/t1/%2e%2e/%2e%2e/secrets/url_secret"
        assert (await fetch(serve_port, traversal))[0] == 400
        after = status_of(service_port)
        assert after is not None and after["origin_fetches"] == 1

        assert edge.terminate() == 0
        start_edge(children, home, service_port, serve_port)
        restarted = status_of(service_port)
        assert restarted is not None and restarted["used_bytes"] == len(SEGMENT)
        assert restarted["titles"] == ["t1"]
        assert await fetch(serve_port, path) == (200, SEGMENT)
        final = status_of(service_port)
        assert final is not None and final["origin_fetches"] == 0 and final["hits"] == 1
    finally:
        children.close()
