"""Playback over HTTP with the services it asks: real identity, history and media, and catalog.

Each test runs twice: with a small FastAPI app answering catalog's contract
(``GET /catalog/titles/{id}``, 404 above the caller's ``x-maturity``), and
with the catalog service itself, its titles applied from media's
announcements. Every app runs on a free 127.0.0.1 port; playback finds them
through a fixed discovery list, as it would through the registry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException

import reelstack.media.pipeline.settings  # noqa: F401  (declares media.key_prefix)
from reelstack import settings
from reelstack.catalog.app import create_app as create_catalog
from reelstack.catalog.context import CatalogContext
from reelstack.chassis.app import chassis_of
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.config import Config
from reelstack.history.app import create_app as create_history
from reelstack.identity.app import create_app as create_identity
from reelstack.media import repository as media_titles
from reelstack.media.app import create_app as create_media
from reelstack.media.context import MediaContext
from reelstack.media.models import TitleMeta, TitleState
from reelstack.playback.app import create_app as create_playback
from reelstack.playback.context import PlaybackContext
from tests.integration.media_service.conftest import FakeEncoder
from tests.unit.catalog.conftest import event, publish
from tests.unit.chassis.conftest import served, started
from tests.unit.playback.test_manifest import MASTER

SECRET = "integration-url-secret-0123456789"
PASSWORD = "correct horse battery"
RATINGS = {"film1": "PG", "mature1": "R"}
KIDS = {"TV-Y", "TV-G", "G"}


def catalog_app() -> FastAPI:
    """Catalog's read contract, for two titles."""
    app = FastAPI()

    @app.get("/catalog/titles/{title_id}")
    async def title(
        title_id: str, x_maturity: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        rating = RATINGS.get(title_id)
        if rating is None or (x_maturity == "kids" and rating not in KIDS):
            raise HTTPException(404, "no such title")
        return {"id": title_id, "kind": "film", "name": title_id, "next_episode_id": None}

    return app


@dataclass
class Services:
    playback: httpx.AsyncClient
    media_url: str
    identity_url: str
    history_url: str
    ctx: PlaybackContext


def _config(tmp_path: Path, service: str, port: int) -> Config:
    environ = {
        "REELSTACK_HOME": str(tmp_path / "home"),
        "REELSTACK_SERVICE_NAME": service,
        "REELSTACK_SERVICE_PORT": str(port),
        "REELSTACK_INSTANCE_ID": f"{service}-a-{port}",
        "REELSTACK_SERVICES_EXTRA": "reelstack.playback",
        settings.URL_SECRET.env: SECRET,
    }
    return Config.load(settings.REGISTRY, environ=environ)


async def _publish(media: FastAPI, home: Path, title_id: str) -> None:
    """A ready title as media's pipeline leaves it: its row and its files."""
    ctx = chassis_of(media).context_as(MediaContext)

    async def work(session: Any) -> None:
        await media_titles.create(
            session,
            title_id=title_id,
            meta=TitleMeta(name=title_id, maturity_rating=RATINGS[title_id]),
            state=TitleState.READY,
        )
        await media_titles.set_fields(
            session,
            title_id,
            master_url=f"/media/{title_id}/j1/master.m3u8",
            intro_start_s=2.0,
            intro_end_s=12.0,
            credits_start_s=50.0,
            duration_s=60.0,
        )

    await ctx.db.transaction(work)
    folder = home / "blobs" / "media" / title_id / "j1"
    for name in ("v0", "v1", "v2", "v3", "v4", "a0", "subs/en"):
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / "index.m3u8").write_text('#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n')
    (folder / "master.m3u8").write_text(MASTER)


async def _announce(catalog: FastAPI) -> None:
    """The titles as media announces them, applied as catalog's consumer does."""
    ctx = chassis_of(catalog).context_as(CatalogContext)
    for title_id, rating in RATINGS.items():
        assert await publish(ctx, event(title_id, 1, name=title_id, rating=rating))


