"""Issue 11: the free-disk floor and per-account quotas, refused with their reason."""

from __future__ import annotations

import httpx

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
