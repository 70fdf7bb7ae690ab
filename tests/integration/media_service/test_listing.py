"""Issue 11: the public title listing is paged and shows only published titles.

Anyone may ``GET /api/media/titles`` through the gateway; what a studio is
still uploading, refused or failed (with reasons that once named server
paths) is for callers whose ``x-roles`` hold studio or admin.
"""

from __future__ import annotations

import httpx

from tests.integration.media.conftest import ClipMaker

from .conftest import FakeEncoder
from .test_api import upload_whole
from .test_tus import create

STUDIO = {"x-roles": "studio"}
LEAKY = "ffmpeg failed: /var/lib/reelstack/work/ingest/abc/source: Invalid data found"


def _list(url: str, **params: str | int) -> httpx.Response:
    return httpx.get(f"{url}/api/media/titles", params=params, timeout=10)


def test_the_public_listing_shows_only_published_titles(start_media, clips: ClipMaker) -> None:
    server = start_media()
    ready = upload_whole(server.url, clips.video("pub.mp4", seconds=2).read_bytes(), "Shown")
    ready_id = ready.headers["Reelstack-Title-Id"]
    server.wait_title(ready_id, ("ready",))
    pending = create(server, 1000, title="Unreleased").headers["Reelstack-Title-Id"]

    public = _list(server.url).json()
    assert [t["id"] for t in public["titles"]] == [ready_id]
    # Asking for another state does not reveal it.
    assert _list(server.url, state="uploading").json()["titles"] == []
    assert (
        httpx.get(
            f"{server.url}/api/media/titles",
            params={"state": "uploading"},
            headers={"x-roles": "viewer"},
        ).json()["titles"]
        == []
    )
    studio = httpx.get(f"{server.url}/api/media/titles", headers=STUDIO).json()
    assert {t["id"] for t in studio["titles"]} == {ready_id, pending}


def test_the_listing_is_paged_with_a_bounded_limit(start_media) -> None:
    server = start_media()
    made = {create(server, 1000, title=f"T{i}").headers["Reelstack-Title-Id"] for i in range(5)}
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{server.url}/api/media/titles", params=params, headers=STUDIO).json()
        assert page["count"] == len(page["titles"]) <= 2
        seen += [t["id"] for t in page["titles"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and sorted(seen) == sorted(made)
    too_many = _list(server.url, limit=501)
    assert too_many.status_code == 422 and "500" in too_many.text
    for bad in ("abc", "-1", "99999999999"):
        refused = _list(server.url, cursor=bad)
        assert refused.status_code == 400, bad
        assert "cursor" in refused.json()["detail"]


def test_reasons_shown_to_the_public_carry_no_server_paths(start_media, clips: ClipMaker) -> None:
    server = start_media(encoder=FakeEncoder(fail=True, fail_reason=LEAKY))
    made = upload_whole(server.url, clips.video("leak.mp4", seconds=2).read_bytes(), "Leaky")
    title_id = made.headers["Reelstack-Title-Id"]
    server.wait_title(title_id, ("failed",))
    public = server.title(title_id)["reason"]
    assert public == "ffmpeg failed: <path>: Invalid data found"
    assert "/var/lib" not in public
    studio = httpx.get(f"{server.url}/api/media/titles/{title_id}", headers=STUDIO).json()
    assert studio["reason"] == LEAKY