@pytest.fixture(params=["stand-in", "catalog"])
async def services(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        infos = []
        urls = {}
        media = create_media(_config(tmp_path, "media", 0), encoder=FakeEncoder(), sweep=False)
        real = request.param == "catalog"
        catalog = (
            create_catalog(_config(tmp_path, "catalog", 0), consume=False)
            if real
            else catalog_app()
        )
        for name, app in (
            ("catalog", catalog),
            ("identity", create_identity(_config(tmp_path, "identity", 0))),
            ("history", create_history(_config(tmp_path, "history", 0))),
            ("media", media),
        ):
            port = await stack.enter_async_context(served(app, name))
            infos.append(InstanceInfo(name, f"{name}-1", "127.0.0.1", port))
            urls[name] = f"http://127.0.0.1:{port}"
        for title_id in RATINGS:
            await _publish(media, tmp_path / "home", title_id)
        if real:
            await _announce(catalog)
        playback = create_playback(_config(tmp_path, "playback", 0))
        chassis_of(playback).discovery = StaticDiscovery(infos)
        agen = started(playback)
        client = await agen.__anext__()
        try:
            yield Services(
                playback=client,
                media_url=urls["media"],
                identity_url=urls["identity"],
                history_url=urls["history"],
                ctx=chassis_of(playback).context_as(PlaybackContext),
            )
        finally:
            await agen.aclose()


async def _account(services: Services, email: str, plan: str) -> str:
    async with httpx.AsyncClient(base_url=services.identity_url) as identity:
        made = await identity.post(
            "/identity/accounts", json={"email": email, "password": PASSWORD}
        )
        assert made.status_code == 201, made.text
        account: str = made.json()["id"]
        changed = await identity.put(
            "/identity/accounts/me/plan", json={"plan": plan}, headers={"x-account-id": account}
        )
        assert changed.status_code == 200, changed.text
    return account


def _viewer(account: str, profile: str = "p1", maturity: str = "adults") -> dict[str, str]:
    return {"x-account-id": account, "x-profile-id": profile, "x-maturity": maturity}


async def _start(
    services: Services, title: str, device: str, headers: dict[str, str]
) -> httpx.Response:
    body = {"title_id": title, "device": {"id": device, "name": f"The {device}"}}
    return await services.playback.post("/playback/plays", json=body, headers=headers)


async def test_a_viewer_plays_resumes_hits_the_limit_and_plays_again_after_stop(
    services: Services,
) -> None:
    account = await _account(services, "basic@example.com", "basic")
    viewer = _viewer(account)
    async with httpx.AsyncClient(base_url=services.history_url) as history:
        beat = await history.put(
            "/history/profiles/p1/bookmarks/film1",
            json={
                "position_s": 21.5,
                "duration_s": 60,
                "device": "phone",
                "watched_at": datetime.now(UTC).isoformat(),
            },
            headers=viewer,
        )
        assert beat.status_code == 200, beat.text

    started = await _start(services, "film1", "tv", viewer)
    assert started.status_code == 201, started.text
    play = started.json()
    assert play["resume_s"] == 21.5  # saved on the phone, resumed on the TV
    assert play["intro"] == {"start_s": 2.0, "end_s": 12.0} and play["credits_start_s"] == 50.0

    manifest = await services.playback.get(play["manifest_url"].removeprefix("/api"))
    variants = [line for line in manifest.text.splitlines() if line.startswith("/media/s/")]
    # Basic: 720p at most.
    assert [v.split("/")[-2] for v in variants] == ["v0", "v1", "v4"]
    async with httpx.AsyncClient(base_url=services.media_url) as media:
        for variant in variants:
            assert (await media.get(variant)).status_code == 200
        # The token of one rendition opens no other.
        token = variants[0].split("/")[3]
        other = variants[0].replace("/j1/v0/", "/j1/v3/")
        assert token in other and (await media.get(other)).status_code == 403

    limit = await _start(services, "film1", "laptop", viewer)
    assert limit.status_code == 409
    assert limit.json()["devices"][0]["device_id"] == "tv"
    assert limit.json()["devices"][0]["name"] == "The tv"

    stop = await services.playback.delete(f"/playback/plays/{play['play_id']}", headers=viewer)
    assert stop.status_code == 204
    again = await _start(services, "film1", "laptop", viewer)
    assert again.status_code == 201


async def test_a_kids_profile_cannot_start_a_mature_title(services: Services) -> None:
    account = await _account(services, "family@example.com", "premium")
    kid = _viewer(account, "kid", maturity="kids")
    refused = await _start(services, "mature1", "tablet", kid)
    assert refused.status_code == 404
    adult = await _start(services, "mature1", "tv", _viewer(account))
    assert adult.status_code == 201


async def test_the_key_goes_to_the_profile_playing_the_title_only(
    services: Services, tmp_path: Path
) -> None:
    key = bytes(range(16))
    await services.ctx.blob.put(services.ctx.key_blob("film1"), key)
    account = await _account(services, "keys@example.com", "standard")
    other = await _account(services, "other@example.com", "standard")
    path = "/playback/keys/film1"
    assert (await services.playback.get(path, headers=_viewer(account))).status_code == 404
    await _start(services, "film1", "tv", _viewer(account))
    assert (await services.playback.get(path, headers=_viewer(account))).content == key
    assert (await services.playback.get(path, headers=_viewer(other))).status_code == 404
