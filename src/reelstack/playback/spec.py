"""The playback service's spec: plays, stream leases, manifests and content keys."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

SPEC = ServiceSpec(
    name="playback",
    app="reelstack.playback.app:create_app",
    ports=("sql", "blob", "log"),
    settings="reelstack.playback.settings",
    migrations="playback",
    background=("reelstack.playback.app:sweep_plays", "reelstack.playback.app:announce_plays"),
    routes=(
        # Every play route acts for the token's account and profile; a play
        # start is a few hundred bytes.
        "/api/playback;rewrite=/playback;max_body=4096",
        # A play's manifest is fetched by any HLS player, which sends no
        # token: the signed token in its path is the credential.
        "/api/playback/manifests;public=GET;rewrite=/playback/manifests",
    ),
    deploy=Deploy(calls=("catalog", "history", "identity", "media")),
)
