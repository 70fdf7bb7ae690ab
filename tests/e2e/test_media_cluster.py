"""The media service in a real local cluster: ingest through discovery, and the demo."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.media.conftest import ClipMaker

from .conftest import Cluster

pytestmark = pytest.mark.slow


@pytest.fixture
def clip(clips: ClipMaker) -> Path:
    return clips.video(
        "cluster.mp4", size="320x180", vcodec=("-c:v", "libx264", "-preset", "ultrafast")
    )


def test_ingest_and_demo_on_a_running_cluster(new_cluster: Cluster, clip: Path) -> None:
    cluster = new_cluster
    cluster.env.update(
        REELSTACK_MEDIA_LADDER_MODE="fixed",
        REELSTACK_MEDIA_TOP_MAX_HEIGHT="240",
        REELSTACK_MEDIA_DEMO_TITLES="1",
        REELSTACK_MEDIA_DEMO_SIZE="426x240",
    )
    cluster.ok("up", "--timeout", "60")
    media = [v for v in cluster.instances() if v["service"] == "media"]
    assert media and all(v["state"] == "up" for v in media)

    result = cluster.cli(
        "ingest", str(clip), "--title", "Through the cluster", "--json", timeout=300
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["state"] == "ready"
    assert httpx.get(out["master_url"]).text.startswith("#EXTM3U")

    started = time.monotonic()
    first = cluster.cli("demo", timeout=600)
    assert first.returncode == 0, first.stderr
    assert "demo catalog" in first.stdout
    playlists = [
        line.rsplit(" ", 1)[-1] for line in first.stdout.splitlines() if "master.m3u8" in line
    ]
    assert len(playlists) == 1
    assert httpx.get(playlists[0].strip()).text.startswith("#EXTM3U")
    # Printed at the front door (the gateway serves published files to anyone).
    gateways = [
        f"http://{v['host']}:{v['port']}/" for v in cluster.instances() if v["service"] == "gateway"
    ]
    assert any(playlists[0].startswith(g) for g in gateways), (playlists, gateways)
    # And the web app's player page, which anyone may open.
    pages = [line.rsplit(" ", 1)[-1] for line in first.stdout.splitlines() if "/watch/" in line]
    assert len(pages) == 1 and any(pages[0].startswith(g) for g in gateways), first.stdout
    page = httpx.get(pages[0].strip())
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    first_s = time.monotonic() - started

    started = time.monotonic()
    again = cluster.cli("demo", timeout=120)
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - started < first_s  # sources cached, titles not ingested again
    base = f"http://{media[0]['host']}:{media[0]['port']}"
    titles = httpx.get(f"{base}/api/media/titles").json()["titles"]
    assert sorted(t["name"] for t in titles) == ["The Signal: Pilot", "Through the cluster"]
