"""The media service's spec: ingest, titles, jobs and the published files."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec, Volume

SPEC = ServiceSpec(
    name="media",
    app="reelstack.media.app:create_app",
    ports=("sql", "blob", "log"),
    settings="reelstack.media.settings",
    migrations="media",
    background=("reelstack.media.app:sweep_uploads", "reelstack.media.app:announce_titles"),
    routes=(
        # Uploads, jobs and changes need a studio (or admin) token; anyone
        # may read titles and play published files.
        "/api/media;keep;timeout=60;role=studio/admin",
        "/api/media/titles;public=GET;keep;timeout=60;role=studio/admin",
        "/media;public;keep",
    ),
    deploy=Deploy(
        volumes=(
            Volume(
                "media-uploads",
                "media.upload_dir",
                "/var/lib/reelstack/uploads",
                about="Partial uploads live on one volume every media instance shares"
                " (S3 has no append), so a resumed upload may land on any instance.",
            ),
        ),
        # Its routes allow 60 s requests (upload chunks); a stopping instance
        # finishes the ones in hand.
        stop_grace_s=120,
    ),
)
