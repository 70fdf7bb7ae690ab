"""Issue 11: the free-disk floor and per-account quotas, refused with their reason."""

from __future__ import annotations

import base64

import httpx

from tests.integration.media.conftest import ClipMaker

from .test_tus import create

FLOOR_ABOVE_ANY_DISK = str(10**18)


def test_uploads_are_refused_below_the_free_disk_floor(start_media) -> None:
    server = start_media(**{"media.min_free_bytes": FLOOR_ABOVE_ANY_DISK})
    refused = create(server, 1000, title="Too big for the disk")
    assert refused.status_code == 507
    detail = refused.json()["detail"]
    assert f"floor of {FLOOR_ABOVE_ANY_DISK} bytes" in detail
    assert "/" not in detail  # no server path in the reason
    titles = httpx.get(f"{server.url}/api/media/titles", headers={"x-roles": "studio"}).json()
    assert titles["count"] == 0
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'media_refusals_total{kind="disk_floor"} 1.0' in metrics


def test_uploads_are_taken_above_the_floor(start_media) -> None:
    server = start_media(**{"media.min_free_bytes": "1"})
    assert create(server, 1000, title="Fits").status_code == 201


def _create_as(server, account: str, length: int, name: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/media/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(length),
            "Upload-Metadata": f"title {base64.b64encode(name.encode()).decode()}",
            "x-account-id": account,
        },
    )


def _refused(response: httpx.Response, status: int, quota: str, limit: int) -> None:
    assert response.status_code == status, response.text
    assert f"quota {quota} (limit {limit}) exceeded" in response.json()["detail"]


def test_an_account_past_its_title_quota_is_refused_with_429(start_media) -> None:
    server = start_media(**{"media.quota_titles": "2", "media.quota_uploads": "0"})
    assert _create_as(server, "a1", 10, "One").status_code == 201
    assert _create_as(server, "a1", 10, "Two").status_code == 201
    _refused(_create_as(server, "a1", 10, "Three"), 429, "titles", 2)
    # Another account's quota is its own.
    assert _create_as(server, "a2", 10, "Other").status_code == 201
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'media_refusals_total{kind="quota:titles"} 1.0' in metrics


def test_uploads_in_flight_are_limited_and_freed_when_finished(start_media) -> None:
    server = start_media(**{"media.quota_uploads": "1"})
    first = _create_as(server, "a1", 10, "First")
    _refused(_create_as(server, "a1", 10, "Second"), 429, "uploads", 1)
    patch = {
        "Tus-Resumable": "1.0.0",
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": "0",
    }
    done = httpx.patch(server.url + first.headers["Location"], headers=patch, content=b"x" * 10)
    assert done.status_code == 204
    assert _create_as(server, "a1", 10, "Second").status_code == 201


def test_bytes_past_the_quota_are_refused_with_413(start_media) -> None:
    server = start_media(**{"media.quota_bytes": "1000"})
    _refused(_create_as(server, "a1", 1001, "Alone too big"), 413, "bytes", 1000)
    assert _create_as(server, "a1", 600, "Fits").status_code == 201
    _refused(_create_as(server, "a1", 600, "Together too big"), 413, "bytes", 1000)


def test_encode_seconds_per_day_are_limited(start_media, clips: ClipMaker) -> None:
    server = start_media(**{"media.quota_encode_s": "1"})
    data = clips.video("quota.mp4", seconds=2).read_bytes()
    made = _create_as(server, "a1", len(data), "Two seconds")
    patch = {
        "Tus-Resumable": "1.0.0",
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": "0",
    }
    assert (
        httpx.patch(server.url + made.headers["Location"], headers=patch, content=data).status_code
        == 204
    )
    server.wait_title(made.headers["Reelstack-Title-Id"], ("ready",))
    _refused(_create_as(server, "a1", 10, "One more"), 429, "encode_s", 1)
    assert _create_as(server, "a2", 10, "Someone else").status_code == 201
