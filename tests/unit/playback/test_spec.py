"""The playback spec is accepted beside the others, and its routes are what the gateway needs."""

from __future__ import annotations

from reelstack import services


def test_the_spec_is_accepted_and_only_manifests_are_open() -> None:
    spec = services.specs(("reelstack.playback",))["playback"]
    assert spec.ports == ("sql", "blob") and spec.migrations == "playback"
    routes = {route.prefix: route for route in spec.gateway_routes()}
    plays = routes["/api/playback"]
    assert plays.rewrite == "/playback" and not plays.public and not plays.public_methods
    assert plays.max_body_bytes == 4096
    manifests = routes["/api/playback/manifests"]
    assert manifests.public_methods >= {"GET"} and manifests.rewrite == "/playback/manifests"
