"""The recommendations service's spec."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

SPEC = ServiceSpec(
    name="recommendations",
    app="reelstack.recommendations.app:create_app",
    ports=("widecolumn", "log", "cache"),
    settings="reelstack.recommendations.settings",
    background=(
        "reelstack.recommendations.app:count_plays",
        "reelstack.recommendations.app:build_rows",
    ),
    # A profile's rows: the token's profile only (the gateway's identity headers).
    routes=(
        "/api/recommendations;rewrite=/recommendations;max_body=1024",
        # What edges fill (their own call is inside the mesh): operators only.
        "/api/recommendations/popular;rewrite=/recommendations/popular;role=admin;max_body=1024",
    ),
    deploy=Deploy(calls=("catalog", "history")),
)
