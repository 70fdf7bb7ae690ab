"""A DASH client plays a steered play's MPD from a real edge, which verifies every request.

Playback runs in this process on its real store (other services faked, as
in its unit tests); the edge is the real edge app with its serving
listener, over an in-memory origin holding the title's files. The client
does what a DASH player does: it reads the MPD playback serves, resolves a
representation's initialization and first media segment against its first
``BaseURL`` and fetches them. The edge answers them from its cache after
checking the token playback signed; a token changed by one character is
refused and never reaches the origin.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from urllib.parse import urljoin

import httpx
import pytest

from reelstack.bootstrap import Adapters
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.config import Config
from reelstack.edge.app import create_app
from reelstack.edge.context import EdgeContext
from tests.unit.chassis.conftest import started
from tests.unit.conftest import make_config  # noqa: F401  (fixture)
from tests.unit.edge.fakes import FakeOrigin
from tests.unit.playback.conftest import Stack, device, stack, viewer  # noqa: F401  (fixture)
from tests.unit.playback.test_dash import NS

SECRET = "test-secret-" + "x" * 20  # playback's, in the stack fixture
FILES = {
    name: os.urandom(size)
    for name, size in (("v0/init.mp4", 900), ("v0/seg_00000.m4s", 150_000), ("a0/init.mp4", 700))
}


@pytest.fixture
async def edge(
    make_config: Callable[..., Config],  # noqa: F811
) -> AsyncIterator[tuple[EdgeContext, FakeOrigin]]:
    origin = FakeOrigin()
    for name, data in FILES.items():
        origin.add(f"media/film1/job1/{name}", data)
    config = make_config(
        **{
            "service.name": "edge",
            "edge.region": "US",
            "edge.capacity_bytes": str(4 * 1024 * 1024),
            "playback.url_secret": SECRET,
        }
    )
    app = create_app(config, adapters=Adapters(config, _built={"blob": origin}))
    async for _ in started(app):
        ctx = app.state.chassis.context
        assert isinstance(ctx, EdgeContext)
        yield ctx, origin


def _registered(ctx: EdgeContext, now: float) -> InstanceInfo:
    metadata = {
        "edge.region": ctx.region,
        "edge.url": ctx.public_url,
        "edge.connections": "0",
        "edge.bytes_s": "0",
        "edge.free_bytes": "1",
        "edge.capacity_bytes": "2",
        "edge.titles": "",
        "edge.reported_at": str(now),
    }
    return InstanceInfo("edge", ctx.instance, "127.0.0.1", 1, metadata=metadata)


async def test_a_dash_client_is_served_by_the_edge_the_mpd_names_first(
    stack: Stack,  # noqa: F811
    edge: tuple[EdgeContext, FakeOrigin],
) -> None:
    ctx, origin = edge
    stack.clock.now = time.time()  # the edge checks the expiry on its own clock
    stack.ctx.discovery = StaticDiscovery([_registered(ctx, stack.clock.now)])
    started_play = await stack.client.post(
        "/playback/plays",
        json={"title_id": "film1", "device": device()},
        headers=viewer("acc1", **{"x-region": "US"}),
    )
    assert started_play.status_code == 201, started_play.text
    play = started_play.json()
    assert [e["url"] for e in play["edges"]] == [ctx.public_url]
    mpd = await stack.client.get(play["dash_url"].removeprefix("/api"))
    assert mpd.status_code == 200

    # The DASH client: the video representation, its first BaseURL, its templates.
    root = ET.fromstring(mpd.text)
    rep = root.find(".//d:Representation[@id='v0']", NS)
    assert rep is not None
    base = rep.findall("d:BaseURL", NS)[0].text or ""
    assert base.startswith(ctx.public_url + "/media/s/")
    template = rep.find("d:SegmentTemplate", NS)
    assert template is not None
    init = urljoin(base, template.get("initialization", ""))
    number = int(template.get("startNumber", "1"))
    segment = urljoin(base, template.get("media", "").replace("$Number%05d$", f"{number:05d}"))
    async with httpx.AsyncClient(timeout=30) as http:
        for url, name in ((init, "v0/init.mp4"), (segment, "v0/seg_00000.m4s")):
            answer = await http.get(url, headers={"Origin": "http://player.example"})
            assert answer.status_code == 200, (url, answer.status_code)
            assert answer.content == FILES[name]
            assert answer.headers["access-control-allow-origin"] == "*"
        assert ctx.stats.requests == 2 and origin.gets == 2

        # Another rendition under this representation's token is refused: it signs v0 only.
        calls = origin.calls
        other = urljoin(base, "a0/init.mp4")
        assert (await http.get(other)).status_code == 403
        token = base.split("/media/s/")[1].split("/", 1)[0]
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert (await http.get(init.replace(token, forged))).status_code == 403
        assert origin.calls == calls
