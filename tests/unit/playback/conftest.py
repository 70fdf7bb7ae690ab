"""Playback in-process on a real SQLite store and blob folder, other services faked.

The fake upstreams answer as the shared contract says catalog, identity,
media and history do: catalog hides a title above the caller's
``x-maturity`` with a 404, identity names the account's plan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import reelstack.media.pipeline.settings  # noqa: F401  (declares media.key_prefix)
from reelstack import migrations, services
from reelstack.adapters.blob.local import LocalBlobStore
from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of
from reelstack.config import Config
from reelstack.errors import NotFoundError
from reelstack.playback.app import create_app
from reelstack.playback.context import PlaybackContext
from reelstack.playback.models import Caller, PlanLimits, Playable
from tests.unit.chassis.conftest import started
from tests.unit.playback.test_dash import MPD
from tests.unit.playback.test_manifest import MASTER

PACKAGE = "reelstack.playback"
PLANS = {
    "basic": PlanLimits("basic", 1, 720),
    "standard": PlanLimits("standard", 2, 1080),
    "premium": PlanLimits("premium", 4, None),
}
# The contract's table: the ratings each level sees.
LEVELS = {
    "kids": {"TV-Y", "TV-G", "G"},
    "older-kids": {"TV-Y", "TV-G", "G", "TV-PG", "PG"},
    "teens": {"TV-Y", "TV-G", "G", "TV-PG", "PG", "TV-14", "PG-13"},
}


@dataclass
class FakeUpstreams:
    """Catalog, identity, media and history as the contract describes them, in memory."""

    ratings: dict[str, str] = field(default_factory=lambda: {"film1": "PG", "mature1": "R"})
    plans: dict[str, str] = field(default_factory=dict)
    bookmarks: dict[tuple[str, str], float] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    key_uris: dict[str, str] = field(default_factory=dict)
    """Titles encrypted, with the key URI media wrote into their media playlists."""

    async def catalog_title(self, caller: Caller, title_id: str) -> dict[str, Any]:
        self.calls.append(("catalog", caller.headers))
        rating = self.ratings.get(title_id)
        level = caller.headers.get("x-maturity", "adults")
        if rating is None or (level in LEVELS and rating not in LEVELS[level]):
            raise NotFoundError("no such title")
        return {"id": title_id, "next_episode_id": "ep2" if title_id == "ep1" else None}

    async def plan(self, caller: Caller) -> PlanLimits:
        self.calls.append(("identity", caller.headers))
        return PLANS[self.plans.get(caller.account, "standard")]

    async def playable(self, title_id: str) -> Playable:
        if title_id not in self.ratings:
            raise NotFoundError("no such title")
        return Playable(
            title_id, f"{title_id}/job1", "master.m3u8", (5.0, 35.0), 100.0, 120.0, "manifest.mpd"
        )

    async def master(self, playable: Playable) -> str:
        return MASTER

    async def dash(self, playable: Playable) -> str:
        return MPD

    async def media_playlist(self, playable: Playable, uri: str) -> str:
        key = self.key_uris.get(playable.title_id)
        line = "" if key is None else f'#EXT-X-KEY:METHOD=AES-128,URI="{key}"\n'
        return f'#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n{line}#EXTINF:4,\nseg_00000.m4s\n'

    async def resume_s(self, caller: Caller, title_id: str) -> float:
        return self.bookmarks.get((caller.profile, title_id), 0.0)


class Clock:
    """Epoch seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Stack:
    client: httpx.AsyncClient
    app: FastAPI
    upstreams: FakeUpstreams
    clock: Clock
    blob: LocalBlobStore

    @property
    def ctx(self) -> PlaybackContext:
        return chassis_of(self.app).context_as(PlaybackContext)


def database(path: Path) -> SqlAlchemyDatabase:
    """Return an unopened store that migrates the playback branch."""
    specs = services.specs((PACKAGE,)).values()
    return SqlAlchemyDatabase(
        f"sqlite+aiosqlite:///{path}", version_locations=migrations.version_locations(specs)
    )


@pytest.fixture
async def stack(make_config: Callable[..., Config], tmp_path: Path) -> AsyncIterator[Stack]:
    # The announcer's rounds are run by the tests that need them (its first
    # background round would come after 600 s).
    config = make_config(
        **{"playback.url_secret": "test-secret-" + "x" * 20, "playback.announce_s": "600"}
    )
    blob = LocalBlobStore(tmp_path / "blobs")
    upstreams = FakeUpstreams()
    adapters = Adapters(config, _built={"sql": database(tmp_path / "p.db"), "blob": blob})
    app = create_app(config, adapters=adapters, upstreams=upstreams)
    clock = Clock()
    async for client in started(app):
        chassis_of(app).context_as(PlaybackContext).clock = clock
        yield Stack(client, app, upstreams, clock, blob)


def viewer(account: str, profile: str = "p1", **more: str) -> dict[str, str]:
    """The identity headers the gateway sets for a profile's token."""
    return {"x-account-id": account, "x-profile-id": profile, "x-roles": "viewer", **more}


def device(device_id: str = "tv1", **more: Any) -> dict[str, Any]:
    return {"id": device_id, "name": f"Device {device_id}", **more}
