"""The media service in a real local cluster: ingest through discovery, and the demo."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.media.conftest import ClipMaker

from .conftest import UP_TIMEOUT_S, Cluster

pytestmark = pytest.mark.slow


def demo_sources(cluster: Cluster) -> dict[Path, tuple[int, int]]:
    """The demo's rendered sources in the home, each with its inode and modification time."""
    return {
        path: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in (cluster.home / "demo").rglob("*.mp4")
    }


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
    cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    media = [v for v in cluster.instances() if v["service"] == "media"]
    assert media and all(v["state"] == "up" for v in media)

    result = cluster.cli(
        "ingest", str(clip), "--title", "Through the cluster", "--json", timeout=300
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["state"] == "ready"
    assert httpx.get(out["master_url"]).text.startswith("#EXTM3U")

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
    rendered = demo_sources(cluster)
    assert rendered, "the demo sources are kept in the home"

    again = cluster.cli("demo", timeout=600)
    assert again.returncode == 0, again.stderr
    # Sources cached (the same files, not written again), the title not ingested again.
    assert demo_sources(cluster) == rendered
    assert [line for line in again.stdout.splitlines() if "/watch/" in line] == [
        line for line in first.stdout.splitlines() if "/watch/" in line
    ]
    base = f"http://{media[0]['host']}:{media[0]['port']}"
    titles = httpx.get(f"{base}/api/media/titles").json()["titles"]
    assert sorted(t["name"] for t in titles) == ["The Signal: Pilot", "Through the cluster"]


def test_demo_returns_with_the_first_title_and_fills_the_rest_behind(
    new_cluster: Cluster,
) -> None:
    cluster = new_cluster
    cluster.env.update(
        REELSTACK_MEDIA_LADDER_MODE="fixed",
        REELSTACK_MEDIA_TOP_MAX_HEIGHT="240",
        # Three episodes of the series, then the first film.
        REELSTACK_MEDIA_DEMO_TITLES="4",
        REELSTACK_MEDIA_DEMO_SIZE="426x240",
    )
    first = cluster.cli("demo", timeout=600)
    assert first.returncode == 0, first.stderr
    assert "the other 3 demo titles" in first.stdout
    assert "open the web app" in first.stdout
    # The film is the one it waited for, and the one it links.
    pages = [line for line in first.stdout.splitlines() if "/watch/" in line]
    assert len(pages) == 1 and "Bars" in pages[0], first.stdout

    def titles() -> list[dict[str, object]]:
        listed: list[dict[str, object]] = json.loads(cluster.ok("titles", "list", "--json"))
        return listed

    ready_at_return = [t for t in titles() if t["state"] == "ready"]
    assert [t["name"] for t in ready_at_return] == [p.split(":")[0].strip() for p in pages]

    # The background filler uploads the episodes; the cluster's workers encode them.
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        found = titles()
        if len(found) == 4 and all(t["state"] == "ready" for t in found):
            break
        time.sleep(2)
    names = [str(t["name"]) for t in found]
    assert len(names) == 4 and len(set(names)) == 4, found
    assert all(t["state"] == "ready" for t in found), found
    assert "uploaded" in (cluster.home / "logs" / "demo-fill.log").read_text()

    # Run again: nothing is uploaded twice.
    again = cluster.cli("demo", timeout=600)
    assert again.returncode == 0, again.stderr
    assert sorted(str(t["name"]) for t in titles()) == sorted(names)
