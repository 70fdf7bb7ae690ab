"""The media spec still loads and keeps the title listing public for reads only."""

from __future__ import annotations

from reelstack import services


def test_the_media_spec_is_accepted_with_its_public_listing() -> None:
    spec = services.specs(("reelstack.media",))["media"]
    assert spec.settings == "reelstack.media.settings"
    assert "/api/media/titles;public=GET;keep;timeout=60;role=studio/admin" in spec.routes
