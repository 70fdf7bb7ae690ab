"""The federation router's spec: one ``/graphql`` composed from every subgraph in the registry."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

SPEC = ServiceSpec(
    name="router",
    app="reelstack.router.app:create_app",
    settings="reelstack.router.settings",
    # The cache: recommendations' last rows, the stand-in when that subgraph is slow.
    ports=("cache",),
    # Anonymous callers may query (the home page before sign-in); a token
    # sent is still checked, and its identity headers reach every subgraph,
    # which decide per field what a caller may see.
    routes=("/graphql;keep;public=POST;max_body=65536;timeout=15",),
    background=(
        "reelstack.router.service:compose_forever",
        "reelstack.router.service:run_gateway",
    ),
    # Hive Gateway, its child, calls the subgraphs at the addresses the
    # registry gives.
    deploy=Deploy(
        calls=("catalog", "history", "identity", "playback", "recommendations"),
    ),
)
