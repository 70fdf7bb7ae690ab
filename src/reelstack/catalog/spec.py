"""The catalog service's spec: browsing, search, My List, thumbs and studio edits."""

from __future__ import annotations

from reelstack.chassis.spec import ServiceSpec

SPEC = ServiceSpec(
    name="catalog",
    app="reelstack.catalog.app:create_app",
    ports=("sql", "log"),
    settings="reelstack.catalog.settings",
    migrations="catalog",
    background=("reelstack.catalog.app:consume_titles",),
    # Every route needs a token: the gateway's headers carry the profile (My
    # List, thumbs) and its maturity and region, which every read filters by.
    # Studio edits live under their own prefix, where every method needs a
    # studio or admin token.
    routes=(
        "/api/catalog;rewrite=/catalog;max_body=4096",
        "/api/catalog/studio;rewrite=/catalog/studio;role=studio/admin;max_body=65536",
    ),
)
