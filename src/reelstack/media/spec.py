"""The media service's spec: ingest, titles, jobs and the published files."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec, Volume

SPEC = ServiceSpec(
    name="media",
    app="reelstack.media.app:create_app",
    ports=("sql", "blob", "log"),
    settings="reelstack.media.settings",
    migrations="media",
    routes=(
        # Uploads, jobs and changes need a token; anyone may read titles and
        # play published files.
        "/api/media;keep;timeout=60",
        "/api/media/titles;public=GET;keep;timeout=60",
        "/media;public;keep",
    ),
    deploy=Deploy(
        volumes=(Volume("media-uploads", "media.upload_dir", "/var/lib/reelstack/uploads"),)
    ),
)
